package verify

import "strings"

// EmailHeader reports whether a column name says the column holds email
// addresses: email, e-mail, email_address or mail, in any case and with
// spaces around. The pipeline picks the email column by it, and the CSV
// reader takes a first record that holds one of these names for a header
// row, so both must read the same list.
func EmailHeader(name string) bool {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "email", "e-mail", "email_address", "mail":
		return true
	}
	return false
}
