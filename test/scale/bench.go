package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/hookops/hookops/test/stack"
)

// hookArgs relax the hook server's own GitHub budget as the fake's limits
// are relaxed (benchLimits), and log at the shipped level rather than the
// stack's debug, whose volume would weigh on the latency measured; extra
// flags come last, so they win.
func hookArgs(resync int64, extra []string) []string {
	return append([]string{
		"--log-level", "info",
		"--resync-interval", fmt.Sprintf("%ds", resync),
		"--github-content-limits", "1000000/1m",
		"--github-points-limits", "10000000/1m",
		"--github-write-gap", "0s",
		"--github-in-flight", "100",
	}, extra...)
}

// clientQPS is the benchmark's own client rate: high enough that applying
// and polling never wait on it.
const clientQPS, clientBurst = 1000, 2000

func run(ctx context.Context, o options) (err error) {
	gh, err := startGitHub(o.namespaces)
	if err != nil {
		return err
	}
	defer gh.close()
	fmt.Printf("starting the stack (control plane, hook server, %s) ...\n", metacontrollerName(o))
	st, err := stack.Start(ctx, stack.Options{
		GitHubURL: gh.url, MetacontrollerBin: o.mcBin, HookArgs: hookArgs(o.resync, o.hookArgs),
	})
	if err != nil {
		return fmt.Errorf("start the stack: %w", err)
	}
	defer func() {
		if err != nil {
			fmt.Println(st.Logs())
		}
		err = errors.Join(err, st.Stop())
	}()
	b, err := newBench(ctx, o, st, gh)
	if err != nil {
		return err
	}
	rep, err := b.run(ctx)
	if err != nil {
		return err
	}
	printReport(rep)
	return writeReport(o.out, rep)
}

func metacontrollerName(o options) string {
	if o.mcBin == "" {
		return "the Metacontroller stand-in"
	}
	return o.mcBin + " " + o.mcArgs
}

// bench is one run against a started stack.
type bench struct {
	o       options
	st      *stack.Stack
	gh      *github
	dyn     dynamic.Interface
	apply   applier
	ghrs    *writeCounter
	cms     *writeCounter
	log     *requestLog
	rss     *rssSampler
	metrics string
	api     rest.Interface // kube-apiserver's /metrics
}

func newBench(ctx context.Context, o options, st *stack.Stack, gh *github) (*bench, error) {
	cfg := rest.CopyConfig(st.ControlPlane.Config)
	cfg.QPS, cfg.Burst = clientQPS, clientBurst
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	b := &bench{o: o, st: st, gh: gh, dyn: dyn, apply: applier{dyn: dyn, workers: o.workers},
		log: &requestLog{srv: gh.srv}, metrics: st.HookURL + "/metrics", api: dc.RESTClient()}
	pid, err := findPID(filepath.Join(st.Dir, "hookops-server"))
	if err != nil {
		return nil, fmt.Errorf("the hook server's pid: %w", err)
	}
	b.rss = sampleRSS(ctx, pid, 5*time.Second)
	if b.ghrs, err = watchWrites(ctx, dyn, ghrGVR, ""); err != nil {
		return nil, err
	}
	if b.cms, err = watchWrites(ctx, dyn, configMapGVR, "scale-"); err != nil {
		return nil, err
	}
	go b.followRequestLog(ctx)
	return b, nil
}

// followRequestLog polls the fake's log often enough that it never drops
// a request before it is counted.
func (b *bench) followRequestLog(ctx context.Context) {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			_ = b.log.poll() // counted in ghTally.Lost
		}
	}
}

// snap is everything counted up to one moment.
type snap struct {
	at      time.Time
	ghrs    writeCounts
	cms     writeCounts
	github  ghTally
	budget  int
	metrics scrape
	api     scrape
	load    string
}

