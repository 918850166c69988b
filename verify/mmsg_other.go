//go:build !linux

package verify

import "net"

func newBatchConn(conn *net.UDPConn, v6 bool) batchConn { return portableBatchConn(conn, v6) }
