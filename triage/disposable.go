package triage

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/mxverify/mxverify/verify"
)

// disposableText is the embedded copy of a public list of disposable
// domains; its header names the source, the version and the licence.
//
//go:embed disposable.txt
var disposableText string

// embeddedDisposable is parsed once; its lines are already lower-case
// A-labels (TestDisposableFile checks them with verify.Domain).
var embeddedDisposable = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, 9000)
	for line := range strings.Lines(disposableText) {
		line, _, _ = strings.Cut(line, "#")
		if line = strings.TrimSpace(line); line != "" {
			m[line] = struct{}{}
		}
	}
	return m
})

// Disposable is a set of domains that hand out throwaway addresses. It is
// read-only once loaded and safe for concurrent use. A nil *Disposable
// holds nothing.
type Disposable struct {
	embedded map[string]struct{} // shared by every Disposable
	extra    map[string]struct{}
}

// LoadDisposable returns the embedded list (disposable.txt) together with
// the domains of the named files: one domain a line, # starting a
// comment, blank lines ignored. Each domain is normalized by verify.Domain,
// so Unicode names and upper case are fine; a line that is not a domain is
// an error naming the file and line.
func LoadDisposable(paths ...string) (*Disposable, error) {
	d := &Disposable{embedded: embeddedDisposable(), extra: make(map[string]struct{})}
	for _, p := range paths {
		if err := d.readFile(p); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (d *Disposable) readFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("disposable list: %w", err)
	}
	defer f.Close()
	return d.read(path, f)
}

func (d *Disposable) read(name string, r io.Reader) error {
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		domain, err := verify.Domain(line)
		if err != nil {
			return fmt.Errorf("%s:%d: %q is not a domain: %w", name, n, line, err)
		}
		if _, ok := d.embedded[domain]; !ok {
			d.extra[domain] = struct{}{}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// Has reports whether a domain (a lower-case A-label, as Address.Domain
// has it) or any name above it is on the list: mail.example.tk matches a
// listed example.tk.
func (d *Disposable) Has(domain string) bool {
	if d == nil {
		return false
	}
	for {
		if _, ok := d.embedded[domain]; ok {
			return true
		}
		if _, ok := d.extra[domain]; ok {
			return true
		}
		i := strings.IndexByte(domain, '.')
		if i < 0 {
			return false
		}
		domain = domain[i+1:]
	}
}

// Len is the number of domains on the list.
func (d *Disposable) Len() int {
	if d == nil {
		return 0
	}
	return len(d.embedded) + len(d.extra)
}
