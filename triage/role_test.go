package triage

import "testing"

func TestIsRole(t *testing.T) {
	tests := []struct {
		local string
		want  bool
	}{
		// RFC 2142 and the common ones.
		{"info", true}, {"postmaster", true}, {"abuse", true}, {"webmaster", true}, {"www", true},
		{"sales", true}, {"support", true}, {"admin", true}, {"billing", true}, {"contact", true},
		{"hello", true}, {"jobs", true}, {"office", true}, {"team", true}, {"enquiries", true},
		// Case, separators, +tags and quotes do not matter.
		{"INFO", true}, {"Info", true}, {"noreply", true}, {"no-reply", true}, {"No_Reply", true},
		{"no.reply", true}, {"do-not-reply", true}, {"donotreply", true}, {"customer.service", true},
		{"Customer-Service", true}, {"mailer-daemon", true}, {"info+newsletter", true}, {`"info"`, true},
		{"support+ticket-42", true},
		// People and near misses.
		{"anna", false}, {"anna.smith", false}, {"info2", false}, {"infos", false}, {"salesman", false},
		{"j.info", false}, {"adminx", false}, {"", false}, {"+info", false}, {"ínfo", false},
		{"customersupportteam", false}, {"averyveryverylonglocalpartthatisnotarole", false},
	}
	for _, tt := range tests {
		if got := IsRole(tt.local); got != tt.want {
			t.Errorf("IsRole(%q) = %v, want %v", tt.local, got, tt.want)
		}
	}
}

// Every listed role fits the buffer IsRole lowers names into, and is
// written the way IsRole compares: lower case, no separators.
func TestRolesTable(t *testing.T) {
	for r := range roles {
		if len(r) > maxRole {
			t.Errorf("role %q is longer than maxRole %d", r, maxRole)
		}
		for _, c := range r {
			if c < 'a' || c > 'z' {
				t.Errorf("role %q has %q", r, c)
			}
		}
		if !IsRole(r) {
			t.Errorf("IsRole(%q) = false", r)
		}
	}
}

func TestIsRoleNoAllocation(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { IsRole("Customer.Service+x") }); n != 0 {
		t.Errorf("IsRole allocates %v times", n)
	}
}
