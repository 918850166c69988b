package triage

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mxverify/mxverify/verify"
)

// Action is what a list owner should do with an address. Its string form
// is the mx_action value written to every output format.
type Action string

// The actions.
const (
	// Send: mail can reach the address.
	Send Action = "send"
	// Suppress: mail cannot reach it, or the owner asked to leave it out.
	Suppress Action = "suppress"
	// Retry: it could not be checked; check again later, never drop it.
	Retry Action = "retry"
)

// ActionOf is the one rule from a verdict to an action:
//
//   - send: deliverable; no_mx with implicit MX (the domain's own address
//     takes mail); cname_misconfigured (most senders deliver);
//   - suppress: invalid, nxdomain, null_mx, no_mx without implicit MX,
//     dangling_mx;
//   - retry: temp_error, which is a failure to get an answer and never a
//     reason to suppress. A status this package does not know is treated
//     the same way, for the same reason.
func ActionOf(res verify.Result) Action {
	switch res.Status {
	case verify.Deliverable, verify.CNAMEMisconfigured:
		return Send
	case verify.NoMX:
		if res.ImplicitMX {
			return Send
		}
		return Suppress
	case verify.Invalid, verify.NXDomain, verify.NullMX, verify.DanglingMX:
		return Suppress
	default: // verify.TempError, and any status added later
		return Retry
	}
}

// Flags are the per-address remarks that do not come from DNS.
type Flags uint8

// The flags. Only FlagRole, FlagDisposable and FlagDuplicate can be made
// to suppress an address (see ParseSuppressIf); a free-mail address is as
// good as any.
const (
	FlagRole       Flags = 1 << iota // a role mailbox: info@, sales@, … (IsRole)
	FlagFree                         // a free mailbox provider's domain (IsFree)
	FlagDisposable                   // a disposable-address domain (Disposable.Has)
	FlagDuplicate                    // the same address is on an earlier row (Seen.Add)
)

// suppressible are the flags ParseSuppressIf accepts.
const suppressible = FlagRole | FlagDisposable | FlagDuplicate

var flagNames = [...]struct {
	flag Flags
	name string
}{{FlagRole, "role"}, {FlagFree, "free"}, {FlagDisposable, "disposable"}, {FlagDuplicate, "duplicate"}}

// String lists the flags set, comma-separated, in a fixed order.
func (f Flags) String() string {
	var b strings.Builder
	for _, n := range flagNames {
		if f&n.flag != 0 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(n.name)
		}
	}
	return b.String()
}

// ErrUnknownFlag is wrapped by ParseSuppressIf's errors.
var ErrUnknownFlag = errors.New("unknown flag")

// ParseSuppressIf reads the value of --suppress-if: a comma-separated list
// of role, disposable and duplicate (spaces around names allowed). The
// empty string suppresses nothing.
func ParseSuppressIf(s string) (Flags, error) {
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	var f Flags
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		var hit Flags
		for _, n := range flagNames {
			if n.name == name && n.flag&suppressible != 0 {
				hit = n.flag
			}
		}
		if hit == 0 {
			return 0, fmt.Errorf("%w %q: want role, disposable or duplicate", ErrUnknownFlag, name)
		}
		f |= hit
	}
	return f, nil
}

// Row is what Decide needs to know about one address row.
type Row struct {
	// Result is the row's verdict: its domain's, or the Invalid result
	// the pipeline gives a row whose cell holds no valid address.
	Result verify.Result
	// Problem is Parse's: why the cell holds no valid address. A row with
	// a problem is suppressed whatever Result says.
	Problem Problem
	// Flags are the row's remarks (role, free, disposable, duplicate).
	Flags Flags
	// Suggestion is the row's mx_suggestion, named in the reason.
	Suggestion string
}

// Decide gives a row's action and its reason in plain words. A row that
// ActionOf would send is suppressed instead when it has one of the flags
// in suppressIf; the reason then says which. Rows to suppress or retry
// for their verdict keep that action whatever their flags: a duplicate of
// a row to retry is retried too.
func Decide(r Row, suppressIf Flags) (Action, string) {
	action := ActionOf(r.Result)
	if r.Problem != NoProblem {
		action = Suppress
	}
	reason := baseReason(r)
	if action == Send {
		if hit := r.Flags & suppressIf & suppressible; hit != 0 {
			return Suppress, suppressedReason(hit)
		}
		reason = withNotes(reason, r.Flags)
	}
	if r.Suggestion != "" {
		reason += " Did you mean " + r.Suggestion + "?"
	}
	return action, reason
}
