package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

type report struct {
	Config runConfig `json:"config"`
	// ApplySeconds is how long applying every GitHubRepo took;
	// ReadySeconds from the first apply to all Ready.
	ApplySeconds   float64 `json:"apply_seconds"`
	ReadySeconds   float64 `json:"ready_seconds"`
	ReposPerSecond float64 `json:"repos_ready_per_second"`
	// SettledSeconds is from all Ready to the steady period: the warm-up.
	SettledSeconds   float64     `json:"settled_seconds"`
	PerCreatedObject createdCost `json:"per_created_object"`
	Creation         phaseResult `json:"creation"`
	Warmup           phaseResult `json:"warmup"`
	Steady           phaseResult `json:"steady"`
	// Floors are a bare loopback HTTP round trip, a minimal sync hook
	// and the hook server, called in turn at the steady state's call rate
	// right after it (floors).
	Floors  []latency `json:"floors"`
	Sizes   sizes     `json:"sizes"`
	Targets []target  `json:"targets"`
	Notes   []string  `json:"notes,omitempty"`
}

type runConfig struct {
	Repos              int         `json:"repos"`
	Namespaces         int         `json:"namespaces"`
	ResyncSeconds      int64       `json:"resync_seconds"`
	SteadySeconds      float64     `json:"steady_seconds"`
	WarmupSeconds      float64     `json:"warmup_seconds"`
	Metacontroller     string      `json:"metacontroller"`
	MetacontrollerArgs string      `json:"metacontroller_args,omitempty"`
	HookArgs           []string    `json:"hook_args"`
	FakeLimits         fake.Limits `json:"fake_limits"`
	ApplyBatch         int         `json:"apply_batch"`
	ApplyWorkers       int         `json:"apply_workers"`
	ClientQPS          float64     `json:"client_qps"`
	CPUs               int         `json:"cpus"`
	StartedAt          time.Time   `json:"started_at"`
}

// num is a float that JSON writes as null when it is NaN (no data).
type num float64

func (n num) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(n)) || math.IsInf(float64(n), 0) {
		return []byte("null"), nil
	}
	return []byte(strconv.FormatFloat(float64(n), 'g', 6, 64)), nil
}

// phaseResult is what one period cost.
type phaseResult struct {
	Seconds float64 `json:"seconds"`
	// Resyncs is how many resyncs the period holds for every object:
	// objects × seconds / resync period. The per-resync figures divide
	// by it.
	Resyncs                  float64            `json:"object_resyncs"`
	GitHubRepoWrites         writeCounts        `json:"githubrepo_writes"`
	WritesPerMinute          float64            `json:"githubrepo_writes_per_minute"`
	WritesPerObjectPerResync float64            `json:"githubrepo_writes_per_object_per_resync"`
	ConfigMapWrites          writeCounts        `json:"configmap_writes"`
	HookCalls                map[string]float64 `json:"hook_calls"`
	// Answers are the hook server's answers by path and status, from its
	// access log: refusals by its guards included, which HookCalls lacks.
	Answers                        map[string]float64 `json:"hook_answers"`
	SyncCalls                      float64            `json:"githubrepo_sync_calls"`
	SyncsPerObjectPerResync        float64            `json:"githubrepo_syncs_per_object_per_resync"`
	WritesPerSync                  float64            `json:"githubrepo_writes_per_sync"`
	CredentialsSyncCalls           float64            `json:"credentials_sync_calls"`
	GitHub                         ghTally            `json:"github"`
	GitHubRequestsPerMinute        float64            `json:"github_requests_per_minute"`
	GitHubUnitsPerMinute           float64            `json:"github_units_per_minute"`
	GitHubUnitsBudget              int                `json:"github_units_from_budgets"`
	GitHubUnitsPerObjectPerResync  float64            `json:"github_units_per_object_per_resync"`
	GitHubRequestsPerObjectPerSync float64            `json:"github_requests_per_sync"`
	GitHubUnitsPerSync             float64            `json:"github_units_per_sync"`
	Latency                        []latency          `json:"hook_latency"`
	RSS                            rssStats           `json:"hook_server_rss"`
	// HookCPUCores is the hook server's CPU time over the period's length
	// (process_cpu_seconds_total): the cores it kept busy on average.
	HookCPUCores        float64 `json:"hook_server_cpu_cores"`
	ConversionCalls     float64 `json:"conversion_calls"`
	ConversionPerMinute float64 `json:"conversion_calls_per_minute"`
	// ConsistencyChecks are kube-apiserver's checks of its GitHubRepo
	// watch caches against etcd; they explain conversion calls without
	// writes.
	ConsistencyChecks float64 `json:"watch_cache_consistency_checks"`
	// APIServerRequests are kube-apiserver's requests for GitHubRepos,
	// ConfigMaps, Secrets and Events, by resource, verb and subresource:
	// Metacontroller's, the benchmark's own LISTs and watches, and
	// kube-controller-manager's.
	APIServerRequests map[string]float64 `json:"apiserver_requests"`
	// APIServerRequestsPerSync are those requests, watches and LISTs
	// left out, per GitHubRepo sync call.
	APIServerRequestsPerSync float64 `json:"apiserver_requests_per_sync"`
	// LoadAverage is the machine's 1, 5 and 15-minute load averages at
	// the end of the period.
	LoadAverage string `json:"load_average"`
}

