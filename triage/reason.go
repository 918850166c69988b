package triage

import (
	"strings"

	"github.com/mxverify/mxverify/verify"
)

// The reasons speak about the address and what to do, in words a list
// owner uses: no record types, no protocol names, no RFC numbers. The
// technical detail stays in the per-domain reason. Each is a constant, so
// that a row without remarks costs no allocation.
const (
	reasonDeliverable = "The domain accepts mail: send to this address."
	reasonImplicit    = "The domain has no separate mail server but takes mail itself: mail can reach this address. Send to it."
	reasonMisSetUp    = "The domain takes mail, but its mail set-up breaks a rule that a few senders enforce. Send; if mail to it bounces, tell the domain's owner to fix the set-up."
	reasonNullMX      = "The domain says it accepts no mail at all: nothing sent to this address can arrive. Remove it."
	reasonNoMail      = "The domain exists but is not set up to receive mail: nothing sent to this address can arrive. Check the spelling or remove it."
	reasonNoDomain    = "The domain does not exist: no mail can reach this address. Check the spelling or remove it."
	reasonDangling    = "The domain's mail servers do not exist or cannot be reached from the internet: no mail can reach this address. Check the spelling or remove it."
	reasonTempError   = "The domain could not be checked this time, which says nothing against the address. Keep it and check again later."
	reasonUnknown     = "The address could not be judged. Keep it and check again later."
	reasonInvalid     = "This is not a valid email address. Fix or remove it."
)

// problemReasons are the reasons for a cell without a valid address, by
// Problem.
var problemReasons = [...]string{
	NoProblem:  reasonInvalid,
	Empty:      "The cell holds no email address. Fill it in or remove the row.",
	NotAddress: "This is not an email address: it has no @. Fix or remove it.",
	Literal:    "The address names a server by its number instead of by a domain; it cannot be checked and most senders refuse it. Ask for another address or remove it.",
	BadLocal:   "The part before the @ has characters, spaces or dots that an email address cannot have. Fix or remove it.",
	TooLong:    "The address is longer than email allows. Fix or remove it.",
	BadDomain:  "The part after the @ is not a valid domain name, often because of a comma, a space or a doubled dot. Fix the spelling or remove it.",
	Reserved:   "The domain is a private or reserved name that never receives mail from the internet. Ask for another address or remove it.",
}

// baseReason is the reason for the row's verdict alone.
func baseReason(r Row) string {
	if r.Problem != NoProblem {
		if int(r.Problem) < len(problemReasons) {
			return problemReasons[r.Problem]
		}
		return reasonInvalid
	}
	switch r.Result.Status {
	case verify.Deliverable:
		return reasonDeliverable
	case verify.CNAMEMisconfigured:
		return reasonMisSetUp
	case verify.NoMX:
		if r.Result.ImplicitMX {
			return reasonImplicit
		}
		return reasonNoMail
	case verify.NullMX:
		return reasonNullMX
	case verify.NXDomain:
		return reasonNoDomain
	case verify.DanglingMX:
		return reasonDangling
	case verify.TempError:
		return reasonTempError
	case verify.Invalid:
		return reasonInvalid
	default:
		return reasonUnknown
	}
}

// Clauses for the flags, shared by the notes on a row that is sent and the
// reason of a row suppressed for them.
const (
	clauseDuplicate  = "the same address is on an earlier row"
	clauseRole       = "it is a role address (info@, sales@ and the like), read by a team or by no one in particular"
	clauseDisposable = "the domain hands out throwaway addresses that stop working after a while"
)

// suppressedReason says which of the owner's --suppress-if flags removed
// an address that mail could reach.
func suppressedReason(hit Flags) string {
	parts := make([]string, 0, 3)
	if hit&FlagDuplicate != 0 {
		parts = append(parts, clauseDuplicate)
	}
	if hit&FlagRole != 0 {
		parts = append(parts, clauseRole)
	}
	if hit&FlagDisposable != 0 {
		parts = append(parts, clauseDisposable)
	}
	return "Suppressed as asked, because " + strings.Join(parts, ", and ") + ". Mail could otherwise reach it."
}

// withNotes adds the remarks of a row that is sent all the same.
func withNotes(reason string, f Flags) string {
	if f&(FlagDuplicate|FlagRole|FlagDisposable) == 0 {
		return reason
	}
	var b strings.Builder
	b.WriteString(reason)
	note := func(clause string) {
		b.WriteString(" Note: ")
		b.WriteString(clause)
		b.WriteByte('.')
	}
	if f&FlagDuplicate != 0 {
		note(clauseDuplicate)
	}
	if f&FlagRole != 0 {
		note(clauseRole)
	}
	if f&FlagDisposable != 0 {
		note(clauseDisposable)
	}
	return b.String()
}
