package triage

import "strings"

// roles are the role mailboxes, written without dots, hyphens or
// underscores (see IsRole):
//
//   - RFC 2142: info, marketing, sales, support, abuse, noc, security,
//     postmaster, hostmaster, usenet, news, webmaster, www, uucp, ftp;
//   - common ones: admin, administrator, root, sysadmin, it, mailerdaemon,
//     noreply, donotreply, notifications, billing, accounts, accounting,
//     finance, invoices, payments, contact, contactus, enquiries, enquiry,
//     inquiries, inquiry, help, helpdesk, hello, hi, office, team, staff,
//     all, everyone, hr, jobs, careers, recruiting, recruitment, press,
//     media, pr, privacy, legal, compliance, dpo, gdpr, orders, order,
//     shop, store, service, services, customerservice, customercare,
//     customersupport, care, feedback, newsletter, partners, reception,
//     bookings, booking, reservations, mail, email, list, subscribe,
//     unsubscribe, investors, ir, welcome.
//
// A name is in when, in lists we have seen, it nearly always reaches a
// team or a machine rather than a person; first names are left out even
// where a company might use one for a team.
var roles = map[string]struct{}{
	// RFC 2142
	"info": {}, "marketing": {}, "sales": {}, "support": {}, "abuse": {}, "noc": {},
	"security": {}, "postmaster": {}, "hostmaster": {}, "usenet": {}, "news": {},
	"webmaster": {}, "www": {}, "uucp": {}, "ftp": {},
	// Administration and machines
	"admin": {}, "administrator": {}, "root": {}, "sysadmin": {}, "it": {}, "mailerdaemon": {},
	"noreply": {}, "donotreply": {}, "notifications": {},
	// Money
	"billing": {}, "accounts": {}, "accounting": {}, "finance": {}, "invoices": {}, "payments": {},
	// Contact points
	"contact": {}, "contactus": {}, "enquiries": {}, "enquiry": {}, "inquiries": {}, "inquiry": {},
	"help": {}, "helpdesk": {}, "hello": {}, "hi": {}, "office": {}, "team": {}, "staff": {},
	"all": {}, "everyone": {}, "welcome": {},
	// People and press
	"hr": {}, "jobs": {}, "careers": {}, "recruiting": {}, "recruitment": {},
	"press": {}, "media": {}, "pr": {}, "privacy": {}, "legal": {}, "compliance": {}, "dpo": {}, "gdpr": {},
	"investors": {}, "ir": {},
	// Customers
	"orders": {}, "order": {}, "shop": {}, "store": {}, "service": {}, "services": {},
	"customerservice": {}, "customercare": {}, "customersupport": {}, "care": {}, "feedback": {},
	"newsletter": {}, "partners": {}, "reception": {}, "bookings": {}, "booking": {}, "reservations": {},
	// The mailbox itself
	"mail": {}, "email": {}, "list": {}, "subscribe": {}, "unsubscribe": {},
}

// maxRole bounds the work on a long local part: no role name is longer.
const maxRole = len("customersupport")

// IsRole reports whether a local part names a role mailbox (the list is
// in the doc comment of roles, above, and in the README). It is
// case-insensitive, ignores a +tag, surrounding quotes, and the dots,
// hyphens and underscores people write inside names: "No-Reply",
// "no_reply" and "noreply+orders" are all roles.
func IsRole(local string) bool {
	if len(local) >= 2 && local[0] == '"' && local[len(local)-1] == '"' {
		local = local[1 : len(local)-1]
	}
	if i := strings.IndexByte(local, '+'); i >= 0 {
		local = local[:i]
	}
	var buf [maxRole]byte
	n := 0
	for i := 0; i < len(local); i++ {
		c := local[i]
		switch {
		case c == '.' || c == '-' || c == '_':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z':
		default:
			return false // digits and the rest: not one of the names
		}
		if n == len(buf) {
			return false
		}
		buf[n] = c
		n++
	}
	_, ok := roles[string(buf[:n])] // no allocation: the compiler keys the lookup in place
	return ok
}
