package githubrepo

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// routes maps request paths to GitHub's route templates, so that span
// names and metric labels stay few and name no repository.
var routes = []struct {
	re       *regexp.Regexp
	template string
}{
	{regexp.MustCompile(`^/repos/[^/]+/[^/]+/topics$`), "/repos/{owner}/{repo}/topics"},
	{regexp.MustCompile(`^/repos/[^/]+/[^/]+$`), "/repos/{owner}/{repo}"},
	{regexp.MustCompile(`^/repositories/\d+$`), "/repositories/{id}"},
	{regexp.MustCompile(`^/orgs/[^/]+/repos$`), "/orgs/{org}/repos"},
	{regexp.MustCompile(`^/users/[^/]+$`), "/users/{username}"},
	{regexp.MustCompile(`^/user/repos$`), "/user/repos"},
	{regexp.MustCompile(`^/user$`), "/user"},
	{regexp.MustCompile(`^/rate_limit$`), "/rate_limit"},
}

func routeOf(path string) string {
	path = strings.TrimPrefix(path, "/api/v3") // GitHub Enterprise Server
	for _, r := range routes {
		if r.re.MatchString(path) {
			return r.template
		}
	}
	return "other"
}

// NewHTTPClient is the client every credential's GitHub requests go
// through, counted, and traced when traced is set.
func NewHTTPClient(m *Metrics, traced bool) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// GitHub is one host or a few, which every sync in flight calls at
	// once. Go keeps only 2 idle connections per host by default, so each
	// request beyond the second would dial, and on TLS handshake, anew.
	t.MaxIdleConnsPerHost = 64
	var rt http.RoundTripper = measured{base: t, metrics: m}
	if traced {
		rt = traceTransport(rt)
	}
	// No Client.Timeout: every GitHub call runs under the hook's GitHub
	// deadline (GitHubTimeout), and a second one would cost a timer per
	// request.
	return &http.Client{Transport: rt}
}

// traceTransport makes each GitHub request a client span, child of the
// reconcile step in the request's context. otelhttp records method,
// server.address, status and errors; headers, and so the Authorization
// header, are never recorded.
func traceTransport(base http.RoundTripper) http.RoundTripper {
	return otelhttp.NewTransport(base,
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			return r.Method + " " + routeOf(r.URL.Path)
		}))
}

// measured counts and times each GitHub request by route, and puts what
// GitHub said of the rate limit on the request's span.
type measured struct {
	base    http.RoundTripper
	metrics *Metrics
}

func (o measured) RoundTrip(r *http.Request) (*http.Response, error) {
	route := routeOf(r.URL.Path)
	span := trace.SpanFromContext(r.Context())
	span.SetAttributes(attribute.String("http.route", route))
	start := time.Now()
	resp, err := o.base.RoundTrip(r)
	took := time.Since(start)
	code := "error"
	if err == nil {
		code = strconv.Itoa(resp.StatusCode)
		notModified := resp.StatusCode == http.StatusNotModified
		span.SetAttributes(attribute.Bool("github.not_modified", notModified))
		if rem, perr := strconv.Atoi(resp.Header.Get("X-RateLimit-Remaining")); perr == nil {
			span.SetAttributes(attribute.Int("github.ratelimit.remaining", rem))
		}
		if notModified {
			o.metrics.notModified()
		}
	}
	o.metrics.request(r.Method+" "+route, code, took)
	return resp, err
}
