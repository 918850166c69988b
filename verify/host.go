package verify

import (
	"context"
	"math"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sync/singleflight"
)

// Host is what DNS says of a mail host's addresses, A and AAAA together.
type Host struct {
	Name      string       `json:"name"`
	Addresses []netip.Addr `json:"addresses"`
	CNAME     string       `json:"cname"` // final canonical name when Name is an alias
	Outcome   Outcome      `json:"outcome"`
	Reason    string       `json:"reason"` // why it failed, for Failed
	TTL       uint32       `json:"ttl"`
	Server    string       `json:"server"`
}

// Public reports whether the host has an address the internet can reach.
func (h Host) Public() bool {
	for _, a := range h.Addresses {
		if PublicAddr(a) {
			return true
		}
	}
	return false
}

var sharedNet = netip.MustParsePrefix("100.64.0.0/10")

// PublicAddr reports whether a mail server at a could take mail from the
// internet: not loopback, unspecified, private (RFC 1918, RFC 4193), shared
// (RFC 6598), link-local or multicast, nor in 0.0.0.0/8 or the broadcast
// address, which no host can be reached at.
func PublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsUnspecified() || a.IsPrivate() ||
		a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || sharedNet.Contains(a) {
		return false
	}
	if a.Is4() {
		b := a.As4()
		if b[0] == 0 || b == [4]byte{255, 255, 255, 255} {
			return false
		}
	}
	return true
}

// HostStore keeps host lookups beyond one run (the persistent cache). Get
// returns false for a miss or an expired entry.
type HostStore interface {
	GetHost(name string) (Host, bool)
	PutHost(h Host)
}

// hostCache resolves each mail host once while its TTL lasts: a provider's
// host may serve most of a list, and asking for it per domain would
// multiply the queries many times over. Names are in FoldName's form.
type hostCache struct {
	mu      sync.Mutex
	entries map[string]hostEntry
	group   singleflight.Group
	now     func() time.Time
	store   HostStore
}

type hostEntry struct {
	host    Host
	expires int64 // Unix nanoseconds: a third of a time.Time, per host of a long list
}

// failTTL keeps a failed lookup for a moment, so that a dead host shared by
// thousands of domains is not asked for once per domain.
const failTTL = 5 * time.Second

func newHostCache(now func() time.Time, store HostStore) *hostCache {
	return &hostCache{entries: make(map[string]hostEntry), now: now, store: store}
}

func (c *hostCache) get(ctx context.Context, ex Exchanger, name string) Host {
	if h, ok := c.cached(name); ok {
		return h
	}
	v, _, _ := c.group.Do(name, func() (any, error) {
		// Again inside the flight: a lookup that finished between the
		// check above and Do has already filled the entry.
		if h, ok := c.cached(name); ok {
			return h, nil
		}
		h := lookupHost(ctx, ex, name)
		if ctx.Err() != nil {
			// A cancelled lookup says nothing about the host.
			return h, nil
		}
		c.put(h)
		if c.store != nil && h.Outcome != Failed {
			c.store.PutHost(h)
		}
		return h, nil
	})
	return v.(Host)
}

// cached is the entry for name if it is still valid, from memory or from
// the persistent store.
func (c *hostCache) cached(name string) (Host, bool) {
	c.mu.Lock()
	e, ok := c.entries[name]
	c.mu.Unlock()
	if ok && c.now().UnixNano() < e.expires {
		return e.host, true
	}
	if c.store != nil {
		if h, ok := c.store.GetHost(name); ok {
			c.put(h)
			return h, true
		}
	}
	return Host{}, false
}

func (c *hostCache) put(h Host) {
	ttl := time.Duration(h.TTL) * time.Second
	if h.Outcome == Failed {
		ttl = failTTL
	}
	c.mu.Lock()
	c.entries[h.Name] = hostEntry{host: h, expires: c.now().Add(ttl).UnixNano()}
	c.mu.Unlock()
}

// lookupHost asks for A and AAAA: a host with either can take mail, and
// the result lists every address of the exchange.
func lookupHost(ctx context.Context, ex Exchanger, name string) Host {
	if _, err := netip.ParseAddr(name); err == nil {
		// RFC 5321 §5.1 wants a host name; "MX 10 192.0.2.1." names a host
		// under the TLD "1", which does not exist. Asking would only confirm.
		// No DNS record stands behind this verdict, so it must not cut
		// the TTL of the domain's result.
		return Host{Name: name, Outcome: NoName, Reason: "exchange is an IP address, not a host name", TTL: math.MaxUint32}
	}
	// Side by side: the two questions leave in one batch and their
	// answers come back together.
	var aaaa Lookup
	done := make(chan struct{})
	go func() {
		defer close(done)
		aaaa = resolve(ctx, ex, name, dns.TypeAAAA)
	}()
	a := resolve(ctx, ex, name, dns.TypeA)
	<-done
	return combineHost(name, a, aaaa)
}

func combineHost(name string, a, aaaa Lookup) Host {
	h := Host{Name: name, Server: a.Server}
	if h.CNAME = a.Canonical(); h.CNAME == "" {
		h.CNAME = aaaa.Canonical()
	}
	ttl := ^uint32(0)
	for _, l := range []Lookup{a, aaaa} {
		for _, rr := range l.Records {
			switch r := rr.(type) {
			case *dns.A:
				if ip, ok := netip.AddrFromSlice(r.A.To4()); ok {
					h.Addresses = append(h.Addresses, ip)
				}
			case *dns.AAAA:
				if ip, ok := netip.AddrFromSlice(r.AAAA.To16()); ok {
					h.Addresses = append(h.Addresses, ip)
				}
			}
		}
		if l.Outcome == Found {
			ttl = min(ttl, l.TTL)
		}
	}
	switch {
	case len(h.Addresses) > 0:
		h.Outcome = Found
		h.TTL = ttl
	case a.Outcome == Failed || aaaa.Outcome == Failed:
		h.Outcome = Failed
		h.TTL = 0
		failed := a
		if failed.Outcome != Failed {
			failed = aaaa
		}
		h.Reason = failed.Err.Error()
		h.Server = failed.Server
	case a.Outcome == NoName && aaaa.Outcome == NoName:
		h.Outcome = NoName
		h.TTL = min(a.TTL, aaaa.TTL)
	default:
		h.Outcome = NoData
		h.TTL = min(a.TTL, aaaa.TTL)
	}
	return h
}
