//go:build !linux

package mmsg

import "net"

// New returns a Conn over c.
func New(c *net.UDPConn) Conn { return portable(c) }