func (b *bench) snap(ctx context.Context) (snap, error) {
	_ = b.log.poll()
	b.rss.sample() // so that even a phase shorter than the interval has one
	m, err := scrapeMetrics(ctx, b.metrics)
	if err != nil {
		return snap{}, err
	}
	api, err := scrapeAPIServer(ctx, b.api)
	if err != nil {
		return snap{}, err
	}
	return snap{at: time.Now(), ghrs: b.ghrs.snapshot(), cms: b.cms.snapshot(),
		github: b.log.snapshot(), budget: b.gh.unitsUsed(), metrics: m, api: api, load: loadAverage()}, nil
}

func (b *bench) run(ctx context.Context) (*report, error) {
	rep := &report{Config: b.config()}
	if err := b.apply.setUp(ctx, b.o.namespaces); err != nil {
		return nil, err
	}
	start, created, err := b.create(ctx, rep)
	if err != nil {
		return nil, err
	}
	if err := b.settle(ctx); err != nil {
		return nil, err
	}
	warm, err := b.snap(ctx)
	if err != nil {
		return nil, err
	}
	rep.SettledSeconds = warm.at.Sub(created.at).Seconds()
	rep.Warmup = b.phase(created, warm)
	rep.PerCreatedObject = perObject(b.phase(start, warm), b.o.repos)
	fmt.Printf("measuring the steady state for %s ...\n", b.o.steady)
	end, err := b.steady(ctx, warm)
	if err != nil {
		return nil, err
	}
	rep.Steady = b.phase(warm, end)
	if rep.Floors, err = b.floor(ctx, rep.Steady); err != nil {
		return nil, err
	}
	if err := b.addAnswers(rep, start.at, created.at, warm.at, end.at); err != nil {
		return nil, err
	}
	if rep.Sizes, err = measureSizes(ctx, b.dyn); err != nil {
		return nil, err
	}
	rep.Targets = targets(rep.Steady, rep.Floors)
	rep.Notes = b.notes(rep)
	return rep, nil
}

// create applies every GitHubRepo and waits until all are Ready; it
// returns the counts from before the first apply and from then.
func (b *bench) create(ctx context.Context, rep *report) (start, done snap, err error) {
	if start, err = b.snap(ctx); err != nil {
		return start, done, err
	}
	fmt.Printf("applying %d GitHubRepos in %d namespaces, %d per batch ...\n", b.o.repos, b.o.namespaces, b.o.batch)
	if err = b.apply.applyRepos(ctx, b.o.repos, b.o.namespaces, b.o.batch); err != nil {
		return start, done, err
	}
	rep.ApplySeconds = time.Since(start.at).Seconds()
	fmt.Printf("applied in %s; waiting for all to be Ready ...\n", time.Since(start.at).Round(100*time.Millisecond))
	if err = waitAll(ctx, b.dyn, isReady, b.o.repos, b.o.poll, b.o.readyTimeout); err != nil {
		return start, done, err
	}
	if done, err = b.snap(ctx); err != nil {
		return start, done, err
	}
	rep.ReadySeconds = done.at.Sub(start.at).Seconds()
	rep.ReposPerSecond = float64(b.o.repos) / rep.ReadySeconds
	fmt.Printf("all %d Ready %s after the first apply\n", b.o.repos, done.at.Sub(start.at).Round(100*time.Millisecond))
	rep.Creation = b.phase(start, done)
	return start, done, nil
}

// settle waits until the objects are idle: every one has recorded its
// repository's ETag, which the first resync after its create does with one
// full read and one status write, and at least -warmup has passed. Were
// the steady period to begin earlier, it would count those first resyncs
// of a slow Metacontroller as idle ones.
func (b *bench) settle(ctx context.Context) error {
	until := time.Now().Add(b.o.warmup)
	fmt.Printf("warming up: at least %s, until every GitHubRepo has recorded its ETag ...\n", b.o.warmup)
	if err := waitAll(ctx, b.dyn, hasETag, b.o.repos, b.o.poll, b.o.readyTimeout); err != nil {
		return err
	}
	return sleep(ctx, time.Until(until))
}

