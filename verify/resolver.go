// Package verify decides whether a domain can receive mail: it checks
// addresses, looks up a domain's MX records, follows aliases, resolves the
// mail hosts and classifies what DNS said into a Status. It asks DNS
// through an Exchanger; package dnsclient is the one it opens.
package verify

import (
	"context"
	"time"

	"github.com/miekg/dns"

	"github.com/mxverify/mxverify/verify/dnsclient"
)

// Exchanger asks DNS one question. It returns the final answer, NOERROR
// or NXDOMAIN, and the server that gave it, or the reason there is none
// (server is then the last one asked). *dnsclient.Client satisfies it.
type Exchanger interface {
	Exchange(ctx context.Context, name string, qtype uint16) (m *dns.Msg, server string, err error)
}

// ClientConfig configures the DNS client New opens: servers, timeout,
// retries, rate limit and in-flight bound.
type ClientConfig = dnsclient.Config

// Config sets up a Resolver.
type Config struct {
	ClientConfig
	// Now is the clock for CheckedAt and cache expiry; default time.Now.
	Now func() time.Time
	// Hosts, when set, keeps mail host lookups across runs.
	Hosts HostStore
}

// Resolver verifies domains. It is synchronous and safe for concurrent use:
// the caller decides how many domains are in flight, and the client's
// in-flight bound and rate limit hold across all of them.
type Resolver struct {
	client *dnsclient.Client
	ex     Exchanger // client, or a fake in tests
	// start asks a domain's first question: the client's Starter, which
	// under a rate limit lets the domains under way go first.
	start Exchanger
	now   func() time.Time
	hosts *hostCache
}

// New opens a DNS client and a Resolver over it; Close releases its sockets.
func New(cfg Config) (*Resolver, error) {
	c, err := dnsclient.New(cfg.ClientConfig)
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Resolver{client: c, ex: c, start: c.Starter(), now: now, hosts: newHostCache(now, cfg.Hosts)}, nil
}

// Close releases the sockets.
func (r *Resolver) Close() error { return r.client.Close() }

// Stats reports the queries sent so far.
func (r *Resolver) Stats() dnsclient.Stats { return r.client.Stats() }

// Verify resolves and classifies one domain, given as a lower-case A-label
// without a trailing dot (see Address). DNS failures come back as TempError
// in the Result, never as a Go error; a cancelled ctx gives TempError too.
func (r *Resolver) Verify(ctx context.Context, domain string) Result {
	checked := r.now().UTC()
	mx := resolve(ctx, r.start, domain, dns.TypeMX)
	in := Evidence{Domain: domain, MX: mx}
	switch mx.Outcome {
	case NoData:
		// RFC 5321 §5.1: without MX the domain's own address is the mail
		// host; after an alias, the canonical name is "the initial name".
		name := domain
		if c := mx.Canonical(); c != "" {
			name = c
		}
		h := r.hosts.get(ctx, r.ex, name)
		in.Implicit = &h
	case Found:
		// One host after another (a host's A and AAAA go together): the caller
		// decides how many domains, and so queries, are in flight.
		xs, _ := exchanges(mx.Records)
		in.Hosts = make([]Host, 0, len(xs))
		for _, x := range xs {
			in.Hosts = append(in.Hosts, r.hosts.get(ctx, r.ex, x.Host))
		}
	}
	res := Classify(in)
	res.CheckedAt = checked
	return res
}
