package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

// benchLimits relax the fake's limits so that GitHub is never what the
// benchmark waits for: it measures the Kubernetes side. Concurrency stays
// near GitHub's 100 per user because the hook server bounds its own in
// flight requests (hookArgs) below it anyway; the primary window is a day
// so that no budget refills during a run, which keeps "limit − remaining"
// an exact count of the units spent.
func benchLimits() fake.Limits {
	return fake.Limits{
		PrimaryLimit:     1_000_000_000,
		PrimaryWindow:    24 * time.Hour,
		ContentPerMinute: 1_000_000,
		ContentPerHour:   10_000_000,
		PointsPerMinute:  10_000_000,
		MaxConcurrent:    200,
	}
}

// github is the fake GitHub the benchmark runs and serves itself, so that
// it can relax the fake's limits (stack.Options only configures accounts).
type github struct {
	srv    *fake.Server
	http   *http.Server
	url    string // ends in "/"
	tokens []string
}

// tokenFor is the token of namespace i: one user per namespace, so that
// each namespace spends its own primary and secondary budgets.
func tokenFor(i int) string { return fmt.Sprintf("scale-token-%02d", i) }

func loginFor(i int) string { return fmt.Sprintf("scale-user-%02d", i) }

// benchConfig is fake.DefaultConfig (org acme with the claim property) plus
// one admin of acme per namespace.
func benchConfig(namespaces int) (fake.Config, []string) {
	cfg := fake.DefaultConfig()
	acme := &cfg.Orgs[0]
	tokens := make([]string, namespaces)
	for i := range namespaces {
		tokens[i] = tokenFor(i)
		cfg.Tokens[tokens[i]] = loginFor(i)
		cfg.Users = append(cfg.Users, fake.User{Login: loginFor(i)})
		acme.Members[loginFor(i)] = fake.RoleAdmin
	}
	return cfg, tokens
}

func startGitHub(namespaces int) (*github, error) {
	cfg, tokens := benchConfig(namespaces)
	srv, err := fake.New(fake.WithConfig(cfg), fake.WithLimits(benchLimits()))
	if err != nil {
		return nil, fmt.Errorf("fake GitHub: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fake GitHub: %w", err)
	}
	g := &github{srv: srv, tokens: tokens, url: "http://" + ln.Addr().String() + "/"}
	g.http = &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = g.http.Serve(ln) }()
	return g, nil
}

func (g *github) close() { _ = g.http.Close() }

// unitsUsed is what every token has spent of its primary budget: the
// count GitHub itself keeps, against which the request log's count is
// checked.
func (g *github) unitsUsed() int {
	used := 0
	for _, t := range g.tokens {
		rl := g.srv.RateLimit(t)
		used += rl.Limit - rl.Remaining
	}
	return used
}

// ghTally counts GitHub requests as the fake logged them.
type ghTally struct {
	Requests    int `json:"requests"`
	NotModified int `json:"not_modified"`
	// Units are primary rate-limit units, counted as GitHub counts them:
	// one per request, except a 304 to a conditional request, a request
	// refused by a rate limit, an unauthenticated one and GET /rate_limit.
	Units int `json:"units"`
	// Points are secondary-limit points: a read 1, a write 5, for every
	// request a secondary limit admitted.
	Points     int            `json:"points"`
	Writes     int            `json:"writes"`
	Limited    int            `json:"limited"`
	ByEndpoint map[string]int `json:"by_endpoint"`
	// Lost counts polls that found the log had dropped entries not yet
	// counted: the counts above are then too low.
	Lost int `json:"lost_polls,omitempty"`
}

func (t *ghTally) add(r fake.Request) {
	t.Requests++
	if r.NotModified {
		t.NotModified++
	}
	if r.Limited != "" {
		t.Limited++
	}
	if fake.Mutating(r.Method) {
		t.Writes++
	}
	if costsUnit(r) {
		t.Units++
	}
	if r.Limited == "" && r.Status != http.StatusUnauthorized {
		t.Points += points(r.Method)
	}
	if t.ByEndpoint == nil {
		t.ByEndpoint = map[string]int{}
	}
	key := fmt.Sprintf("%s %s %d", r.Method, endpoint(r.Path), r.Status)
	t.ByEndpoint[key]++
}

// costsUnit follows the fake's primaryLimit and stampRateHeaders, which
// follow GitHub: a 304 gives its unit back.
func costsUnit(r fake.Request) bool {
	return r.Status != 0 && !r.NotModified && r.Limited == "" &&
		r.Status != http.StatusUnauthorized && r.Path != "/rate_limit"
}

func points(method string) int {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return 1
	}
	return 5
}

// endpoint replaces the names and ids in a path with placeholders, so that
// requests group by endpoint.
func endpoint(path string) string {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	holders := map[string][]string{
		"repos":        {"{owner}", "{repo}"},
		"repositories": {"{id}"},
		"orgs":         {"{org}"},
		"users":        {"{login}"},
		"branches":     {"{branch}"},
		"variables":    {"{name}"},
		"schema":       {"{name}"},
	}
	for i := 0; i < len(parts); i++ {
		for j, h := range holders[parts[i]] {
			if i+1+j < len(parts) {
				parts[i+1+j] = h
			}
		}
		i += len(holders[parts[i]])
	}
	return "/" + strings.Join(parts, "/")
}

func (t ghTally) minus(o ghTally) ghTally {
	d := ghTally{
		Requests: t.Requests - o.Requests, NotModified: t.NotModified - o.NotModified,
		Units: t.Units - o.Units, Points: t.Points - o.Points, Writes: t.Writes - o.Writes,
		Limited: t.Limited - o.Limited, Lost: t.Lost - o.Lost, ByEndpoint: map[string]int{},
	}
	for k, v := range t.ByEndpoint {
		if n := v - o.ByEndpoint[k]; n != 0 {
			d.ByEndpoint[k] = n
		}
	}
	return d
}

func (t ghTally) clone() ghTally {
	c := t
	c.ByEndpoint = make(map[string]int, len(t.ByEndpoint))
	for k, v := range t.ByEndpoint {
		c.ByEndpoint[k] = v
	}
	return c
}

// requestLog follows the fake's request log, which keeps only the last
// 10,000 requests: polled every couple of seconds from where the last poll
// ended, it sees each request once and copies only the new ones.
type requestLog struct {
	srv *fake.Server

	mu    sync.Mutex
	next  int // the fake's log position after the newest entry counted
	tally ghTally
}

var errLogLost = errors.New("the fake's request log dropped requests before they were counted")

// poll counts the requests logged since the last poll.
// The lock is held across the read, so that two polls at once cannot
// count the same entries.
func (l *requestLog) poll() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	reqs, next, lost := l.srv.RequestsFrom(l.next)
	l.next = next
	for _, r := range reqs {
		l.tally.add(r)
	}
	if lost {
		l.tally.Lost++
		return errLogLost
	}
	return nil
}

func (l *requestLog) snapshot() ghTally {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tally.clone()
}
