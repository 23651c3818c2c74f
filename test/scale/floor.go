package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// A floorTarget is one kind of call the floor times. The floor calls each
// the same way, from the same client, in turn, so that their rows differ
// only by what answers.
type floorTarget struct {
	name string
	url  string
	body []byte // nil: a GET
	auth string // bearer token, if any
}

// Floor rows, in the order they are called.
const (
	floorName     = "floor: bare loopback HTTP round trip"
	minimalName   = "floor: minimal sync hook (test/floorhook), same request"
	hookFloorName = "hook server, same request, timed as the floors"
)

// floors times calls to each target in turn, rate calls a second in all,
// for d, each call on its own as Metacontroller's workers call the hook
// server. The first target is always a bare loopback round trip (a
// handler that only answers 304): no hook answers faster than the machine
// carries a request to it and back. Beside it, a minimal sync hook and the
// hook server, sent the same real sync request, show what the machine
// allows a hook that makes one GitHub request, and how near the hook
// server comes to it. Every call is timed, so the quantiles are exact.
func floors(ctx context.Context, rate float64, d time.Duration, targets ...floorTarget) ([]latency, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("loopback floor: %w", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotModified)
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	targets = append([]floorTarget{{name: floorName, url: "http://" + ln.Addr().String() + "/"}}, targets...)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}

	var (
		mu    sync.Mutex
		took  = make([][]time.Duration, len(targets))
		wg    sync.WaitGroup
		first error
	)
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	end := time.After(d)
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			wg.Wait() // no call outlives the server it calls
			return nil, ctx.Err()
		case <-end:
			wg.Wait()
			if first != nil {
				return nil, fmt.Errorf("floor: %w", first)
			}
			rows := make([]latency, len(targets))
			for i, t := range targets {
				rows[i] = floorRow(t.name, took[i], d)
			}
			return rows, nil
		case <-tick.C:
			i := n % len(targets)
			wg.Go(func() {
				start := time.Now()
				err := call(ctx, client, targets[i])
				elapsed := time.Since(start)
				mu.Lock()
				defer mu.Unlock()
				if err != nil && first == nil {
					first = fmt.Errorf("%s: %w", targets[i].name, err)
				}
				took[i] = append(took[i], elapsed)
			})
		}
	}
}

// call sends one request and reads the whole answer, which must be a 200
// to a POST and a 304 to a GET.
func call(ctx context.Context, client *http.Client, t floorTarget) error {
	method, want := http.MethodGet, http.StatusNotModified
	if t.body != nil {
		method, want = http.MethodPost, http.StatusOK
	}
	req, err := http.NewRequestWithContext(ctx, method, t.url, bytes.NewReader(t.body))
	if err != nil {
		return err
	}
	if t.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if t.auth != "" {
		req.Header.Set("Authorization", "Bearer "+t.auth)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %s, want %d", method, t.url, resp.Status, want)
	}
	return nil
}

// floorRow summarises timed calls as a row of the latency table.
func floorRow(name string, took []time.Duration, d time.Duration) latency {
	l := latency{Hook: name, Calls: float64(len(took)), CallsPerSecond: float64(len(took)) / d.Seconds(), ResolutionMs: num(math.NaN())}
	if len(took) == 0 {
		return l
	}
	slices.Sort(took)
	at := func(q float64) num { return num(took[int(q*float64(len(took)-1))].Seconds() * 1000) }
	within := 0
	for _, t := range took {
		if t <= 5*time.Millisecond {
			within++
		}
	}
	l.P50ms, l.P99ms = at(0.50), at(0.99)
	l.AtMost5ms = num(float64(within) / float64(len(took)))
	return l
}
