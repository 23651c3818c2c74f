package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/rest"
)

// Hook server series the benchmark reads (server/metrics.go).
const (
	requestsMetric = "hookops_hook_requests_total"
	durationMetric = "hookops_hook_request_duration_seconds"
	// githubDurationMetric is the hooks' wait for each GitHub request
	// (hooks/githubrepo/metrics.go).
	githubDurationMetric = "hookops_github_request_duration_seconds"
	rssMetric            = "process_resident_memory_bytes"
	cpuMetric            = "process_cpu_seconds_total"
)

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// scrape is one read of the hook server's /metrics.
type scrape []sample

func scrapeMetrics(ctx context.Context, url string) (scrape, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", url, resp.Status)
	}
	return parseMetrics(resp.Body, hookSeries...)
}

// apiserverRequests is kube-apiserver's count of the requests it served.
const apiserverRequests = "apiserver_request_total"

// scrapeAPIServer reads kube-apiserver's request counts.
func scrapeAPIServer(ctx context.Context, client rest.Interface) (scrape, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	body, err := client.Get().AbsPath("/metrics").Stream(ctx)
	if err != nil {
		return nil, fmt.Errorf("scrape kube-apiserver: %w", err)
	}
	defer body.Close()
	return parseMetrics(body, apiserverRequests+"{", consistencyChecks+"{")
}

// consistencyChecks counts kube-apiserver's periodic comparisons of a
// watch cache with etcd (feature DetectCacheInconsistency, on by default
// since 1.34), every 5 to 7.5 minutes per cache. Each reads every object
// from etcd, which for a cache of another version than the stored one is
// a conversion call per object.
const consistencyChecks = "apiserver_storage_consistency_checks_total"

// githubRepoChecks counts the consistency checks of the GitHubRepo caches.
func githubRepoChecks(from, to scrape) float64 {
	want := map[string]string{"group": ghrGVR.Group, "resource": ghrGVR.Resource}
	return to.sum(consistencyChecks, want) - from.sum(consistencyChecks, want)
}

// apiserverCalls counts the requests for the benchmark's resources by
// resource, verb and subresource, such as "githubrepos UPDATE status".
func apiserverCalls(from, to scrape) map[string]float64 {
	out := map[string]float64{}
	add := func(sc scrape, sign float64) {
		for _, s := range sc {
			if s.name != apiserverRequests || !benchResources[s.labels["resource"]] {
				continue
			}
			k := strings.TrimSpace(s.labels["resource"] + " " + s.labels["verb"] + " " + s.labels["subresource"])
			out[k] += sign * s.value
		}
	}
	add(to, 1)
	add(from, -1)
	for k, v := range out {
		if v == 0 {
			delete(out, k)
		}
	}
	return out
}

// benchResources are the resources Metacontroller reads and writes for the
// GitHubRepo controller and the credentials controller.
var benchResources = map[string]bool{"githubrepos": true, "configmaps": true, "secrets": true, "events": true}

// hookSeries are the prefixes of the hook server's series parseMetrics
// keeps.
var hookSeries = []string{"hookops_", "process_"}

// parseMetrics reads the text exposition format, enough of it for the
// series above: only lines that begin with one of prefixes, whose label
// values hold no commas or escaped quotes.
func parseMetrics(r io.Reader, prefixes ...string) (scrape, error) {
	var out scrape
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(line, p) }) {
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

func parseSample(line string) (sample, error) {
	s := sample{labels: map[string]string{}}
	rest := line
	if i := strings.IndexByte(line, '{'); i >= 0 {
		j := strings.LastIndexByte(line, '}')
		if j < i {
			return s, fmt.Errorf("metrics line %q: unbalanced braces", line)
		}
		s.name, rest = line[:i], line[j+1:]
		for _, pair := range strings.Split(line[i+1:j], ",") {
			if k, v, ok := strings.Cut(pair, "="); ok {
				s.labels[strings.TrimSpace(k)] = strings.Trim(v, `"`)
			}
		}
	} else {
		var ok bool
		if s.name, rest, ok = strings.Cut(line, " "); !ok {
			return s, fmt.Errorf("metrics line %q: no value", line)
		}
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return s, fmt.Errorf("metrics line %q: no value", line)
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return s, fmt.Errorf("metrics line %q: %w", line, err)
	}
	s.value = v
	return s, nil
}

// matches reports whether every label in want has that value ("" in want
// matches anything).
func (s sample) matches(name string, want map[string]string) bool {
	if s.name != name {
		return false
	}
	for k, v := range want {
		if v != "" && s.labels[k] != v {
			return false
		}
	}
	return true
}

// sum adds up the samples of name whose labels match.
func (sc scrape) sum(name string, want map[string]string) float64 {
	var total float64
	for _, s := range sc {
		if s.matches(name, want) {
			total += s.value
		}
	}
	return total
}

// bucket is a cumulative histogram bucket: count observations ≤ le.
type bucket struct {
	le    float64
	count float64
}

// histogram is a Prometheus histogram, summed over the matching series.
type histogram struct {
	buckets []bucket // by le, +Inf last
	count   float64
	sum     float64
}

func (sc scrape) histogram(name string, want map[string]string) histogram {
	perLE := map[float64]float64{}
	for _, s := range sc {
		if !s.matches(name+"_bucket", want) {
			continue
		}
		le, err := strconv.ParseFloat(s.labels["le"], 64)
		if err == nil {
			perLE[le] += s.value
		}
	}
	h := histogram{count: sc.sum(name+"_count", want), sum: sc.sum(name+"_sum", want)}
	for le, n := range perLE {
		h.buckets = append(h.buckets, bucket{le: le, count: n})
	}
	slices.SortFunc(h.buckets, func(a, b bucket) int { return compareFloat(a.le, b.le) })
	return h
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// minus is the histogram of the observations made between o and h.
func (h histogram) minus(o histogram) histogram {
	d := histogram{count: h.count - o.count, sum: h.sum - o.sum}
	for _, b := range h.buckets {
		prev := 0.0
		for _, ob := range o.buckets {
			if ob.le == b.le {
				prev = ob.count
			}
		}
		d.buckets = append(d.buckets, bucket{le: b.le, count: b.count - prev})
	}
	return d
}

// quantile estimates the q-quantile as Prometheus' histogram_quantile
// does: linear interpolation inside the bucket the rank falls in, from 0
// for the first bucket. A rank in the +Inf bucket gives the largest finite
// bound, so the estimate is a lower bound there. NaN without observations.
func (h histogram) quantile(q float64) float64 {
	if h.count <= 0 || len(h.buckets) == 0 {
		return math.NaN()
	}
	rank := q * h.count
	lower, below := 0.0, 0.0
	for _, b := range h.buckets {
		if b.count >= rank {
			if math.IsInf(b.le, 1) {
				return lower
			}
			if b.count == below {
				return b.le
			}
			return lower + (b.le-lower)*(rank-below)/(b.count-below)
		}
		lower, below = b.le, b.count
	}
	return lower
}

// shareAtMost is the fraction of observations ≤ le, exact when le is a
// bucket bound; NaN if it is not one or nothing was observed.
func (h histogram) shareAtMost(le float64) float64 {
	for _, b := range h.buckets {
		if b.le == le && h.count > 0 {
			return b.count / h.count
		}
	}
	return math.NaN()
}

// smallestBound is the first finite bucket bound: below it the histogram
// cannot tell two latencies apart.
func (h histogram) smallestBound() float64 {
	if len(h.buckets) == 0 {
		return math.NaN()
	}
	return h.buckets[0].le
}
