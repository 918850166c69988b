package cache_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mxverify/mxverify/io/cache"
)

// Two Opens in one process contend like two processes: flock locks belong
// to the open file description, and each Open makes its own.

func TestLockedFailsAtOnce(t *testing.T) {
	path := tempPath(t)
	// The holder keeps the lock for the whole test, so an Open that
	// returns at all did not wait for it.
	mustOpen(t, path, cache.Options{})
	c, err := cache.Open(path, cache.Options{})
	if err == nil {
		c.Close()
		t.Fatal("second Open succeeded")
	}
	if !strings.Contains(err.Error(), "(waited 0s)") {
		t.Errorf("error %q does not say it did not wait", err)
	}
	if !errors.Is(err, cache.ErrLocked) {
		t.Fatalf("error %v is not ErrLocked", err)
	}
	for _, want := range []string{"cache " + path + " is in use by another mxverify run", "--lock-timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestLockedWaitsThenFails(t *testing.T) {
	path := tempPath(t)
	mustOpen(t, path, cache.Options{})
	const wait = 200 * time.Millisecond
	start := time.Now()
	c, err := cache.Open(path, cache.Options{LockTimeout: wait})
	elapsed := time.Since(start)
	if err == nil {
		c.Close()
		t.Fatal("second Open succeeded")
	}
	if !errors.Is(err, cache.ErrLocked) {
		t.Fatalf("error %v is not ErrLocked", err)
	}
	// Only the lower bound: a busy machine makes it later, never sooner.
	if elapsed < wait {
		t.Errorf("gave up after %s, before the %s it was given", elapsed, wait)
	}
	if !strings.Contains(err.Error(), "(waited 200ms)") {
		t.Errorf("error %q does not say how long it waited", err)
	}
}

func TestLockedWaitsThenSucceeds(t *testing.T) {
	path := tempPath(t)
	first := mustOpen(t, path, cache.Options{Now: newClock().Now})
	first.Put(deliverable("example.com", 3600, t0))
	closed := make(chan error, 1)
	go func() {
		time.Sleep(100 * time.Millisecond)
		closed <- first.Close()
	}()
	second := mustOpen(t, path, cache.Options{LockTimeout: 10 * time.Second, Now: newClock().Now})
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	// The first run's last writes are there for the second.
	if _, found, fresh := second.Lookup("example.com"); !found || !fresh {
		t.Errorf("found=%v fresh=%v, want the first run's entry", found, fresh)
	}
}

func TestReopenAfterClose(t *testing.T) {
	path := tempPath(t)
	c := mustOpen(t, path, cache.Options{})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, path, cache.Options{})
}
