package verify

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Config sets up a Resolver.
type Config struct {
	ClientConfig
	// Now is the clock for CheckedAt and cache expiry; default time.Now.
	Now func() time.Time
	// Hosts, when set, keeps exchange lookups across runs.
	Hosts HostStore
}

// Resolver verifies domains. It is synchronous and safe for concurrent use:
// the caller decides how many domains are in flight, and the client's
// in-flight bound and rate limit hold across all of them.
type Resolver struct {
	client *Client
	now    func() time.Time
	hosts  *hostCache
}

// New opens a Resolver; Close releases its sockets.
func New(cfg Config) (*Resolver, error) {
	c, err := NewClient(cfg.ClientConfig)
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Resolver{
		client: c,
		now:    now,
		hosts: &hostCache{
			entries: make(map[string]hostEntry),
			now:     now,
			store:   cfg.Hosts,
			failTTL: 5 * time.Second,
		},
	}, nil
}

// Close releases the sockets.
func (r *Resolver) Close() error { return r.client.Close() }

// Stats reports the queries sent so far.
func (r *Resolver) Stats() ClientStats { return r.client.Stats() }

// Verify resolves and classifies one domain, given as a lower-case A-label
// without a trailing dot (see Domain). DNS failures come back as TempError
// in the Result, never as a Go error; a cancelled ctx gives TempError too.
func (r *Resolver) Verify(ctx context.Context, domain string) Result {
	checked := r.now().UTC()
	ctx, err := r.client.AwaitStart(ctx)
	if err != nil {
		return Result{Domain: domain, Status: TempError, Reason: "not checked: " + err.Error(), CheckedAt: checked}
	}
	mx := resolve(ctx, r.client, domain, dns.TypeMX)
	in := Evidence{Domain: domain, MX: mx}
	switch mx.Outcome {
	case NoData:
		// RFC 5321 §5.1: without MX the domain's own address is the mail
		// host; after an alias, the canonical name is "the initial name".
		name := domain
		if c := mx.Canonical(); c != "" {
			name = c
		}
		h := r.hosts.get(ctx, r.client, name)
		in.Implicit = &h
	case Found:
		in.Hosts = r.lookupExchanges(ctx, mx.Records)
	}
	res := Classify(in)
	res.CheckedAt = checked
	return res
}

// lookupExchanges resolves the distinct exchanges of an MX set at once.
func (r *Resolver) lookupExchanges(ctx context.Context, rrs []dns.RR) []Host {
	names := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		mx, ok := rr.(*dns.MX)
		if !ok || mx.Mx == "." {
			continue
		}
		// MX sets are small: a scan dedupes them without a map.
		if name := strings.ToLower(strings.TrimSuffix(mx.Mx, ".")); !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	hosts := make([]Host, len(names))
	if len(names) == 1 {
		hosts[0] = r.hosts.get(ctx, r.client, names[0])
		return hosts
	}
	// Most exchanges are providers' shared hosts, known already: only the
	// others are looked up, side by side when there are several. A
	// goroutine per exchange, known or not, grew a stack for nothing for
	// most of them; and the last unknown one is looked up here, on this
	// goroutine's grown stack, since a new goroutine's stack is copied
	// twice on the way to a query: 4% of a latency run's CPU when every
	// unknown exchange had its own.
	now := r.hosts.now()
	missing := make([]int, 0, len(names))
	for i, name := range names {
		if h, ok := r.hosts.cached(name, now); ok {
			hosts[i] = h
		} else {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return hosts
	}
	var wg sync.WaitGroup
	last := len(missing) - 1
	for _, i := range missing[:last] {
		wg.Go(func() { hosts[i] = r.hosts.get(ctx, r.client, names[i]) })
	}
	i := missing[last]
	hosts[i] = r.hosts.get(ctx, r.client, names[i])
	wg.Wait()
	return hosts
}
