package fake_test

import (
	"maps"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

// Every limit tested here is documented in "Rate limits for the REST API",
// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api,
// and each test cites the section it checks.

const secondaryMessage = "You have exceeded a secondary rate limit."

// burst is n requests of one method, the clock stepping every after each
// one; the clock first steps after.
type burst struct {
	after  time.Duration
	n      int
	method string
	every  time.Duration
}

func (b burst) send(t *testing.T, base string, clock interface{ Step(time.Duration) }, token string) {
	t.Helper()
	clock.Step(b.after)
	for i := range b.n {
		if got := send(t, base, b.method, token); got.resp.StatusCode >= 300 {
			t.Fatalf("%s #%d of %d: %d %s", b.method, i+1, b.n, got.resp.StatusCode, got.body)
		}
		clock.Step(b.every)
	}
}

// send makes a request that costs as the method does: a read or a write of
// acme/widgets.
func send(t *testing.T, base, method, token string) exchange {
	t.Helper()
	if method == "GET" {
		return call(t, base, method, "/repos/acme/widgets", token, nil)
	}
	return call(t, base, method, "/repos/acme/widgets", token, map[string]any{"description": "x"})
}

// violations is Violations as it should be: zero except for over.
func violations(over ...string) map[string]int {
	want := map[string]int{
		fake.ViolationPrimary: 0, fake.ViolationContentMinute: 0, fake.ViolationContentHour: 0,
		fake.ViolationPoints: 0, fake.ViolationConcurrency: 0,
	}
	for _, key := range over {
		want[key]++
	}
	return want
}

func header(e exchange, name string) string { return e.resp.Header.Get(name) }

// TestSecondaryLimitWindows fills one secondary limit, checks the request
// over it is refused with the true wait as Retry-After, then that the same
// request is still refused a second before that wait is over and admitted
// when it is: the windows slide.
func TestSecondaryLimitWindows(t *testing.T) {
	tests := []struct {
		name   string
		limits fake.Limits
		before []burst
		then   string // method of the refused request
		over   []string
		wait   int // seconds
	}{
		// #about-secondary-rate-limits: "no more than 80 content-generating
		// requests per minute". The first of 80 writes half a second apart
		// leaves the window 20s after the 81st arrives.
		{"content per minute", fake.Limits{}, []burst{{0, 80, "PATCH", 500 * time.Millisecond}}, "PATCH",
			[]string{fake.ViolationContentMinute}, 20},
		// #about-secondary-rate-limits: "no more than 500
		// content-generating requests per hour", on a clock where a minute
		// lasts a second and an hour a minute; 80 writes a (scaled) minute
		// keep to the minute limit, and the 501st waits 53.75s, rounded up.
		{"content per hour", fake.DefaultLimits().Scaled(time.Second), []burst{{0, 500, "PATCH", 12500 * time.Microsecond}}, "PATCH",
			[]string{fake.ViolationContentHour}, 54},
		// #calculating-points-for-the-secondary-rate-limit: "no more than
		// 900 points per minute", a write costing 5 points.
		{"points from writes", fake.Limits{ContentPerMinute: 180}, []burst{{0, 180, "PATCH", 0}}, "GET",
			[]string{fake.ViolationPoints}, 60},
		// #calculating-points-for-the-secondary-rate-limit: a read costs 1
		// point; 80 writes and 500 reads are 900 points.
		{"points from reads and writes", fake.Limits{}, []burst{{0, 80, "PATCH", 0}, {0, 500, "GET", 0}}, "GET",
			[]string{fake.ViolationPoints}, 60},
		// A sliding window, not a counter reset every minute: 40 writes at
		// 0s and 40 at 30s; at 60s the first 40 leave and 40 more pass,
		// and the next waits for those of 30s to leave at 90s.
		{"the window slides", fake.Limits{}, []burst{{0, 40, "PATCH", 0}, {30 * time.Second, 40, "PATCH", 0}, {30 * time.Second, 40, "PATCH", 0}}, "PATCH",
			[]string{fake.ViolationContentMinute}, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, clock := start(t, fake.WithLimits(tt.limits))
			admitted := 0
			for _, b := range tt.before {
				b.send(t, base, clock, octocatToken)
				admitted += b.n
			}
			refused := send(t, base, tt.then, octocatToken)
			refused.expect(t, http.StatusForbidden, "")
			if msg, _ := refused.json(t)["message"].(string); !strings.HasPrefix(msg, secondaryMessage) {
				t.Errorf("message = %q", msg)
			}
			if got := header(refused, "Retry-After"); got != strconv.Itoa(tt.wait) {
				t.Errorf("Retry-After = %q, want %d", got, tt.wait)
			}
			if got := header(refused, "X-RateLimit-Remaining"); got != strconv.Itoa(5000-admitted) {
				t.Errorf("X-RateLimit-Remaining = %s, want %d: a refused request costs no primary budget", got, 5000-admitted)
			}
			if got := s.Violations(); !maps.Equal(got, violations(tt.over...)) {
				t.Errorf("Violations = %v, want %v", got, violations(tt.over...))
			}
			clock.Step(time.Duration(tt.wait-1) * time.Second)
			if tt.wait > 1 {
				send(t, base, tt.then, octocatToken).expect(t, http.StatusForbidden, "")
			}
			clock.Step(time.Second)
			if got := send(t, base, tt.then, octocatToken); got.resp.StatusCode >= 300 {
				t.Errorf("after Retry-After: %d %s", got.resp.StatusCode, got.body)
			}
		})
	}
}

