package triage

import (
	"errors"
	"strings"
	"testing"

	"github.com/mxverify/mxverify/verify"
)

func TestActionOf(t *testing.T) {
	tests := []struct {
		status   verify.Status
		implicit bool
		want     Action
	}{
		{verify.Deliverable, false, Send},
		{verify.NoMX, true, Send},
		{verify.CNAMEMisconfigured, false, Send},
		{verify.Invalid, false, Suppress},
		{verify.NXDomain, false, Suppress},
		{verify.NullMX, false, Suppress},
		{verify.NoMX, false, Suppress},
		{verify.DanglingMX, false, Suppress},
		{verify.TempError, false, Retry},
		// ImplicitMX only matters for no_mx.
		{verify.Deliverable, true, Send},
		{verify.NXDomain, true, Suppress},
		{verify.TempError, true, Retry},
		// A status this package does not know is no answer: retry.
		{"", false, Retry},
		{"something_new", false, Retry},
	}
	for _, tt := range tests {
		if got := ActionOf(verify.Result{Status: tt.status, ImplicitMX: tt.implicit}); got != tt.want {
			t.Errorf("ActionOf(%s, implicit %v) = %s, want %s", tt.status, tt.implicit, got, tt.want)
		}
	}
	// Every defined status has a rule of its own.
	for _, s := range verify.Statuses {
		if s != verify.TempError && ActionOf(verify.Result{Status: s}) == Retry {
			t.Errorf("ActionOf(%s) falls through to retry", s)
		}
	}
}

