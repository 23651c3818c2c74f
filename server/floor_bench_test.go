package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hookops/hookops/hooks/metacontroller"
	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/process"
	"github.com/hookops/hookops/test/reference"
)

// BenchmarkHookServerVsFloor loads the hook server binary with steady-state
// syncs (each answered by one conditional GET and a 304 from the fake) on
// 16 connections, and beside it, in the same run, a minimal handler doing
// the same work in a process of its own (test/floorhook): decode the
// request, one conditional GET, encode the answer. It reports the hook
// server's throughput and p99 as ratios to the floor's, its peak live heap
// and resident memory under that load, and the bytes it allocates per sync.
func BenchmarkHookServerVsFloor(b *testing.B) {
	const conns, rounds, run = 16, 4, 2 * time.Second
	_, base := fake.Start(b, fake.WithLimits(fake.Limits{ContentPerMinute: 1 << 30, ContentPerHour: 1 << 30, PointsPerMinute: 1 << 30,
		MaxConcurrent: 1 << 20, PrimaryLimit: 1 << 30}))
	hook, prof := startHookServer(b)
	body := steadyState(b, hook, base)
	floor := startFloor(b)
	for range b.N {
		var f, h loadResult
		before := memory(b, hook)
		peak, stop := sampleMemory(b, hook)
		// Short rounds, alternating which goes first, so that a change
		// in the machine's load favours neither.
		for i := range rounds {
			if i%2 == 0 {
				f.add(load(b, floor+"/sync", body, conns, run))
			}
			// HOOKOPS_BENCH_PROFILE=FILE keeps a CPU profile of the hook
			// server under its first round of load, for go tool pprof.
			if out := os.Getenv("HOOKOPS_BENCH_PROFILE"); out != "" && i == 0 {
				go saveProfile(b, prof, "profile?seconds=2", out)
			}
			h.add(load(b, hook+"/hooks/githubrepo/sync", body, conns, run))
			if i%2 == 1 {
				f.add(load(b, floor+"/sync", body, conns, run))
			}
		}
		stop()
		after := memory(b, hook)
		if out := os.Getenv("HOOKOPS_BENCH_PROFILE"); out != "" {
			// Cumulative, so dominated by the load.
			saveProfile(b, prof, "allocs", out+".allocs")
		}
		b.ReportMetric(h.rate()/f.rate(), "x-floor-throughput")
		b.ReportMetric(float64(h.quantile(0.99))/float64(f.quantile(0.99)), "x-floor-p99")
		b.ReportMetric(h.rate(), "syncs/s")
		b.ReportMetric(f.rate(), "floor-syncs/s")
		b.ReportMetric(float64(h.quantile(0.5).Microseconds()), "p50-µs")
		b.ReportMetric(float64(h.quantile(0.99).Microseconds()), "p99-µs")
		b.ReportMetric(float64(f.quantile(0.99).Microseconds()), "floor-p99-µs")
		b.ReportMetric(peak.live/(1<<20), "live-heap-MiB")
		b.ReportMetric(peak.rss/(1<<20), "rss-MiB")
		b.ReportMetric((after.allocated-before.allocated)/float64(len(h.lat))/(1<<10), "alloc-KiB/sync")
	}
}

// startFloor runs test/floorhook, the least a sync hook can do, in a
// process of its own as the hook server runs in one, and returns its URL.
func startFloor(b *testing.B) string {
	addr := freeAddrs(b, 1)[0]
	return serveBinary(b, "./test/floorhook", addr, "--addr", addr)
}

// startHookServer runs the hook server binary with every GitHub limit off
// (this measures the server, not the budget) and returns its URL.
func startHookServer(b *testing.B) (url, pprofURL string) {
	addrs := freeAddrs(b, 2)
	url = serveBinary(b, "./server", addrs[0], "--addr", addrs[0], "--log-level", "warn", "--pprof-addr", addrs[1],
		"--deletion-guard-window=0", "--github-content-limits=none", "--github-points-limits=none", "--github-in-flight=1000", "--github-write-gap=0")
	return url, "http://" + addrs[1]
}

func freeAddrs(b *testing.B, n int) []string {
	ports, err := process.FreePorts(n)
	if err != nil {
		b.Fatal(err)
	}
	addrs := make([]string, n)
	for i, p := range ports {
		addrs[i] = fmt.Sprintf("127.0.0.1:%d", p)
	}
	return addrs
}

