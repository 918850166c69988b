//go:build !linux

package main

import "net"

// newBatchConn returns a batchConn over c.
func newBatchConn(c *net.UDPConn) batchConn { return portable(c) }
