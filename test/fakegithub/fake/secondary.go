package fake

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// activity is one user's secondary rate-limit bookkeeping. GitHub counts
// secondary limits per user, so all of a user's tokens share it; an
// installation's tokens share the installation's.
type activity struct {
	inFlight      int // admitted requests not yet answered
	points        window
	contentMinute window
	contentHour   window
}

func (s *Server) activityLocked(login string) *activity {
	key := strings.ToLower(login)
	a := s.activity[key]
	if a == nil {
		l := s.limits
		a = &activity{
			points:        window{span: l.Minute, limit: l.PointsPerMinute},
			contentMinute: window{span: l.Minute, limit: l.ContentPerMinute},
			contentHour:   window{span: l.Hour, limit: l.ContentPerHour},
		}
		s.activity[key] = a
	}
	return a
}

// charge is what one request costs in one window.
type charge struct {
	key    string // the window's Violations key
	w      *window
	weight int
}

// charges are the windows a request counts in: every request costs points,
// and every write is content-generating.
func (a *activity) charges(method string) []charge {
	cs := []charge{{ViolationPoints, &a.points, points(method)}}
	if Mutating(method) {
		cs = append(cs, charge{ViolationContentMinute, &a.contentMinute, 1}, charge{ViolationContentHour, &a.contentHour, 1})
	}
	return cs
}

// points is what a REST request costs against PointsPerMinute, per
// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#calculating-points-for-the-secondary-rate-limit.
// GitHub says some endpoints cost differently without saying which, so
// the fake charges the documented price everywhere.
func points(method string) int {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return 1
	}
	return writePoints
}

// Mutating reports whether an HTTP method writes: POST, PATCH, PUT or
// DELETE. The fake counts every such request as content-generating.
func Mutating(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// refusal is how a request over a secondary limit is answered.
type refusal struct {
	now    time.Time
	at     time.Time // when it would be admitted, if nothing else is meanwhile
	answer Answer
}

// admitLocked charges a request to its user's secondary limits if every one
// of them allows it. Otherwise it charges nothing, because a refused
// request consumes neither content nor points budget, and counts a
// violation under each limit the request is over.
func (s *Server) admitLocked(c *call, method string) (refusal, bool) {
	now := s.now()
	a := s.activityLocked(c.actor)
	ref := refusal{now: now, at: now}
	var over []string
	if a.inFlight >= s.limits.MaxConcurrent {
		over = append(over, ViolationConcurrency)
	}
	charges := a.charges(method)
	for _, ch := range charges {
		ch.w.expire(now)
		if at, fits := ch.w.admissible(now, ch.weight); !fits {
			over = append(over, ch.key)
			ref.at = maxTime(ref.at, at)
		}
	}
	if len(over) > 0 {
		s.secondaryHits++
		for _, key := range over {
			s.violations[key]++
		}
		ref.answer = s.nextAnswerLocked()
		return ref, false
	}
	for _, ch := range charges {
		ch.w.add(now, c.id, ch.weight)
	}
	a.inFlight++
	c.admitted = a
	return refusal{}, true
}

// refundLocked takes back what a request was charged on admission, for a
// request the primary limit then refuses: it was never served.
func (s *Server) refundLocked(c *call) {
	if a := c.admitted; a != nil {
		for _, w := range []*window{&a.points, &a.contentMinute, &a.contentHour} {
			w.remove(c.id)
		}
	}
}

func (s *Server) nextAnswerLocked() Answer {
	answer := s.limits.Answer
	if answer == AnswerRotate {
		answer = rotation[s.refusals%len(rotation)]
	}
	s.refusals++
	return answer
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// secondaryLimit enforces GitHub's concurrency, points and
// content-creation limits and records how closely a token's mutations
// follow each other.
func (s *Server) secondaryLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := callFrom(r)
		if !s.enterprise {
			s.mu.Lock()
			ref, ok := s.admitLocked(c, r.Method)
			s.mu.Unlock()
			if !ok {
				s.refuse(w, r, c, ref)
				return
			}
			defer s.leave(c.admitted)
		}
		next.ServeHTTP(w, r)
		if Mutating(r.Method) && (c.status < 300 || c.status >= 400) {
			s.recordMutation(c.token, c.start)
		}
	})
}

func (s *Server) leave(a *activity) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a.inFlight--
}

