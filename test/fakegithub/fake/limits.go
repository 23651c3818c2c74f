package fake

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Limits are the REST rate limits the fake enforces, as GitHub documents
// them at https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api.
// The primary limit is counted per token; the secondary limits per
// authenticated user, shared by all of that user's tokens. An
// installation's tokens share the installation's primary and secondary
// limits. A zero field takes its default.
type Limits struct {
	// PrimaryLimit is a token's budget per PrimaryWindow (5000, a user
	// token's limit on the "core" resource).
	PrimaryLimit int
	// PrimaryWindow starts at a token's first request and ends at
	// x-ratelimit-reset, when the budget refills; it defaults to Hour.
	PrimaryWindow time.Duration
	// PrimaryStatus answers a request over the primary limit: 403
	// (default) or 429, both of which GitHub documents.
	PrimaryStatus int

	// ContentPerMinute and ContentPerHour bound content-generating
	// requests (80 and 500). Every POST, PATCH, PUT and DELETE counts:
	// GitHub does not say which requests generate content, so the fake
	// assumes the worst.
	ContentPerMinute int
	ContentPerHour   int
	// PointsPerMinute bounds the points of all REST requests (900): GET,
	// HEAD and OPTIONS cost 1 point, every other method 5.
	PointsPerMinute int
	// MaxConcurrent bounds the requests in flight at once (100).
	MaxConcurrent int

	// Minute and Hour are how long the fake's minute and hour last (1m and
	// 1h). Shorten them by one factor, with Scaled, to run an hour's
	// traffic in seconds; Retry-After is still in real seconds.
	Minute time.Duration
	Hour   time.Duration

	// Answer is how a request over a secondary limit is refused.
	Answer Answer
}

// Keys of Violations, one per limit.
const (
	ViolationPrimary       = "primary"
	ViolationContentMinute = "content-minute"
	ViolationContentHour   = "content-hour"
	ViolationPoints        = "points"
	ViolationConcurrency   = "concurrency"
)

var violationKeys = []string{ViolationPrimary, ViolationContentMinute, ViolationContentHour, ViolationPoints, ViolationConcurrency}

// DefaultLimits are GitHub's documented limits for a user token.
func DefaultLimits() Limits { return Limits{}.withDefaults() }

// withDefaults fills in the zero fields. PrimaryWindow follows Hour so that
// scaling the hour scales the primary window too.
func (l Limits) withDefaults() Limits {
	orDefault := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	orDefault(&l.PrimaryLimit, 5000)
	orDefault(&l.PrimaryStatus, http.StatusForbidden)
	orDefault(&l.ContentPerMinute, 80)
	orDefault(&l.ContentPerHour, 500)
	orDefault(&l.PointsPerMinute, 900)
	orDefault(&l.MaxConcurrent, 100)
	if l.Minute == 0 {
		l.Minute = time.Minute
	}
	if l.Hour == 0 {
		l.Hour = time.Hour
	}
	if l.PrimaryWindow == 0 {
		l.PrimaryWindow = l.Hour
	}
	return l
}

// Scaled returns l, defaults filled in, with every window shortened or
// lengthened by the one factor that makes a minute last minute: Hour and
// PrimaryWindow keep their proportion to Minute.
func (l Limits) Scaled(minute time.Duration) Limits {
	l = l.withDefaults()
	factor := float64(minute) / float64(l.Minute)
	scale := func(d time.Duration) time.Duration { return time.Duration(float64(d) * factor) }
	l.Minute, l.Hour, l.PrimaryWindow = minute, scale(l.Hour), scale(l.PrimaryWindow)
	return l
}

// writePoints is what a write costs; a points budget below it would refuse
// every write forever, which no Retry-After could describe.
const writePoints = 5