func TestParseSuppressIf(t *testing.T) {
	tests := []struct {
		in      string
		want    Flags
		wantErr bool
	}{
		{"", 0, false},
		{"  ", 0, false},
		{"role", FlagRole, false},
		{"disposable", FlagDisposable, false},
		{"duplicate", FlagDuplicate, false},
		{"role,disposable,duplicate", FlagRole | FlagDisposable | FlagDuplicate, false},
		{" duplicate , role ", FlagRole | FlagDuplicate, false},
		{"role,role", FlagRole, false},
		{"free", 0, true}, // a free-mail address is as good as any
		{"rol", 0, true},
		{"Role", 0, true},
		{"role,", 0, true},
		{"role,,duplicate", 0, true},
		{"role;duplicate", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSuppressIf(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseSuppressIf(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrUnknownFlag) {
			t.Errorf("ParseSuppressIf(%q) error %v does not wrap ErrUnknownFlag", tt.in, err)
		}
	}
	if _, err := ParseSuppressIf("role,free"); err == nil || !strings.Contains(err.Error(), `"free"`) {
		t.Errorf("the error should name the unknown flag: %v", err)
	}
}

func TestFlagsString(t *testing.T) {
	for f, want := range map[Flags]string{
		0:                                    "",
		FlagRole:                             "role",
		FlagDuplicate | FlagRole:             "role,duplicate",
		FlagRole | FlagFree | FlagDisposable: "role,free,disposable",
	} {
		if got := f.String(); got != want {
			t.Errorf("Flags(%d).String() = %q, want %q", f, got, want)
		}
	}
}

func TestDecide(t *testing.T) {
	ok := verify.Result{Status: verify.Deliverable}
	all := FlagRole | FlagDisposable | FlagDuplicate
	tests := []struct {
		name       string
		row        Row
		suppressIf Flags
		want       Action
		reason     string // the whole reason, or with a leading "~" a part of it
	}{
		{"deliverable", Row{Result: ok}, 0, Send, reasonDeliverable},
		{"implicit MX", Row{Result: verify.Result{Status: verify.NoMX, ImplicitMX: true}}, all, Send, reasonImplicit},
		{"misconfigured", Row{Result: verify.Result{Status: verify.CNAMEMisconfigured}}, all, Send, reasonMisSetUp},
		{"no mail", Row{Result: verify.Result{Status: verify.NoMX}}, 0, Suppress, reasonNoMail},
		{"nxdomain", Row{Result: verify.Result{Status: verify.NXDomain}}, 0, Suppress,
			"The domain does not exist: no mail can reach this address. Check the spelling or remove it."},
		{"temp error", Row{Result: verify.Result{Status: verify.TempError}}, 0, Retry, reasonTempError},

		// --suppress-if moves send to suppress, and says why.
		{"role kept", Row{Result: ok, Flags: FlagRole}, 0, Send, "~" + reasonDeliverable + " Note: it is a role address"},
		{"role suppressed", Row{Result: ok, Flags: FlagRole}, FlagRole, Suppress, "~Suppressed as asked, because it is a role address"},
		{"disposable suppressed", Row{Result: ok, Flags: FlagDisposable}, all, Suppress, "~because the domain hands out throwaway addresses"},
		{"duplicate suppressed", Row{Result: ok, Flags: FlagDuplicate | FlagFree}, FlagDuplicate, Suppress,
			"Suppressed as asked, because the same address is on an earlier row. Mail could otherwise reach it."},
		{"only the asked flags", Row{Result: ok, Flags: FlagDuplicate | FlagRole}, FlagDuplicate, Suppress,
			"Suppressed as asked, because the same address is on an earlier row. Mail could otherwise reach it."},
		{"two flags", Row{Result: ok, Flags: FlagDuplicate | FlagRole}, all, Suppress,
			"~because the same address is on an earlier row, and it is a role address"},
		{"implicit MX duplicate", Row{Result: verify.Result{Status: verify.NoMX, ImplicitMX: true}, Flags: FlagDuplicate}, all, Suppress, "~earlier row"},
		{"free never suppresses", Row{Result: ok, Flags: FlagFree}, all | FlagFree, Send, reasonDeliverable},
		{"flag not asked", Row{Result: ok, Flags: FlagDisposable}, FlagRole, Send, "~Note: the domain hands out throwaway addresses"},

		// Flags never change suppress or retry.
		{"nxdomain duplicate", Row{Result: verify.Result{Status: verify.NXDomain}, Flags: FlagDuplicate}, all, Suppress, reasonNoDomain},
		{"temp error duplicate", Row{Result: verify.Result{Status: verify.TempError}, Flags: FlagDuplicate | FlagRole}, all, Retry, reasonTempError},
		{"null MX role", Row{Result: verify.Result{Status: verify.NullMX}, Flags: FlagRole}, all, Suppress, reasonNullMX},

		// A cell without a valid address is suppressed whatever its domain's verdict.
		{"bad local at a good domain", Row{Result: ok, Problem: BadLocal}, 0, Suppress, problemReasons[BadLocal]},
		{"invalid result", Row{Result: verify.Result{Status: verify.Invalid}, Problem: Reserved}, 0, Suppress, problemReasons[Reserved]},
		{"invalid without a problem", Row{Result: verify.Result{Status: verify.Invalid}}, 0, Suppress, reasonInvalid},

		// A suggestion is named.
		{"suggestion", Row{Result: verify.Result{Status: verify.NXDomain}, Suggestion: "anna@gmail.com"}, 0, Suppress,
			reasonNoDomain + " Did you mean anna@gmail.com?"},
		{"repaired", Row{Result: verify.Result{Status: verify.Invalid}, Problem: BadDomain, Suggestion: "anna@gmail.com"}, 0, Suppress,
			problemReasons[BadDomain] + " Did you mean anna@gmail.com?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := Decide(tt.row, tt.suppressIf)
			if got != tt.want {
				t.Errorf("action = %s, want %s", got, tt.want)
			}
			if part, ok := strings.CutPrefix(tt.reason, "~"); ok {
				if !strings.Contains(reason, part) {
					t.Errorf("reason %q does not contain %q", reason, part)
				}
			} else if reason != tt.reason {
				t.Errorf("reason = %q, want %q", reason, tt.reason)
			}
		})
	}
}

func TestDecideNoAllocation(t *testing.T) {
	row := Row{Result: verify.Result{Status: verify.Deliverable}, Flags: FlagFree}
	if n := testing.AllocsPerRun(100, func() { Decide(row, FlagRole) }); n != 0 {
		t.Errorf("Decide on a row without remarks: %v allocations, want 0", n)
	}
}

func BenchmarkDecide(b *testing.B) {
	row := Row{Result: verify.Result{Status: verify.Deliverable}}
	b.ReportAllocs()
	for b.Loop() {
		Decide(row, FlagRole|FlagDuplicate)
	}
}
