//go:build !linux

package main

import "net"

func newBatchConn(c *net.UDPConn) batchConn { return portableBatchConn(c) }
