package main

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// loopbackFloor times bare HTTP round trips on this machine: a handler
// that only answers 304, called over loopback rate times a second for d,
// each call on its own as Metacontroller's workers call the hook server.
// No hook answers faster than the machine carries a request to it and back,
// and the hook's one GitHub request is such a round trip too, so this is
// the floor of the hook's latency measured beside it. Its quantiles are
// exact: every call is timed.
func loopbackFloor(ctx context.Context, rate float64, d time.Duration) (latency, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return latency{}, fmt.Errorf("loopback floor: %w", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotModified)
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	url := "http://" + ln.Addr().String() + "/"

	var (
		mu    sync.Mutex
		took  []time.Duration
		wg    sync.WaitGroup
		first error
	)
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	end := time.After(d)
loop:
	for {
		select {
		case <-ctx.Done():
			wg.Wait() // no call outlives the server it calls
			return latency{}, ctx.Err()
		case <-end:
			break loop
		case <-tick.C:
			wg.Go(func() {
				start := time.Now()
				err := roundTrip(ctx, client, url)
				mu.Lock()
				defer mu.Unlock()
				if err != nil && first == nil {
					first = err
				}
				took = append(took, time.Since(start))
			})
		}
	}
	wg.Wait()
	if first != nil {
		return latency{}, fmt.Errorf("loopback floor: %w", first)
	}
	return floorRow(took, d), nil
}

func roundTrip(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// floorRow summarises timed calls as a row of the latency table.
func floorRow(took []time.Duration, d time.Duration) latency {
	l := latency{Hook: floorName, Calls: float64(len(took)), CallsPerSecond: float64(len(took)) / d.Seconds(), ResolutionMs: num(math.NaN())}
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

// floorName is the floor's row in the latency table.
const floorName = "floor: bare loopback HTTP round trip"
