package verify

import (
	"context"
	"math"
	"net/netip"
	"strings"
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
// multiply the queries many times over.
type hostCache struct {
	mu      sync.Mutex
	entries map[string]hostEntry
	group   singleflight.Group
	now     func() time.Time
	store   HostStore
	// failTTL keeps a failed lookup for a moment, so that a dead host shared
	// by thousands of domains is not asked for once per domain.
	failTTL time.Duration
}

type hostEntry struct {
	host    Host
	expires int64 // Unix nanoseconds: a third of a time.Time, per host of a long list
}

func (c *hostCache) get(ctx context.Context, client *Client, name string) Host {
	key := strings.ToLower(strings.TrimSuffix(name, "."))
	now := c.now()
	if h, ok := c.cached(key, now); ok {
		return h
	}
	v, _, _ := c.group.Do(key, func() (any, error) {
		// Again inside the flight: a lookup that finished between the
		// check above and Do has already filled the entry.
		if h, ok := c.cached(key, now); ok {
			return h, nil
		}
		h := lookupHost(ctx, client, key)
		if ctx.Err() != nil {
			// A cancelled lookup says nothing about the host.
			return h, nil
		}
		c.put(key, h, now)
		if c.store != nil && h.Outcome != Failed {
			c.store.PutHost(h)
		}
		return h, nil
	})
	return v.(Host)
}

// cached is the entry for key if it is still valid, from memory or from
// the persistent store.
func (c *hostCache) cached(key string, now time.Time) (Host, bool) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.UnixNano() < e.expires {
		return e.host, true
	}
	if c.store != nil {
		if h, ok := c.store.GetHost(key); ok {
			c.put(key, h, now)
			return h, true
		}
	}
	return Host{}, false
}

func (c *hostCache) put(key string, h Host, now time.Time) {
	ttl := time.Duration(h.TTL) * time.Second
	if h.Outcome == Failed {
		ttl = c.failTTL
	}
	c.mu.Lock()
	c.entries[key] = hostEntry{host: h, expires: now.Add(ttl).UnixNano()}
	c.mu.Unlock()
}

// lookupHost asks for A and AAAA at once: a host with either can take mail,
// and the answer lists every address of the exchange.
func lookupHost(ctx context.Context, client *Client, name string) Host {
	h := Host{Name: name}
	if _, err := netip.ParseAddr(name); err == nil {
		// RFC 5321 §5.1 wants a host name; "MX 10 192.0.2.1." names a host
		// under the TLD "1", which does not exist. Asking would only confirm.
		h.Outcome = NoName
		h.Reason = "exchange is an IP address, not a host name"
		// No DNS record stands behind this verdict, so it must not cut
		// the TTL of the domain's result.
		h.TTL = math.MaxUint32
		return h
	}
	ansA, errA, ansAAAA, errAAAA := client.queryPair(ctx, dns.Fqdn(name), dns.TypeA, dns.TypeAAAA)
	a := follow(ctx, client, name, dns.TypeA, ansA, errA)
	aaaa := follow(ctx, client, name, dns.TypeAAAA, ansAAAA, errAAAA)
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
