package githubrepo_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hookops/hookops/budget"
	"github.com/hookops/hookops/hooks/githubrepo"
	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/onboard"
)

// scaledMinute is how long a minute lasts in the onboarding benchmark:
// every window of GitHub's limits, in the fake and in the budget alike, is
// 60 times shorter, so that 600 creations take about a minute instead of
// an hour. Only the ratio to the bound counts.
const scaledMinute = time.Second

// BenchmarkOnboard600 onboards 600 new repositories per token against a
// fake GitHub that enforces the documented limits (80 writes a minute, 500
// an hour, 900 points a minute, 100 in flight, the primary limit), in
// three cases: one token; three tokens at once; one token served by two
// replicas, each called at random as Metacontroller's Service would. It
// reports the time against the bound the documented limits imply, the
// requests the fake refused for a limit (violations), and the longest and
// median wait of a repository.
func BenchmarkOnboard600(b *testing.B) {
	for _, c := range []struct {
		name             string
		tokens, replicas int
	}{{"one-token", 1, 1}, {"three-tokens", 3, 1}, {"one-token-two-replicas", 1, 2}} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				onboard600(b, c.tokens, c.replicas)
			}
		})
	}
}

func onboard600(b *testing.B, tokens, replicas int) {
	const perToken = 600
	cfg := fake.DefaultConfig()
	for i := range tokens {
		user := fmt.Sprintf("onboarder-%d", i)
		cfg.Tokens[fmt.Sprintf("token-%d", i)] = user
		cfg.Orgs[0].Members[user] = fake.RoleAdmin
	}
	gh, base := fake.Start(b, fake.WithConfig(cfg), fake.WithLimits(fake.DefaultLimits().Scaled(scaledMinute)))
	limits := budget.DefaultLimits().Scaled(scaledMinute)
	limits.Replicas = replicas
	var rs []onboard.Replica
	for range replicas {
		h := githubrepo.New(nil)
		h.Budget = budget.New(limits)
		h.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
		rs = append(rs, h.Sync)
	}
	var repos []onboard.Repo
	for i := range perToken {
		for t := range tokens {
			repos = append(repos, onboard.Repo{Namespace: fmt.Sprintf("team-%d", t), Name: fmt.Sprintf("t%d-r-%d", t, i), Owner: "acme",
				Token: fmt.Sprintf("token-%d", t), BaseURL: base})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	res, err := onboard.Run(ctx, onboard.Options{Repos: repos, Replicas: rs})
	if err != nil {
		b.Fatal(err)
	}
	violations := 0
	for _, n := range gh.Violations() {
		violations += n
	}
	bound := createBound(perToken, budget.DefaultLimits().Scaled(scaledMinute))
	b.ReportMetric(res.Elapsed.Seconds()/bound.Seconds(), "x-bound")
	b.ReportMetric(bound.Seconds(), "bound-s")
	b.ReportMetric(float64(violations), "violations")
	b.ReportMetric(res.Longest().Seconds(), "longest-wait-s")
	b.ReportMetric(res.Median().Seconds(), "median-wait-s")
	b.ReportMetric(float64(res.Calls)/float64(len(repos)), "syncs/repo")
	if violations > 0 {
		b.Errorf("the fake refused %v", gh.Violations())
	}
}

// createBound is the least time n repository creations of one token can
// take under GitHub's documented limits: the content-creation windows and
// a second between writes, every write as early as they allow.
func createBound(n int, l budget.Limits) time.Duration {
	start := time.Unix(0, 0)
	now := start
	l.MaxWait, l.Replicas = time.Nanosecond, 1
	b := budget.New(l).WithClock(func() time.Time { return now })
	for i := 0; i < n; {
		done, err := b.Take(context.Background(), "bound", budget.Update, 0)
		if err == nil {
			done(nil)
			i++
			continue
		}
		now = err.(*budget.LimitedError).Until
	}
	return now.Sub(start)
}
