package githubrepo_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hookops/hookops/budget"
	"github.com/hookops/hookops/test/fakegithub/fake"
)

// BenchmarkSteadyStateSync measures a sync of an unchanged repository
// against the fake GitHub on loopback: latency, GitHub requests and primary
// rate-limit units per sync (the target is 0 units: a conditional GET).
func BenchmarkSteadyStateSync(b *testing.B) {
	h := newHarness(b, fullSpec())
	h.sync()
	h.sync()
	ctx := context.Background()
	req := h.request(false)
	before := h.gh.RateLimit(token).Remaining
	h.gh.ClearRequests()
	durations := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := h.hooks.Sync(ctx, req); err != nil {
			b.Fatal(err)
		}
		durations = append(durations, time.Since(start))
	}
	b.StopTimer()
	report(b, durations)
	b.ReportMetric(float64(len(h.gh.Requests(fake.RequestFilter{})))/float64(b.N), "github-requests/sync")
	b.ReportMetric(float64(before-h.gh.RateLimit(token).Remaining)/float64(b.N), "ratelimit-units/sync")
}

// BenchmarkCreatePaced measures repository creation within the budget of
// GitHub's documented limits (writes of one token at least a second apart).
func BenchmarkCreatePaced(b *testing.B) {
	h := newHarness(b, map[string]any{"owner": "acme"})
	h.hooks.Budget = budget.New(budget.DefaultLimits())
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		h.parent["metadata"].(map[string]any)["name"] = fmt.Sprintf("repo-%d", i)
		resp, err := h.hooks.Sync(ctx, h.request(false))
		if err != nil {
			b.Fatal(err)
		}
		if resp.Children == nil {
			b.Fatalf("repo-%d was not created", i)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Minutes(), "creates/min")
	if hits := h.gh.SecondaryLimitHits(); hits != 0 {
		b.Errorf("%d secondary-limit hits", hits)
	}
}

func report(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))].Microseconds()) }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}
