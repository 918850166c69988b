package verify

// Status is the verdict on one domain's mail set-up. Its string form is the
// value written to every output format, so the constants never change.
type Status string

// The statuses, in the order the README explains them.
const (
	// Deliverable: at least one exchange has a public address of its own.
	Deliverable Status = "deliverable"
	// NullMX: the domain publishes "MX 0 ." and so accepts no mail (RFC 7505).
	NullMX Status = "null_mx"
	// CNAMEMisconfigured: exchanges resolve only through aliases, which
	// RFC 2181 §10.3 and RFC 5321 §5.1 forbid for MX targets.
	CNAMEMisconfigured Status = "cname_misconfigured"
	// NoMX: the name exists but publishes no MX; Result.ImplicitMX tells
	// whether its own address can take mail instead (RFC 5321 §5.1).
	NoMX Status = "no_mx"
	// NXDomain: the name does not exist (RFC 1035, RFC 6604 for aliases).
	NXDomain Status = "nxdomain"
	// DanglingMX: MX records exist but no exchange has a public address.
	DanglingMX Status = "dangling_mx"
	// TempError: DNS did not give an answer. It says nothing about the
	// domain and must never be treated as undeliverable.
	TempError Status = "temp_error"
	// Invalid: rejected before any DNS query (syntax, special-use name).
	Invalid Status = "invalid"
)

// Statuses lists every status in a stable order, for summaries and metrics.
var Statuses = [...]Status{Deliverable, NullMX, CNAMEMisconfigured, NoMX, NXDomain, DanglingMX, TempError, Invalid}

// Valid reports whether s is one of the defined statuses.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}