// createdCost is what one GitHubRepo cost from its apply until it was
// idle (creation and warm-up together, divided by the objects).
type createdCost struct {
	GitHubRepoWrites float64 `json:"githubrepo_writes"`
	ConfigMapWrites  float64 `json:"configmap_writes"`
	SyncCalls        float64 `json:"githubrepo_sync_calls"`
	CredentialsSyncs float64 `json:"credentials_sync_calls"`
	ConversionCalls  float64 `json:"conversion_calls"`
	GitHubRequests   float64 `json:"github_requests"`
	GitHubUnits      float64 `json:"github_units"`
	GitHubWrites     float64 `json:"github_writes"`
}

func perObject(p phaseResult, objects int) createdCost {
	n := float64(objects)
	return createdCost{
		GitHubRepoWrites: float64(p.GitHubRepoWrites.Total) / n,
		ConfigMapWrites:  float64(p.ConfigMapWrites.Total+p.ConfigMapWrites.Creates) / n,
		SyncCalls:        p.SyncCalls / n,
		CredentialsSyncs: p.CredentialsSyncCalls / n,
		ConversionCalls:  p.ConversionCalls / n,
		GitHubRequests:   float64(p.GitHub.Requests) / n,
		GitHubUnits:      float64(p.GitHub.Units) / n,
		GitHubWrites:     float64(p.GitHub.Writes) / n,
	}
}

// latency is one hook's duration histogram over a period.
type latency struct {
	Hook           string  `json:"hook"` // controller/hook, or "all hooks"
	Calls          float64 `json:"calls"`
	CallsPerSecond float64 `json:"calls_per_second"`
	P50ms          num     `json:"p50_ms"`
	P99ms          num     `json:"p99_ms"`
	// AtMost5ms is the share of calls answered within 5 ms, exact because
	// 5 ms is a bucket bound.
	AtMost5ms num `json:"share_at_most_5ms"`
	// ResolutionMs is the smallest bucket bound: quantiles below it are
	// interpolated, not measured.
	ResolutionMs num `json:"resolution_ms"`
}

// target is one figure checked against what it should be.
type target struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Pass bool   `json:"pass"`
}

// allHooks selects the hook series of every controller but conversion,
// which kube-apiserver calls, not Metacontroller.
const allHooks = "all hooks"

func (b *bench) phase(from, to snap) phaseResult {
	secs := to.at.Sub(from.at).Seconds()
	minutes := secs / 60
	resyncs := float64(b.o.repos) * secs / float64(b.o.resync)
	p := phaseResult{
		Seconds: secs, Resyncs: resyncs,
		GitHubRepoWrites: to.ghrs.minus(from.ghrs), ConfigMapWrites: to.cms.minus(from.cms),
		GitHub: to.github.minus(from.github), GitHubUnitsBudget: to.budget - from.budget,
		HookCalls: hookCalls(from.metrics, to.metrics),
		RSS:       b.rss.between(from.at, to.at), LoadAverage: to.load,
	}
	p.WritesPerMinute = float64(p.GitHubRepoWrites.Total) / minutes
	p.WritesPerObjectPerResync = float64(p.GitHubRepoWrites.Total) / resyncs
	p.SyncCalls = calls(from.metrics, to.metrics, "githubrepo", "sync")
	p.SyncsPerObjectPerResync = p.SyncCalls / resyncs
	p.GitHubRequestsPerMinute = float64(p.GitHub.Requests) / minutes
	p.GitHubUnitsPerMinute = float64(p.GitHub.Units) / minutes
	p.GitHubUnitsPerObjectPerResync = float64(p.GitHub.Units) / resyncs
	p.CredentialsSyncCalls = calls(from.metrics, to.metrics, "credentials", "sync")
	p.HookCPUCores = (to.metrics.sum(cpuMetric, nil) - from.metrics.sum(cpuMetric, nil)) / secs
	p.APIServerRequests = apiserverCalls(from.api, to.api)
	p.ConsistencyChecks = githubRepoChecks(from.api, to.api)
	if p.SyncCalls > 0 {
		p.GitHubRequestsPerObjectPerSync = float64(p.GitHub.Requests) / p.SyncCalls
		p.GitHubUnitsPerSync = float64(p.GitHub.Units) / p.SyncCalls
		p.WritesPerSync = float64(p.GitHubRepoWrites.Total) / p.SyncCalls
		p.APIServerRequestsPerSync = pointRequests(p.APIServerRequests) / p.SyncCalls
	}
	p.ConversionCalls = calls(from.metrics, to.metrics, "conversion", "convert")
	p.ConversionPerMinute = p.ConversionCalls / minutes
	p.Latency = latencies(from.metrics, to.metrics, secs)
	return p
}

