package pipeline

import (
	"iter"
	"strings"
)

// domainIndex numbers distinct domains in first-seen order.
type domainIndex struct{ m map[string]int32 }

func newDomainIndex() *domainIndex { return &domainIndex{m: make(map[string]int32)} }

// add returns domain's index. A domain not seen before gets the next one,
// and key is the index's copy of it: the parsed domain may point into a
// whole record.
func (x *domainIndex) add(domain string) (i int32, key string, isNew bool) {
	if i, ok := x.m[domain]; ok {
		return i, domain, false
	}
	i, key = int32(len(x.m)), strings.Clone(domain)
	x.m[key] = i
	return i, key, true
}

// lookup returns domain's index, if it has one.
func (x *domainIndex) lookup(domain string) (int32, bool) {
	i, ok := x.m[domain]
	return i, ok
}

// counts yields each domain named by at least min rows, with its count
// from uses.
func (x *domainIndex) counts(uses []int32, min int) iter.Seq2[string, int] {
	return func(yield func(string, int) bool) {
		for d, i := range x.m {
			if int(uses[i]) >= min && !yield(d, int(uses[i])) {
				return
			}
		}
	}
}
