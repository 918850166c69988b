package intern

import (
	"testing"
	"unsafe"
)

// same tells whether two strings share their bytes: whether one is the
// kept copy of the other.
func same(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }

func TestStrings(t *testing.T) {
	in := New(2)
	first := in.String(string([]byte("mx.example.net")))
	if got := in.String(string([]byte("mx.example.net"))); !same(got, first) {
		t.Error("String: a new copy of a kept value")
	}
	if got := in.Bytes([]byte("mx.example.net")); !same(got, first) {
		t.Error("Bytes: a new copy of a kept value")
	}
	second := in.Bytes([]byte("mx.example.org"))
	if got := in.Bytes([]byte("mx.example.org")); got != "mx.example.org" || !same(got, second) {
		t.Errorf("second value: %q, kept %v", got, same(got, second))
	}
	// The bound is reached: a third value comes back, and is not kept.
	third := in.Bytes([]byte("mx.example.com"))
	if got := in.Bytes([]byte("mx.example.com")); got != "mx.example.com" || same(got, third) {
		t.Errorf("value beyond the bound: %q, kept %v", got, same(got, third))
	}
}
