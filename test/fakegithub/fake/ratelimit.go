package fake

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// RateLimit is a token's primary rate-limit budget.
type RateLimit struct {
	Limit     int       `json:"limit"`
	Remaining int       `json:"remaining"`
	Reset     time.Time `json:"reset"`
}

// anonymousLimit is the budget GitHub shows a client it couldn't
// authenticate.
const anonymousLimit = 60

// bucketLocked returns token's budget, refilled if its window has passed.
// GitHub starts a window at a token's first request.
func (s *Server) bucketLocked(token string) *RateLimit {
	now := s.now()
	b := s.buckets[token]
	if b == nil {
		b = &RateLimit{Limit: s.limit, Remaining: s.limit, Reset: now.Add(s.window)}
		s.buckets[token] = b
	}
	if !now.Before(b.Reset) {
		b.Remaining, b.Reset = b.Limit, now.Add(s.window)
	}
	return b
}

// SetRateLimit sets a token's budget; a zero Limit keeps the current one
// and a zero Reset keeps the current window.
func (s *Server) SetRateLimit(token string, rl RateLimit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bucketLocked(token)
	if rl.Limit > 0 {
		b.Limit = rl.Limit
	}
	if !rl.Reset.IsZero() {
		b.Reset = rl.Reset
	}
	b.Remaining = min(max(rl.Remaining, 0), b.Limit)
}

// RateLimit reports a token's budget as GitHub would.
func (s *Server) RateLimit(token string) RateLimit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.bucketLocked(token)
}

// primaryLimit takes one request from the token's budget before the
// handler runs; the recorder gives it back if the answer is a 304.
// GET /rate_limit is free, as on GitHub.
func (s *Server) primaryLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := callFrom(r)
		if c.path == "/rate_limit" {
			next.ServeHTTP(w, r)
			return
		}
		s.mu.Lock()
		b := s.bucketLocked(c.token)
		c.charged = b.Remaining > 0
		if c.charged {
			b.Remaining--
		}
		var userID int64
		if a := s.st.account(c.user); a != nil {
			userID = a.ID
		}
		s.mu.Unlock()
		if c.charged {
			next.ServeHTTP(w, r)
			return
		}
		c.limited = "primary"
		msg := fmt.Sprintf("API rate limit exceeded for user ID %d. If you reach out to GitHub Support for help, please include the request ID %s.", userID, requestID(c))
		s.write(w, r, errReply(http.StatusForbidden, msg, docPrimaryLimit))
	})
}

func requestID(c *call) string { return fmt.Sprintf("FAKE:%08X", c.id) }

// stampRateHeaders runs as the status is written.
func (s *Server) stampRateHeaders(h http.Header, c *call, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.status = status
	rl := RateLimit{Limit: anonymousLimit, Remaining: anonymousLimit, Reset: s.now().Add(time.Hour)}
	if c.user != "" {
		b := s.bucketLocked(c.token)
		if status == http.StatusNotModified && c.charged {
			b.Remaining, c.charged = min(b.Remaining+1, b.Limit), false
		}
		rl = *b
	}
	c.remaining = rl.Remaining
	h.Set("X-RateLimit-Limit", strconv.Itoa(rl.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(rl.Remaining))
	h.Set("X-RateLimit-Used", strconv.Itoa(rl.Limit-rl.Remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(rl.Reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

func (s *Server) getRateLimit(_ *http.Request, c *call) reply {
	now := s.now()
	core := s.bucketLocked(c.token)
	rate := func(limit, remaining int, reset time.Time) map[string]int64 {
		return map[string]int64{"limit": int64(limit), "remaining": int64(remaining), "used": int64(limit - remaining), "reset": reset.Unix()}
	}
	coreRate := rate(core.Limit, core.Remaining, core.Reset)
	return reply{status: http.StatusOK, body: map[string]any{
		"rate": coreRate,
		"resources": map[string]any{
			"core":                 coreRate,
			"search":               rate(30, 30, now.Add(time.Minute)),
			"code_search":          rate(10, 10, now.Add(time.Minute)),
			"graphql":              rate(5000, 5000, now.Add(time.Hour)),
			"integration_manifest": rate(5000, 5000, now.Add(time.Hour)),
			"source_import":        rate(100, 100, now.Add(time.Minute)),
		},
	}}
}

// activity is a token's secondary rate-limit bookkeeping.
type activity struct {
	inFlight     int
	mutations    []time.Time // admitted mutating requests of the last minute
	lastMutation time.Time
}

// Mutating reports whether an HTTP method writes: POST, PATCH, PUT or
// DELETE.
func Mutating(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// secondaryLimit enforces GitHub's concurrency and content-creation limits
// and records how closely a token's mutations follow each other.
func (s *Server) secondaryLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := callFrom(r)
		s.mu.Lock()
		a := s.activity[c.token]
		if a == nil {
			a = &activity{}
			s.activity[c.token] = a
		}
		a.inFlight++
		limited := a.inFlight > s.maxConcurrent || (Mutating(r.Method) && !s.admitMutationLocked(a))
		if limited {
			s.secondaryHits++
		}
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			a.inFlight--
			s.mu.Unlock()
		}()
		if limited {
			c.limited = "secondary"
			w.Header().Set("Retry-After", "60")
			msg := "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID " + requestID(c) + "."
			s.write(w, r, errReply(http.StatusForbidden, msg, docSecondaryLimit))
			return
		}
		next.ServeHTTP(w, r)
		if Mutating(r.Method) && (c.status < 300 || c.status >= 400) {
			s.recordMutation(a, c.start)
		}
	})
}

func (s *Server) admitMutationLocked(a *activity) bool {
	cutoff := s.now().Add(-time.Minute)
	kept := a.mutations[:0]
	for _, t := range a.mutations {
		if t.After(cutoff) {
			kept = append(kept, t)
		}
	}
	a.mutations = kept
	if len(a.mutations) >= s.mutationsPerMinute {
		return false
	}
	a.mutations = append(a.mutations, s.now())
	return true
}

// recordMutation skips redirects: the client resending a PATCH to the
// Location it was given is the HTTP client at work, not the caller's pacing.
func (s *Server) recordMutation(a *activity, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !a.lastMutation.IsZero() {
		gap := at.Sub(a.lastMutation).Abs()
		if !s.gapSeen || gap < s.minGap {
			s.minGap, s.gapSeen = gap, true
		}
	}
	a.lastMutation = at
}

// SecondaryLimitHits counts requests refused by a secondary rate limit.
func (s *Server) SecondaryLimitHits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.secondaryHits
}

// MinMutationGap is the shortest time between two mutating requests of one
// token; ok is false until some token has made two. GitHub asks for at
// least a second; the fake only records it.
func (s *Server) MinMutationGap() (gap time.Duration, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.minGap, s.gapSeen
}
