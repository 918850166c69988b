//go:build !linux

package dnsclient

import "net"

func newBatchConn(c *net.UDPConn) batchConn { return xnetBatch(c) }