// TestSecondaryLimitAnswers checks each way of refusing that
// #exceeding-the-rate-limit describes: 403 or 429, and retry-after, or
// x-ratelimit-remaining 0 with x-ratelimit-reset, or neither (wait a
// minute). One write a minute is allowed; the second comes 10s after the
// first, so the true wait is 50s.
func TestSecondaryLimitAnswers(t *testing.T) {
	primaryReset := strconv.FormatInt(epoch.Add(time.Hour).Unix(), 10)
	admitAt := strconv.FormatInt(epoch.Add(time.Minute).Unix(), 10)
	want := map[fake.Answer]struct {
		status     int
		retryAfter string
		remaining  string
		reset      string
	}{
		fake.AnswerRetryAfter403: {403, "50", "4999", primaryReset},
		fake.AnswerRetryAfter429: {429, "50", "4999", primaryReset},
		fake.AnswerReset403:      {403, "", "0", admitAt},
		fake.AnswerMinute429:     {429, "", "4999", primaryReset},
	}
	tests := []struct {
		name    string
		answer  fake.Answer
		answers []fake.Answer // of successive refusals
	}{
		{"403 with retry-after", fake.AnswerRetryAfter403, []fake.Answer{fake.AnswerRetryAfter403, fake.AnswerRetryAfter403}},
		{"429 with retry-after", fake.AnswerRetryAfter429, []fake.Answer{fake.AnswerRetryAfter429}},
		{"403 with remaining 0 and reset", fake.AnswerReset403, []fake.Answer{fake.AnswerReset403}},
		{"429 with neither", fake.AnswerMinute429, []fake.Answer{fake.AnswerMinute429}},
		{"rotating", fake.AnswerRotate, []fake.Answer{fake.AnswerRetryAfter403, fake.AnswerRetryAfter429, fake.AnswerReset403, fake.AnswerMinute429, fake.AnswerRetryAfter403}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, clock := start(t, fake.WithLimits(fake.Limits{ContentPerMinute: 1, Answer: tt.answer}))
			send(t, base, "PATCH", octocatToken).expect(t, http.StatusOK, "")
			clock.Step(10 * time.Second)
			for i, answer := range tt.answers {
				w := want[answer]
				got := send(t, base, "PATCH", octocatToken)
				got.expect(t, w.status, "")
				if msg, _ := got.json(t)["message"].(string); !strings.HasPrefix(msg, secondaryMessage) {
					t.Errorf("#%d message = %q", i, msg)
				}
				if header(got, "Retry-After") != w.retryAfter || header(got, "X-RateLimit-Remaining") != w.remaining ||
					header(got, "X-RateLimit-Reset") != w.reset {
					t.Errorf("#%d (%s): Retry-After %q, remaining %q, reset %q; want %+v", i, answer,
						header(got, "Retry-After"), header(got, "X-RateLimit-Remaining"), header(got, "X-RateLimit-Reset"), w)
				}
			}
			if rl := s.RateLimit(octocatToken); rl.Remaining != 4999 {
				t.Errorf("primary remaining = %d: the reset answer must not spend the budget", rl.Remaining)
			}
			if hits := s.SecondaryLimitHits(); hits != len(tt.answers) {
				t.Errorf("SecondaryLimitHits = %d, want %d", hits, len(tt.answers))
			}
		})
	}
}