// refuse answers a request over a secondary limit in one of the ways
// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
// describes. Whatever the answer says to wait is the true wait, in whole
// seconds rounded up and at least one: a client that waits exactly that
// long is admitted, one that retries a second sooner is not.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, c *call, ref refusal) {
	c.limited = "secondary"
	wait := retryAfter(ref.at.Sub(ref.now))
	status := http.StatusForbidden
	switch ref.answer {
	case AnswerRetryAfter403:
		w.Header().Set("Retry-After", strconv.FormatInt(int64(wait/time.Second), 10))
	case AnswerRetryAfter429:
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", strconv.FormatInt(int64(wait/time.Second), 10))
	case AnswerReset403:
		// x-ratelimit-reset is in whole epoch seconds, so it rounds up too.
		c.retryAt = ceilSecond(maxTime(ref.at, ref.now.Add(time.Second)))
	case AnswerMinute429:
		status = http.StatusTooManyRequests
	}
	msg := "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID " + requestID(c) + "."
	s.write(w, r, errReply(status, msg, docSecondaryLimit))
}

// retryAfter rounds a wait up to whole seconds, at least one: a concurrency
// refusal has no window to wait for, but an answer that says "now" invites
// a client to spin.
func retryAfter(d time.Duration) time.Duration {
	return max(time.Second, (d+time.Second-1)/time.Second*time.Second)
}

func ceilSecond(t time.Time) time.Time {
	if down := t.Truncate(time.Second); !down.Equal(t) {
		return down.Add(time.Second)
	}
	return t
}

// window is an exact log of what was admitted during the last span, so that
// no span of time ever admits more than limit; a counter reset every span
// would let twice the limit through across a reset.
type window struct {
	span  time.Duration
	limit int
	log   []admission // oldest first
	used  int         // sum of the log's weights
}

type admission struct {
	at     time.Time
	id     int64 // the request's, so that a refund can find it
	weight int
}

// expire drops what was admitted a span or more ago: an admission at t
// counts until t+span, exclusive.
func (w *window) expire(now time.Time) {
	cutoff := now.Add(-w.span)
	i := 0
	for i < len(w.log) && !w.log[i].at.After(cutoff) {
		w.used -= w.log[i].weight
		i++
	}
	w.log = w.log[i:]
}

// admissible reports whether weight fits now and, if not, when it will: as
// the oldest admissions leave the window one by one, if nothing else is
// admitted meanwhile.
func (w *window) admissible(now time.Time, weight int) (time.Time, bool) {
	excess := w.used + weight - w.limit
	if excess <= 0 {
		return now, true
	}
	for _, a := range w.log {
		if excess -= a.weight; excess <= 0 {
			return a.at.Add(w.span), false
		}
	}
	// Only a weight above the limit gets here, which validate rules out.
	return now.Add(w.span), false
}

func (w *window) add(at time.Time, id int64, weight int) {
	w.log = append(w.log, admission{at: at, id: id, weight: weight})
	w.used += weight
}

func (w *window) remove(id int64) {
	for i := len(w.log) - 1; i >= 0; i-- {
		if w.log[i].id == id {
			w.used -= w.log[i].weight
			w.log = append(w.log[:i], w.log[i+1:]...)
			return
		}
	}
}

// recordMutation skips redirects: the client resending a PATCH to the
// Location it was given is the HTTP client at work, not the caller's pacing.
func (s *Server) recordMutation(token string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if last, ok := s.lastWrite[token]; ok {
		gap := at.Sub(last).Abs()
		if !s.gapSeen || gap < s.minGap {
			s.minGap, s.gapSeen = gap, true
		}
	}
	s.lastWrite[token] = at
}

// SecondaryLimitHits counts requests refused by a secondary rate limit,
// once each however many limits they were over.
func (s *Server) SecondaryLimitHits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.secondaryHits
}

// Violations counts, per limit (keyed by the Violation constants), the
// requests it refused since the last Reset. A request over several
// secondary limits at once counts under each. A client that keeps to every
// limit sees only zeros.
func (s *Server) Violations() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(violationKeys))
	for _, key := range violationKeys {
		out[key] = s.violations[key]
	}
	return out
}

// MinMutationGap is the shortest time between two mutating requests of one
// token; ok is false until some token has made two. GitHub asks for at
// least a second; the fake only records it.
func (s *Server) MinMutationGap() (gap time.Duration, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.minGap, s.gapSeen
}
