package onboard_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/onboard"
	"github.com/hookops/hookops/test/process"
	"github.com/hookops/hookops/test/reference"
)

// TestTwoReplicasHoldTheLimits runs two hook-server processes, each told
// it is one of two replicas, against one fake GitHub that enforces the
// documented content-creation limits, here 20 a second and 60 in ten
// seconds (GitHub's 80 a minute and 500 an hour, made small and short so
// that both windows fill in seconds). 100 repositories are onboarded
// through both replicas at random, as a Service spreads Metacontroller's
// calls: the fake refuses nothing, yet every repository is created.
// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits
func TestTwoReplicasHoldTheLimits(t *testing.T) {
	limits := fake.DefaultLimits()
	limits.ContentPerMinute, limits.ContentPerHour, limits.Minute, limits.Hour = 20, 60, time.Second, 10*time.Second
	cfg := fake.DefaultConfig()
	gh, base := fake.Start(t, fake.WithConfig(cfg), fake.WithLimits(limits))

	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := filepath.Join(dir, "hookops-server")
	if err := process.Build(ctx, reference.RepoRoot(), "./server", bin); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "hook-token")
	if err := os.WriteFile(tokenFile, []byte("hook-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	var replicas []onboard.Replica
	for i := range 2 {
		// Level info for the line that says which port the replica got.
		p, err := process.Start(dir, fmt.Sprintf("hookops-server-%d", i), nil, bin,
			"--addr", process.LoopbackAny, "--auth-token-file", tokenFile, "--log-level", "info",
			"--deletion-guard-window=0", "--replicas=2",
			"--github-content-limits=20/1s,60/10s", "--github-points-limits=900/1s",
			"--github-write-gap=10ms", "--github-max-wait=20ms")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("replica %d:\n%s", i, p.LogTail())
			}
			p.Stop(5 * time.Second)
		})
		addr, err := p.ListenAddr(ctx, "serving", nil)
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + addr
		if err := p.WaitReady(ctx, process.HTTPOK(nil, url+"/readyz")); err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, onboard.HTTPReplica(url, "hook-token"))
	}

	var repos []onboard.Repo
	for i := range 100 {
		repos = append(repos, onboard.Repo{Namespace: "team-a", Name: fmt.Sprintf("r-%d", i), Owner: "acme", Token: "fake-token", BaseURL: base})
	}
	res, err := onboard.Run(ctx, onboard.Options{Repos: repos, Replicas: replicas})
	if err != nil {
		t.Fatal(err)
	}
	for limit, n := range gh.Violations() {
		if n != 0 {
			t.Errorf("the fake refused %d requests for its %s limit", n, limit)
		}
	}
	if got := len(gh.Repos()); got != 100 {
		t.Errorf("%d repositories on the fake, want 100", got)
	}
	// 100 creates at no more than 60 in 10s end after the first 10s.
	if res.Elapsed < 10*time.Second {
		t.Errorf("100 repositories created in %s: faster than the limits allow", res.Elapsed)
	}
	t.Logf("100 repositories through two replicas in %s (%d syncs, %d errors); longest wait %s", res.Elapsed.Round(100*time.Millisecond), res.Calls, res.Errors, res.Longest().Round(100*time.Millisecond))
}