// TestPrimaryLimitExhausted: #exceeding-the-rate-limit, "you will receive a
// 403 or 429 response, and the x-ratelimit-remaining header will be 0"
// until x-ratelimit-reset.
func TestPrimaryLimitExhausted(t *testing.T) {
	tests := []struct {
		name   string
		status int // Limits.PrimaryStatus
		want   int
	}{
		{"403 by default", 0, http.StatusForbidden},
		{"429", http.StatusTooManyRequests, http.StatusTooManyRequests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, clock := start(t, fake.WithLimits(fake.Limits{PrimaryLimit: 2, PrimaryWindow: 10 * time.Minute, PrimaryStatus: tt.status}))
			burst{n: 2, method: "GET"}.send(t, base, clock, octocatToken)
			refused := send(t, base, "GET", octocatToken)
			refused.expect(t, tt.want, "")
			if msg, _ := refused.json(t)["message"].(string); !strings.HasPrefix(msg, "API rate limit exceeded for user ID 1.") {
				t.Errorf("message = %q", msg)
			}
			reset := strconv.FormatInt(epoch.Add(10*time.Minute).Unix(), 10)
			if header(refused, "X-RateLimit-Remaining") != "0" || header(refused, "X-RateLimit-Used") != "2" ||
				header(refused, "X-RateLimit-Reset") != reset || header(refused, "X-RateLimit-Resource") != "core" {
				t.Errorf("headers = %v", refused.resp.Header)
			}
			if got := s.Violations(); !maps.Equal(got, violations(fake.ViolationPrimary)) {
				t.Errorf("Violations = %v", got)
			}
			clock.Step(10*time.Minute - time.Second)
			send(t, base, "GET", octocatToken).expect(t, tt.want, "")
			clock.Step(time.Second)
			send(t, base, "GET", octocatToken).expect(t, http.StatusOK, "")
		})
	}
}

// TestLimitsPerTokenAndUser: the fake keeps a primary budget per token
// (GitHub's #primary-rate-limit-for-authenticated-users pools a user's
// tokens; per token is what existing tests and clients of the fake rely
// on), the secondary limits are the user's, shared by all of its tokens,
// and a request refused by one limit costs nothing against the others.
func TestLimitsPerTokenAndUser(t *testing.T) {
	const second = "octocat-second-token"
	cfg := testConfig()
	cfg.Tokens[second] = "octocat"
	s, base, clock := start(t, fake.WithConfig(cfg), fake.WithLimits(fake.Limits{PrimaryLimit: 3, PointsPerMinute: 5}))

	burst{n: 3, method: "GET"}.send(t, base, clock, octocatToken) // 3 points
	send(t, base, "GET", octocatToken).expect(t, http.StatusForbidden, "")
	burst{n: 2, method: "GET"}.send(t, base, clock, second) // 5 points: the refused request cost none
	refused := send(t, base, "GET", second)
	refused.expect(t, http.StatusForbidden, "")
	if header(refused, "Retry-After") != "60" || header(refused, "X-RateLimit-Remaining") != "1" {
		t.Errorf("the 6th point of octocat, with budget left, was not refused by a secondary limit: %v", refused.resp.Header)
	}
	send(t, base, "GET", devToken).expect(t, http.StatusOK, "")
	if got, want := s.Violations(), violations(fake.ViolationPrimary, fake.ViolationPoints); !maps.Equal(got, want) {
		t.Errorf("Violations = %v, want %v", got, want)
	}
}

