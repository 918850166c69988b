package verify

import (
	"net/netip"
	"time"
)

// Roles of an exchange (RFC 5321 §5.1): every exchange at the lowest
// preference is a primary, the rest are backups.
const (
	RolePrimary = "primary"
	RoleBackup  = "backup"
)

// Exchange is one MX target of a domain.
type Exchange struct {
	Preference uint16       `json:"preference"`
	Host       string       `json:"host"` // A-label, lower case, no trailing dot
	Role       string       `json:"role"`
	Addresses  []netip.Addr `json:"addresses"`
	// CNAME is the final canonical name when Host is an alias (a
	// misconfiguration), empty otherwise.
	CNAME string `json:"cname"`
}

// Result is the verdict on one domain. The JSON form is the per-domain
// record of the JSONL output and of the persistent cache.
type Result struct {
	Domain     string     `json:"domain"`
	Status     Status     `json:"status"`
	Reason     string     `json:"reason"`
	MX         []Exchange `json:"mx"`
	ImplicitMX bool       `json:"implicit_mx"`
	// TTL is the smallest TTL, in seconds, of the records that decided the
	// status; for negative answers the RFC 2308 negative-caching TTL.
	TTL       uint32    `json:"ttl"`
	CheckedAt time.Time `json:"checked_at"`
	// Resolver is the server whose answer decided the status (for
	// temp_error, the last one asked).
	Resolver string `json:"resolver"`
}