// pointRequests adds up the requests that are neither watches nor LISTs:
// what a controller reading from informer caches sends per object.
func pointRequests(byKey map[string]float64) float64 {
	var n float64
	for k, v := range byKey {
		if verb := strings.Fields(k)[1]; verb != "WATCH" && verb != "LIST" {
			n += v
		}
	}
	return n
}

func calls(from, to scrape, controller, hook string) float64 {
	want := map[string]string{"controller": controller, "hook": hook}
	return to.sum(requestsMetric, want) - from.sum(requestsMetric, want)
}

// hookCalls counts requests by controller/hook/code.
func hookCalls(from, to scrape) map[string]float64 {
	key := func(s sample) string {
		return s.labels["controller"] + "/" + s.labels["hook"] + " " + s.labels["code"]
	}
	out := map[string]float64{}
	for _, s := range to {
		if s.name == requestsMetric {
			out[key(s)] += s.value
		}
	}
	for _, s := range from {
		if s.name == requestsMetric {
			out[key(s)] -= s.value
		}
	}
	for k, v := range out {
		if v == 0 {
			delete(out, k)
		}
	}
	return out
}

// latencies are every hook's latency over the period with calls in it,
// then all hooks together.
func latencies(from, to scrape, secs float64) []latency {
	var out []latency
	all := histogram{}
	for _, name := range hookNames(to) {
		c, h, _ := strings.Cut(name, "/")
		want := map[string]string{"controller": c, "hook": h}
		d := to.histogram(durationMetric, want).minus(from.histogram(durationMetric, want))
		if d.count <= 0 {
			continue
		}
		out = append(out, newLatency(name, d, secs))
		if c != "conversion" {
			all = all.plus(d)
		}
	}
	if all.count > 0 {
		out = append(out, newLatency(allHooks, all, secs))
	}
	// The GitHub requests the hooks waited for, so that a hook's latency
	// can be told apart from GitHub's (here the fake's).
	for _, op := range labelValues(to, githubDurationMetric+"_count", "operation") {
		want := map[string]string{"operation": op}
		d := to.histogram(githubDurationMetric, want).minus(from.histogram(githubDurationMetric, want))
		if d.count > 0 {
			out = append(out, newLatency("GitHub "+op, d, secs))
		}
	}
	return out
}

