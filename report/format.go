package report

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/mxverify/mxverify/verify"
)

// Reason says in plain words, for a list owner rather than a DNS
// administrator, what a domain's status means and what to do. implicit
// is verify.Result.ImplicitMX: a domain without mail servers of its own
// that takes mail itself.
func Reason(st verify.Status, implicit bool) string {
	switch st {
	case verify.Deliverable:
		return "Takes mail. Send."
	case verify.CNAMEMisconfigured:
		return "Takes mail, but its set-up breaks a rule a few senders enforce. Send; tell its owner if mail bounces."
	case verify.NoMX:
		if implicit {
			return "Has no separate mail server but takes mail itself. Send."
		}
		return "Exists but is not set up to receive mail. Check the spelling, or remove its addresses."
	case verify.NullMX:
		return "Says it accepts no mail at all. Remove its addresses."
	case verify.NXDomain:
		return "Does not exist. Check the spelling, or remove its addresses."
	case verify.DanglingMX:
		return "Its mail servers do not exist or cannot be reached. Remove its addresses, or check again later."
	case verify.Invalid:
		return "Not a valid domain name. Fix or remove its addresses."
	case verify.TempError:
		return "Could not be checked this time; that says nothing against it. Keep its addresses and check again later."
	}
	return "Could not be judged. Keep its addresses and check again later."
}

// Count writes n with thousands separators: 1,234,567.
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// Percent writes part of whole with one decimal: 4.2%. A share that
// rounds to 0.0% but is not zero shows as <0.1%, so that a few rows of a
// million still show.
func Percent(part, whole int64) string {
	if whole <= 0 {
		return "–"
	}
	p := 100 * float64(part) / float64(whole)
	if part > 0 && p < 0.05 {
		return "<0.1%"
	}
	return strconv.FormatFloat(math.Round(p*10)/10, 'f', 1, 64) + "%"
}

// Elapsed writes a run's duration for people: 850 ms, 4.2 s, 3 min 12 s,
// 2 h 5 min.
func Elapsed(seconds float64) string {
	d := time.Duration(seconds * float64(time.Second))
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}

// ExitMeaning says what a run's exit status told the scheduler.
func ExitMeaning(code int) string {
	switch code {
	case 0:
		return "0: done"
	case 2:
		return "2: done, but too many domains could not be checked (see retry)"
	}
	return strconv.Itoa(code)
}