// steady waits out the steady period, printing a line a minute.
func (b *bench) steady(ctx context.Context, start snap) (snap, error) {
	deadline := start.at.Add(b.o.steady)
	for {
		wait := min(time.Until(deadline), time.Minute)
		if err := sleep(ctx, wait); err != nil {
			return snap{}, err
		}
		now, err := b.snap(ctx)
		if err != nil {
			return snap{}, err
		}
		b.printProgress(start, now)
		if !now.at.Before(deadline) {
			return now, nil
		}
	}
}

func (b *bench) printProgress(start, now snap) {
	p := b.phase(start, now)
	fmt.Printf("  %6s  githubrepo writes %d  syncs %.0f  credentials syncs %.0f  conversions %.0f (cache checks %.0f)  GitHub requests %d (304: %d, units %d)  hook RSS %.1f MiB  load %s\n",
		now.at.Sub(start.at).Round(time.Second), p.GitHubRepoWrites.Total, p.SyncCalls,
		p.CredentialsSyncCalls, p.ConversionCalls, p.ConsistencyChecks,
		p.GitHub.Requests, p.GitHub.NotModified, p.GitHub.Units, p.RSS.LastMiB, now.load)
}

// addAnswers counts each phase's answers from the hook server's access log.
func (b *bench) addAnswers(rep *report, start, created, warm, end time.Time) error {
	all, err := readAnswers(filepath.Join(b.st.Dir, "hookops-server.log"))
	if err != nil {
		return err
	}
	rep.Creation.Answers = answersBetween(all, start, created)
	rep.Warmup.Answers = answersBetween(all, created, warm)
	rep.Steady.Answers = answersBetween(all, warm, end)
	return nil
}

// loadAverage is the machine's 1, 5 and 15-minute load averages: on a
// shared machine, what else ran weighs on every figure.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	return strings.Join(strings.Fields(string(data))[:3], " ")
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (b *bench) config() runConfig {
	return runConfig{
		Repos: b.o.repos, Namespaces: b.o.namespaces, ResyncSeconds: b.o.resync,
		SteadySeconds: b.o.steady.Seconds(), WarmupSeconds: b.o.warmup.Seconds(),
		Metacontroller: metacontrollerName(b.o), MetacontrollerArgs: b.o.mcArgs,
		HookArgs: hookArgs(b.o.resync, b.o.hookArgs), FakeLimits: benchLimits(),
		ApplyBatch: b.o.batch, ApplyWorkers: b.o.workers, ClientQPS: clientQPS,
		CPUs: runtime.NumCPU(), StartedAt: time.Now().UTC(),
	}
}

// floor times, at the steady state's hook call rate and while the idle
// GitHubRepos go on being synced, bare loopback round trips, a minimal
// sync hook and the hook server, the last two sent the same real sync
// request (floors).
func (b *bench) floor(ctx context.Context, steady phaseResult) ([]latency, error) {
	rate := 1.0
	for _, l := range steady.Latency {
		if l.Hook == allHooks && l.CallsPerSecond > 0 {
			rate = l.CallsPerSecond
		}
	}
	body, err := b.syncRequest(ctx)
	if err != nil {
		return nil, err
	}
	minimal, stop, err := b.startMinimalHook(ctx)
	if err != nil {
		return nil, err
	}
	defer stop()
	fmt.Printf("timing bare loopback round trips, a minimal sync hook and the hook server in turn, %.1f calls a second for %s ...\n", rate, floorDuration)
	return floors(ctx, rate, floorDuration,
		floorTarget{name: minimalName, url: minimal, body: body},
		floorTarget{name: hookFloorName, url: b.st.HookURL + "/hooks/githubrepo/sync", body: body, auth: b.st.HookToken})
}

// floorDuration gives each of the three floor rows about 1,000 calls at
// 33 a second, so that each p99 rests on its ten slowest calls.
const floorDuration = 90 * time.Second