func (l Limits) validate() error {
	var errs []error
	counts := []struct {
		name string
		v    int
	}{
		{"PrimaryLimit", l.PrimaryLimit}, {"ContentPerMinute", l.ContentPerMinute}, {"ContentPerHour", l.ContentPerHour},
		{"PointsPerMinute", l.PointsPerMinute}, {"MaxConcurrent", l.MaxConcurrent},
	}
	for _, c := range counts {
		if c.v < 1 {
			errs = append(errs, fmt.Errorf("%s is %d, want at least 1", c.name, c.v))
		}
	}
	if l.PointsPerMinute > 0 && l.PointsPerMinute < writePoints {
		errs = append(errs, fmt.Errorf("PointsPerMinute is %d, want at least %d, the cost of one write", l.PointsPerMinute, writePoints))
	}
	spans := []struct {
		name string
		d    time.Duration
	}{{"PrimaryWindow", l.PrimaryWindow}, {"Minute", l.Minute}, {"Hour", l.Hour}}
	for _, sp := range spans {
		if sp.d <= 0 {
			errs = append(errs, fmt.Errorf("%s is %s, want more than 0", sp.name, sp.d))
		}
	}
	if l.PrimaryStatus != http.StatusForbidden && l.PrimaryStatus != http.StatusTooManyRequests {
		errs = append(errs, fmt.Errorf("PrimaryStatus is %d, want 403 or 429", l.PrimaryStatus))
	}
	if l.Answer < AnswerRetryAfter403 || l.Answer > AnswerRotate {
		errs = append(errs, fmt.Errorf("unknown Answer %d", int(l.Answer)))
	}
	return errors.Join(errs...)
}

// Answer is one of the ways GitHub documents refusing a request over a
// secondary limit, each telling the client differently how long to wait.
type Answer int

const (
	// AnswerRetryAfter403 is 403 with Retry-After (the default).
	AnswerRetryAfter403 Answer = iota
	// AnswerRetryAfter429 is 429 with Retry-After.
	AnswerRetryAfter429
	// AnswerReset403 is 403 without Retry-After, with
	// x-ratelimit-remaining 0 and x-ratelimit-reset at the time the
	// request would be admitted.
	AnswerReset403
	// AnswerMinute429 is 429 with neither, which leaves the client to wait
	// at least a minute.
	AnswerMinute429
	// AnswerRotate takes the four answers above in turn, one per refusal.
	AnswerRotate
)

var answerNames = []string{"403-retry-after", "429-retry-after", "403-reset", "429-minute", "rotate"}

func (a Answer) String() string {
	if a < 0 || int(a) >= len(answerNames) {
		return fmt.Sprintf("Answer(%d)", int(a))
	}
	return answerNames[a]
}

// MarshalText and UnmarshalText use the names String gives, so that an
// Answer can be a flag (flag.TextVar) or a JSON value.
func (a Answer) MarshalText() ([]byte, error) {
	if a < 0 || int(a) >= len(answerNames) {
		return nil, fmt.Errorf("unknown answer %d", int(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText accepts one of 403-retry-after, 429-retry-after, 403-reset,
// 429-minute and rotate.
func (a *Answer) UnmarshalText(text []byte) error {
	for i, name := range answerNames {
		if string(text) == name {
			*a = Answer(i)
			return nil
		}
	}
	return fmt.Errorf("unknown answer %q, want one of %v", text, answerNames)
}

// rotation is the order AnswerRotate takes.
var rotation = []Answer{AnswerRetryAfter403, AnswerRetryAfter429, AnswerReset403, AnswerMinute429}

// WithLimits replaces every rate limit; zero fields take their defaults,
// and options after it may still adjust it.
func WithLimits(l Limits) Option { return func(s *Server) { s.limits = l } }

// WithEnterprise makes the fake a GitHub Enterprise Server with rate
// limiting disabled, as it is by default: no limit is enforced and no
// x-ratelimit-* header is sent.
func WithEnterprise() Option { return func(s *Server) { s.enterprise = true } }

// WithRateLimit sets every token's primary budget per window (default 5000
// per hour).
func WithRateLimit(limit int, window time.Duration) Option {
	return func(s *Server) { s.limits.PrimaryLimit, s.limits.PrimaryWindow = limit, window }
}

// WithSecondaryLimits sets how many requests a user may have in flight
// (default 100) and how many content-generating requests it may make per
// minute (default 80) before it hits a secondary rate limit.
func WithSecondaryLimits(maxConcurrent, contentPerMinute int) Option {
	return func(s *Server) { s.limits.MaxConcurrent, s.limits.ContentPerMinute = maxConcurrent, contentPerMinute }
}