// TestEnterpriseWithoutRateLimits: GitHub Enterprise Server has rate limits
// disabled by default (https://docs.github.com/enterprise-server@latest/rest/using-the-rest-api/rate-limits-for-the-rest-api):
// no limit applies and no x-ratelimit header is sent.
func TestEnterpriseWithoutRateLimits(t *testing.T) {
	s, base, _ := start(t, fake.WithEnterprise(), fake.WithLimits(fake.Limits{PrimaryLimit: 1, ContentPerMinute: 1, MaxConcurrent: 1}))
	first := send(t, base, "GET", octocatToken)
	answers := []exchange{
		first,
		call(t, base, "GET", "/repos/acme/widgets", octocatToken, nil, "If-None-Match", header(first, "ETag")),
		call(t, base, "GET", "/repos/acme/none", octocatToken, nil),
	}
	for range 100 {
		answers = append(answers, send(t, base, "PATCH", octocatToken))
	}
	for i, got := range answers {
		if got.resp.StatusCode >= 400 && i != 2 {
			t.Fatalf("#%d: %d %s", i, got.resp.StatusCode, got.body)
		}
		for name := range got.resp.Header {
			if strings.HasPrefix(strings.ToLower(name), "x-ratelimit-") {
				t.Errorf("#%d (%d): header %s", i, got.resp.StatusCode, name)
			}
		}
	}
	if answers[1].resp.StatusCode != http.StatusNotModified || answers[2].resp.StatusCode != http.StatusNotFound {
		t.Errorf("statuses = %d, %d; want 304, 404", answers[1].resp.StatusCode, answers[2].resp.StatusCode)
	}
	call(t, base, "GET", "/rate_limit", octocatToken, nil).expect(t, http.StatusNotFound, "Rate limiting is not enabled.")
	if got := s.Violations(); !maps.Equal(got, violations()) || s.SecondaryLimitHits() != 0 {
		t.Errorf("Violations = %v, hits = %d", got, s.SecondaryLimitHits())
	}
}

// TestRespectfulClientSeesNoViolations paces writes 7.2s apart, which is
// what sustains 500 an hour (#about-secondary-rate-limits), for 700 writes
// with a read after each: no limit is ever hit.
func TestRespectfulClientSeesNoViolations(t *testing.T) {
	s, base, clock := start(t)
	for i := range 700 {
		send(t, base, "PATCH", octocatToken).expect(t, http.StatusOK, "")
		send(t, base, "GET", octocatToken).expect(t, http.StatusOK, "")
		if i%100 == 99 {
			clock.Step(time.Minute) // the primary window refills meanwhile
		}
		clock.Step(7200 * time.Millisecond)
	}
	if got := s.Violations(); !maps.Equal(got, violations()) {
		t.Errorf("Violations = %v", got)
	}
}

func TestLimitsValidated(t *testing.T) {
	tests := []struct {
		name   string
		limits fake.Limits
		ok     bool
	}{
		{"all defaults", fake.Limits{}, true},
		{"scaled", fake.DefaultLimits().Scaled(time.Second), true},
		{"points below one write", fake.Limits{PointsPerMinute: 4}, false},
		{"negative limit", fake.Limits{ContentPerHour: -1}, false},
		{"negative window", fake.Limits{Minute: -time.Second}, false},
		{"primary status", fake.Limits{PrimaryStatus: http.StatusServiceUnavailable}, false},
		{"unknown answer", fake.Limits{Answer: fake.AnswerRotate + 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := fake.New(fake.WithLimits(tt.limits)); (err == nil) != tt.ok {
				t.Errorf("New: %v", err)
			}
		})
	}
}

func TestLimitsScaled(t *testing.T) {
	got := fake.Limits{PrimaryWindow: 2 * time.Hour}.Scaled(time.Second)
	want := fake.DefaultLimits()
	want.Minute, want.Hour, want.PrimaryWindow = time.Second, time.Minute, 2*time.Minute
	if got != want {
		t.Errorf("Scaled = %+v, want %+v", got, want)
	}
}
