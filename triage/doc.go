// Package triage turns mxverify's per-domain verdicts into what a list
// owner acts on, row by row: an action (send, suppress or retry) with a
// reason in plain words, the address as a sender would use it, duplicates,
// likely typos of a domain with the intended one, and role, free-mail and
// disposable flags.
//
// Everything here is pure: no network, no clock, no goroutines. The
// verdicts come from package verify; which domains a suggestion needs
// resolved is said by [Suggester.Needs], and resolving them is the
// caller's business.
//
// The embedded tables (providers.txt and disposable.txt) are read-only and
// parsed once, on first use. Functions and methods are safe for concurrent
// use except [Seen], which has one owner.
package triage
