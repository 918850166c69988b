// Package reporttest reads a report page back for tests: its tables as
// the rows a reader sees, its elements by id. It checks, on the way, that
// each number's data-value is the figure shown.
package reporttest

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// Page is a parsed report page.
type Page struct {
	Doc *html.Node
	// Tables holds each table by its id: one string per row, its cells'
	// text joined by " | ", header row first.
	Tables map[string][]string
}

// Parse reads a page. It fails on a table without an id, or a cell whose
// data-value is not the number it shows.
func Parse(r io.Reader) (*Page, error) {
	doc, err := html.Parse(r)
	if err != nil {
		return nil, err
	}
	p := &Page{Doc: doc, Tables: make(map[string][]string)}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || n.Data != "table" {
			continue
		}
		id := Attr(n, "id")
		if id == "" {
			return nil, fmt.Errorf("a table without an id")
		}
		var rows []string
		for tr := range n.Descendants() {
			if tr.Type != html.ElementNode || tr.Data != "tr" {
				continue
			}
			var row []string
			for td := range tr.ChildNodes() {
				if td.Type != html.ElementNode || (td.Data != "td" && td.Data != "th") {
					continue
				}
				row = append(row, Text(td))
				if v := Attr(td, "data-value"); v != "" && strings.ReplaceAll(Text(td), ",", "") != v {
					return nil, fmt.Errorf("table %s: cell %q has data-value %q", id, Text(td), v)
				}
			}
			rows = append(rows, strings.Join(row, " | "))
		}
		p.Tables[id] = rows
	}
	return p, nil
}

// Attr is n's attribute key, or "".
func Attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

var spaces = regexp.MustCompile(`\s+`)

// Text is the text under n with runs of white space made one space; list
// items are kept apart by a space.
func Text(n *html.Node) string {
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
		if c.Type == html.ElementNode && c.Data == "li" && b.Len() > 0 {
			b.WriteByte(' ')
		}
	}
	return strings.TrimSpace(spaces.ReplaceAllString(b.String(), " "))
}

// ByID is the element with the id, or nil.
func (p *Page) ByID(id string) *html.Node {
	for n := range p.Doc.Descendants() {
		if n.Type == html.ElementNode && Attr(n, "id") == id {
			return n
		}
	}
	return nil
}

// Count is how many elements named name n holds.
func Count(n *html.Node, name string) int {
	k := 0
	for c := range n.Descendants() {
		if c.Type == html.ElementNode && c.Data == name {
			k++
		}
	}
	return k
}

// ExternalRef finds anything that would make a browser fetch: a URL, a
// src or href, a CSS url() or @import, an xlink.
var ExternalRef = regexp.MustCompile(`(?i)https?:|//[a-z0-9]|\bsrc=|\bhref=|url\(|@import|xlink`)