// labelValues lists the values of label among the series named name.
func labelValues(sc scrape, name, label string) []string {
	seen := map[string]bool{}
	for _, s := range sc {
		if s.name == name {
			seen[s.labels[label]] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

func newLatency(name string, h histogram, secs float64) latency {
	return latency{
		Hook: name, Calls: h.count, CallsPerSecond: h.count / secs,
		P50ms: num(h.quantile(0.5) * 1000), P99ms: num(h.quantile(0.99) * 1000),
		AtMost5ms: num(h.shareAtMost(0.005)), ResolutionMs: num(h.smallestBound() * 1000),
	}
}

func (h histogram) plus(o histogram) histogram {
	if len(h.buckets) == 0 {
		h.buckets = slices.Clone(o.buckets)
		h.count, h.sum = o.count, o.sum
		return h
	}
	for i := range h.buckets {
		for _, ob := range o.buckets {
			if ob.le == h.buckets[i].le {
				h.buckets[i].count += ob.count
			}
		}
	}
	h.count, h.sum = h.count+o.count, h.sum+o.sum
	return h
}

// hookNames lists the controller/hook pairs of the duration histogram.
func hookNames(sc scrape) []string {
	seen := map[string]bool{}
	for _, s := range sc {
		if s.name == durationMetric+"_count" {
			seen[s.labels["controller"]+"/"+s.labels["hook"]] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// Targets of the steady state.
const (
	maxRSSMiB = 100
	maxP99    = 0.005 // seconds
)

func targets(p phaseResult, floors []latency) []target {
	ts := []target{
		{Name: "apiserver writes per idle GitHubRepo per resync", Want: "0",
			Got: fmt.Sprintf("%.4f", p.WritesPerObjectPerResync), Pass: p.GitHubRepoWrites.Total == 0},
		{Name: "GitHub rate-limit units per idle GitHubRepo per resync", Want: "0",
			Got: fmt.Sprintf("%.4f", p.GitHubUnitsPerObjectPerResync), Pass: p.GitHub.Units == 0 && p.GitHubUnitsBudget == 0},
		{Name: "hook server RSS, max over the steady state", Want: fmt.Sprintf("≤ %d MiB", maxRSSMiB),
			Got: fmt.Sprintf("%.1f MiB", p.RSS.MaxMiB), Pass: p.RSS.Samples > 0 && p.RSS.MaxMiB <= maxRSSMiB},
	}
	return append(ts, latencyTarget(p, floors))
}

// latencyTarget checks the p99 of all hook calls against 5 ms by the share
// of calls in the 5 ms bucket, which is exact where an interpolated
// quantile is not.
func latencyTarget(p phaseResult, floors []latency) target {
	t := target{Name: "hook latency p99 (all hooks)", Want: fmt.Sprintf("≤ %g ms", maxP99*1000), Got: "no calls"}
	for _, l := range p.Latency {
		if l.Hook != allHooks {
			continue
		}
		t.Got = fmt.Sprintf("%s ms (%.2f%% of calls ≤ 5 ms)", fmtNum(l.P99ms), float64(l.AtMost5ms)*100)
		for _, f := range floors {
			if f.Hook == minimalName {
				t.Got += fmt.Sprintf("; a minimal hook's p99 %s ms", fmtNum(f.P99ms))
			}
		}
		t.Pass = float64(l.AtMost5ms) >= 0.99
	}
	return t
}

func fmtNum(n num) string {
	if math.IsNaN(float64(n)) {
		return "n/a"
	}
	return strconv.FormatFloat(float64(n), 'f', 2, 64)
}

// notes say where a figure is less than it seems.
func (b *bench) notes(rep *report) []string {
	var notes []string
	s := rep.Steady
	if s.SyncsPerObjectPerResync < 0.9 {
		notes = append(notes, fmt.Sprintf("only %.2f sync calls per object per resync period: the Metacontroller did not resync every object; per-resync figures are per period, not per sync", s.SyncsPerObjectPerResync))
	}
	// A request in flight at a phase boundary is in the budgets before it
	// is in the log, so only the whole run's totals must agree.
	logged, budgets := 0, 0
	for _, ph := range []phaseResult{rep.Creation, rep.Warmup, s} {
		logged, budgets = logged+ph.GitHub.Units, budgets+ph.GitHubUnitsBudget
	}
	if logged != budgets {
		notes = append(notes, fmt.Sprintf("units from the request log (%d) and from the tokens' budgets (%d) differ over the run", logged, budgets))
	}
	for _, ph := range []phaseResult{rep.Creation, rep.Warmup, s} {
		if ph.GitHub.Lost > 0 {
			notes = append(notes, "the fake's request log dropped requests before they were counted: request counts are low")
			break
		}
	}
	for _, w := range []*writeCounter{b.ghrs, b.cms} {
		if err := w.Err(); err != nil {
			notes = append(notes, fmt.Sprintf("write counts stopped early: %v", err))
		}
	}
	if err := b.rss.Err(); err != nil {
		notes = append(notes, fmt.Sprintf("reading the hook server's RSS failed at least once: %v", err))
	}
	for _, l := range s.Latency {
		if l.Hook == allHooks && float64(l.ResolutionMs) >= maxP99*1000 {
			notes = append(notes, fmt.Sprintf("the latency histogram's smallest bucket is %s ms: quantiles below it are interpolated, so p50 and p99 under 5 ms are estimates; the share of calls ≤ 5 ms is exact", fmtNum(l.ResolutionMs)))
		}
	}
	return notes
}

func writeReport(path string, rep *report) error {
	if path == "" {
		return nil
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the report: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	fmt.Printf("\nreport written to %s\n", path)
	return nil
}
