package triage

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

// providersText is the embedded list of mailbox providers; its header
// names how it was compiled.
//
//go:embed providers.txt
var providersText string

type kind uint8

const (
	kindFree kind = iota + 1 // anyone gets a mailbox at no cost
	kindISP                  // mailboxes of an internet or phone contract
	kindPaid                 // a paid mailbox service
)

type providerTable struct {
	kinds map[string]kind
	names []string // in the file's order
	index *deleteIndex
}

// providers parses the embedded list once. The list is part of the
// source, so a malformed line is a bug that TestProvidersFile catches, and
// a panic here.
var providers = sync.OnceValue(func() *providerTable {
	t := &providerTable{kinds: make(map[string]kind)}
	for n, line := range strings.Split(providersText, "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		var k kind
		if len(f) == 2 {
			k = kindOf(f[1])
		}
		if k == 0 {
			panic(fmt.Sprintf("triage: providers.txt:%d: want \"domain free|isp|paid\", got %q", n+1, line))
		}
		if _, dup := t.kinds[f[0]]; dup {
			panic(fmt.Sprintf("triage: providers.txt:%d: %s listed twice", n+1, f[0]))
		}
		t.kinds[f[0]] = k
		t.names = append(t.names, f[0])
	}
	t.index = newDeleteIndex(t.names)
	return t
})

func kindOf(name string) kind {
	switch name {
	case "free":
		return kindFree
	case "isp":
		return kindISP
	case "paid":
		return kindPaid
	}
	return 0
}

// IsFree reports whether a domain (a lower-case A-label, as
// Address.Domain has it) is a public mailbox provider's: free webmail, or
// the mailboxes an internet provider gives its customers, from the
// embedded providers.txt. Paid mailbox services are not free. Only the
// listed names match, not names under them.
func IsFree(domain string) bool {
	k := providers().kinds[domain]
	return k == kindFree || k == kindISP
}

// isProvider reports whether a domain is on the embedded list, of any
// kind. A provider's own domain never gets a suggestion.
func isProvider(domain string) bool {
	_, ok := providers().kinds[domain]
	return ok
}