// serveBinary builds pkg, runs it with args, waits for /readyz at addr and
// returns its URL.
func serveBinary(b *testing.B, pkg, addr string, args ...string) string {
	dir := b.TempDir()
	name := filepath.Base(pkg)
	bin := filepath.Join(dir, name)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := process.Build(ctx, reference.RepoRoot(), pkg, bin); err != nil {
		b.Fatal(err)
	}
	p, err := process.Start(dir, name, nil, bin, args...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Stop(5 * time.Second) })
	if err := p.WaitReady(ctx, process.HTTPOK(nil, "http://"+addr+"/readyz")); err != nil {
		b.Fatal(err)
	}
	return "http://" + addr
}

// saveProfile keeps one of the hook server's pprof profiles (a path under
// /debug/pprof/) in the file out.
func saveProfile(b *testing.B, pprofURL, profile, out string) {
	res, err := http.Get(pprofURL + "/debug/pprof/" + profile)
	if err != nil {
		b.Error(err)
		return
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if err := os.WriteFile(out, data, 0o644); err != nil {
		b.Error(err)
	}
}

// steadyState syncs the fixture's GitHubRepo until its sync is a 304, and
// returns that request.
func steadyState(b *testing.B, hook, base string) []byte {
	raw, err := os.ReadFile(filepath.Join(reference.RepoRoot(), "test", "fixtures", "githubrepo", "sync-create.request.json"))
	if err != nil {
		b.Fatal(err)
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	raw = bytes.ReplaceAll(raw, []byte(b64("http://127.0.0.1:8090/")), []byte(b64(base)))
	var req metacontroller.CompositeRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		b.Fatal(err)
	}
	for range 3 { // create, full read, conditional read
		out, _ := json.Marshal(&req)
		res, err := http.Post(hook+"/hooks/githubrepo/sync", "application/json", bytes.NewReader(out))
		if err != nil {
			b.Fatal(err)
		}
		var resp struct {
			Status   map[string]any          `json:"status"`
			Children []metacontroller.Object `json:"children"`
		}
		err = json.NewDecoder(res.Body).Decode(&resp)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 {
			b.Fatalf("sync: %d %v", res.StatusCode, err)
		}
		req.Parent["status"] = resp.Status
		req.Children = metacontroller.ObjectMap{"ConfigMap.v1": {}}
		for _, c := range resp.Children {
			req.Children["ConfigMap.v1"][c.Name()] = c
		}
	}
	out, _ := json.Marshal(&req)
	return out
}

// loadResult is the latency of every request of one or more loads, and
// how long they ran.
type loadResult struct {
	lat []time.Duration
	d   time.Duration
}

func (r *loadResult) add(o loadResult) {
	r.lat = append(r.lat, o.lat...)
	r.d += o.d
	slices.Sort(r.lat)
}

func (r *loadResult) rate() float64 { return float64(len(r.lat)) / r.d.Seconds() }

func (r *loadResult) quantile(q float64) time.Duration { return r.lat[int(float64(len(r.lat)-1)*q)] }

// load posts body to url on conns connections for d and measures.
func load(b *testing.B, url string, body []byte, conns int, d time.Duration) loadResult {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
	var mu sync.Mutex
	var lat []time.Duration
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(end) {
				start := time.Now()
				res, err := client.Post(url, "application/json", bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Errorf("POST %s: %s", url, res.Status)
					return
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(lat) == 0 {
		b.Fatalf("no request to %s succeeded", url)
	}
	return loadResult{lat: lat, d: d}
}

var gauge = regexp.MustCompile(`(?m)^(go_gc_heap_live_bytes|process_resident_memory_bytes|go_memstats_alloc_bytes_total) (\S+)$`)

// scraper asks for metrics uncompressed: compressing them would load the
// server being measured.
var scraper = &http.Client{Transport: &http.Transport{DisableCompression: true}}

// usage is the hook server's memory as its metrics report it.
type usage struct {
	live      float64 // heap the last GC kept
	rss       float64 // resident memory
	allocated float64 // bytes allocated since start
}

// memory reads the hook server's memory from its metrics. It may run on
// any goroutine, so it reports failure with Error.
func memory(b *testing.B, hook string) usage {
	res, err := scraper.Get(hook + "/metrics")
	if err != nil {
		b.Error(err)
		return usage{}
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	var u usage
	for _, m := range gauge.FindAllSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(string(m[2]), 64)
		switch string(m[1]) {
		case "go_gc_heap_live_bytes":
			u.live = v
		case "process_resident_memory_bytes":
			u.rss = v
		default:
			u.allocated = v
		}
	}
	return u
}

// sampleMemory reads the hook server's memory every 500 ms until stop is
// called, and keeps the peaks: the live heap with every request in flight,
// and the resident memory at saturation.
func sampleMemory(b *testing.B, hook string) (peak *usage, stop func()) {
	peak = &usage{}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				u := memory(b, hook)
				peak.live, peak.rss = max(peak.live, u.live), max(peak.rss, u.rss)
			}
		}
	}()
	return peak, func() { close(done); <-finished }
}
