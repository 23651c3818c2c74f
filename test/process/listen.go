package process

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
)

// LoopbackAny is the address to give a child process to listen on: the
// kernel picks a free port, which the child reports (see ListenAddr).
// Reserving a port here, closing it and passing the number on would race
// with any other process taking the port in between.
const LoopbackAny = "127.0.0.1:0"

// ListenAddr waits, like WaitReady, for p's JSON log to hold the line with
// message msg and every field of match (nil: any), and returns its "addr":
// where a child told to listen on LoopbackAny says which port it got. The
// hook server, its webhook receiver and clientgo-mirror all log such a line
// once their listener is open, at level info.
func (p *Process) ListenAddr(ctx context.Context, msg string, match map[string]any) (string, error) {
	var addr string
	err := p.WaitReady(ctx, func(context.Context) error {
		var err error
		addr, err = loggedAddr(p.LogPath, msg, match)
		return err
	})
	return addr, err
}

// loggedAddr finds the "addr" of the first log line that ListenAddr wants.
func loggedAddr(path, msg string, match map[string]any) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	for line := range bytes.Lines(data) {
		var rec map[string]any
		if json.Unmarshal(line, &rec) != nil || rec["msg"] != msg || !hasFields(rec, match) {
			continue
		}
		if addr, ok := rec["addr"].(string); ok {
			return addr, nil
		}
	}
	return "", fmt.Errorf("no %q line with an addr in %s yet", msg, path)
}

func hasFields(rec, match map[string]any) bool {
	for k, v := range match {
		if rec[k] != v {
			return false
		}
	}
	return true
}

// FreePorts returns n distinct loopback ports that were free a moment ago,
// for the binaries that cannot listen on port 0 and say which port they got:
// kube-apiserver and kube-controller-manager take --secure-port=0 to mean
// "do not serve", etcd's member URLs must be known before it listens, and
// some binaries do not log their address. Another process may take a port
// between this check and the start, which then fails with the binary's log;
// every other listener uses LoopbackAny or a net.Listener handed on.
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", LoopbackAny)
		if err != nil {
			return nil, fmt.Errorf("find free port: %w", err)
		}
		// Held until all are found, so that the ports are distinct.
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
