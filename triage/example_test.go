package triage_test

import (
	"fmt"

	"github.com/mxverify/mxverify/triage"
	"github.com/mxverify/mxverify/verify"
)

func ExampleActionOf() {
	for _, res := range []verify.Result{
		{Status: verify.Deliverable},
		{Status: verify.NoMX, ImplicitMX: true},
		{Status: verify.NoMX},
		{Status: verify.TempError},
	} {
		fmt.Println(res.Status, res.ImplicitMX, triage.ActionOf(res))
	}
	// Output:
	// deliverable false send
	// no_mx true send
	// no_mx false suppress
	// temp_error false retry
}

func ExampleDecide() {
	suppressIf, err := triage.ParseSuppressIf("role,duplicate")
	if err != nil {
		panic(err)
	}
	ok := verify.Result{Status: verify.Deliverable}
	for _, row := range []triage.Row{
		{Result: ok},
		{Result: ok, Flags: triage.FlagRole},
		{Result: verify.Result{Status: verify.NXDomain}, Suggestion: "anna@gmail.com"},
	} {
		action, reason := triage.Decide(row, suppressIf)
		fmt.Printf("%s: %s\n", action, reason)
	}
	// Output:
	// send: The domain accepts mail: send to this address.
	// suppress: Suppressed as asked, because it is a role address (info@, sales@ and the like), read by a team or by no one in particular. Mail could otherwise reach it.
	// suppress: The domain does not exist: no mail can reach this address. Check the spelling or remove it. Did you mean anna@gmail.com?
}

func ExampleParseSuppressIf() {
	_, err := triage.ParseSuppressIf("role,free")
	fmt.Println(err)
	// Output:
	// unknown flag "free": want role, disposable or duplicate
}

func ExampleSenderAddress() {
	for _, cell := range []string{
		" Anna Smith <Anna.Smith@Example.COM> ",
		"MAILTO:anna@Bücher.DE?subject=Hi",
		"anna@XN--BCHER-KVA.DE",
		"anna@gmail,com",
	} {
		fmt.Printf("%q\n", triage.SenderAddress(cell))
	}
	// Output:
	// "Anna.Smith@example.com"
	// "anna@bücher.de"
	// "anna@xn--bcher-kva.de"
	// ""
}

func ExampleParse() {
	a, err := triage.Parse("Anna <anna@gmail,com>")
	fmt.Println(a.Problem, a.DomainPart, a.SuggestKey(), err != nil)
	// Output:
	// bad_domain gmail,com gmail,com true
}

func ExampleIsRole() {
	for _, local := range []string{"info", "No-Reply", "sales+eu", "anna"} {
		fmt.Println(local, triage.IsRole(local))
	}
	// Output:
	// info true
	// No-Reply true
	// sales+eu true
	// anna false
}

func ExampleDisposable_Has() {
	d, err := triage.LoadDisposable() // the embedded list alone
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Has("mailinator.com"), d.Has("inbox.mailinator.com"), d.Has("gmail.com"))
	// Output:
	// true true false
}
