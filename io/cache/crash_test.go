package cache_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/mxverify/mxverify/io/cache"
)

const crashEnv = "MXVERIFY_CACHE_CRASH_CHILD"

// TestCrashChild is the process that TestResumeAfterKill kills. It
// commits one batch, buffers a second, says so, and waits to die.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("run by TestResumeAfterKill")
	}
	c, err := cache.Open(path, cache.Options{CommitEvery: time.Hour, Now: func() time.Time { return t0 }})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	for i := range 100 {
		c.Put(deliverable(fmt.Sprintf("committed%d.example", i), 86400, t0))
	}
	if err := c.Commit(); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	for i := range 100 {
		c.Put(deliverable(fmt.Sprintf("pending%d.example", i), 86400, t0))
	}
	fmt.Println("ready")
	time.Sleep(time.Minute)
	os.Exit(2) // never reached when the test works
}

// TestResumeAfterKill kills a process holding the cache with SIGKILL: what
// it committed survives, what it had only buffered is asked again, the
// file opens cleanly and the lock died with the process.
func TestResumeAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := tempPath(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child said %q, %v", line, err)
	}
	// The child holds the lock until it dies.
	if c, err := cache.Open(path, cache.Options{}); err == nil {
		c.Close()
		t.Fatal("opened while the child holds the cache")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	c := mustOpen(t, path, cache.Options{Now: func() time.Time { return t0.Add(time.Hour) }})
	for i := range 100 {
		if _, found, fresh := c.Lookup(fmt.Sprintf("committed%d.example", i)); !found || !fresh {
			t.Fatalf("committed%d.example: found=%v fresh=%v after the crash", i, found, fresh)
		}
		if _, found, _ := c.Lookup(fmt.Sprintf("pending%d.example", i)); found {
			t.Fatalf("pending%d.example found, but it was never committed", i)
		}
	}
}
