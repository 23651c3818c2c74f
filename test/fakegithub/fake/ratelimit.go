package fake

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// RateLimit is a primary rate-limit budget: a user token's, or an
// installation's, which all of its tokens share.
type RateLimit struct {
	Limit     int       `json:"limit"`
	Remaining int       `json:"remaining"`
	Reset     time.Time `json:"reset"`
}

// anonymousLimit is the budget GitHub shows a client it couldn't
// authenticate.
const anonymousLimit = 60

// bucketLocked returns a budget (a user token, "installation:ID" or
// "app:ID"), refilled if its window has passed.
// GitHub starts a window at a token's first request; unlike the secondary
// limits, the primary one is a fixed window, because x-ratelimit-reset
// promises the whole budget back at one moment.
func (s *Server) bucketLocked(key string) *RateLimit {
	now := s.now()
	b := s.buckets[key]
	if b == nil {
		b = &RateLimit{Limit: s.limits.PrimaryLimit, Remaining: s.limits.PrimaryLimit, Reset: now.Add(s.limits.PrimaryWindow)}
		s.buckets[key] = b
	}
	if !now.Before(b.Reset) {
		b.Remaining, b.Reset = b.Limit, now.Add(s.limits.PrimaryWindow)
	}
	return b
}

// budgetKeyLocked names the budget a token takes from: an installation
// access token takes from its installation's, as GitHub counts
// installation rate limits per installation.
func (s *Server) budgetKeyLocked(token string) string {
	if t := s.st.instTokens[token]; t != nil {
		return fmt.Sprintf("installation:%d", t.inst.id)
	}
	return token
}

// SetRateLimit sets the budget a token takes from (its installation's, for
// an installation access token); a zero Limit keeps the current one and a
// zero Reset keeps the current window.
func (s *Server) SetRateLimit(token string, rl RateLimit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bucketLocked(s.budgetKeyLocked(token))
	if rl.Limit > 0 {
		b.Limit = rl.Limit
	}
	if !rl.Reset.IsZero() {
		b.Reset = rl.Reset
	}
	b.Remaining = min(max(rl.Remaining, 0), b.Limit)
}

// RateLimit reports the budget a token takes from as GitHub would.
func (s *Server) RateLimit(token string) RateLimit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.bucketLocked(s.budgetKeyLocked(token))
}

// primaryLimit takes one request from the token's budget before the
// handler runs; the recorder gives it back if the answer is a 304.
// GET /rate_limit is free, as on GitHub.
func (s *Server) primaryLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := callFrom(r)
		if s.enterprise || c.path == "/rate_limit" {
			next.ServeHTTP(w, r)
			return
		}
		s.mu.Lock()
		b := s.bucketLocked(c.bucket)
		c.charged = b.Remaining > 0
		if c.charged {
			b.Remaining--
		} else {
			s.violations[ViolationPrimary]++
			s.refundLocked(c)
		}
		who := s.limitedLocked(c)
		s.mu.Unlock()
		if c.charged {
			next.ServeHTTP(w, r)
			return
		}
		c.limited = "primary"
		msg := fmt.Sprintf("API rate limit exceeded for %s. If you reach out to GitHub Support for help, please include the request ID %s.", who, requestID(c))
		s.write(w, r, errReply(s.limits.PrimaryStatus, msg, docPrimaryLimit))
	})
}

// limitedLocked names whose primary limit a request is over, as GitHub's
// message does: "user ID 1", "installation ID 2".
func (s *Server) limitedLocked(c *call) string {
	switch {
	case c.itok != nil:
		return fmt.Sprintf("installation ID %d", c.itok.inst.id)
	case c.app != nil:
		return fmt.Sprintf("app ID %d", c.app.id)
	}
	var userID int64
	if a := s.st.account(c.user); a != nil {
		userID = a.ID
	}
	return fmt.Sprintf("user ID %d", userID)
}

func requestID(c *call) string { return fmt.Sprintf("FAKE:%08X", c.id) }

// stampRateHeaders runs as the status is written: every answer carries the
// primary limit, 304s and refusals included, except on an Enterprise
// Server without rate limiting, which sends none.
func (s *Server) stampRateHeaders(h http.Header, c *call, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.status = status
	if s.enterprise {
		return
	}
	rl := RateLimit{Limit: anonymousLimit, Remaining: anonymousLimit, Reset: s.now().Add(s.limits.Hour)}
	if c.bucket != "" {
		b := s.bucketLocked(c.bucket)
		if status == http.StatusNotModified && c.charged {
			b.Remaining, c.charged = min(b.Remaining+1, b.Limit), false
		}
		rl = *b
	}
	c.remaining = rl.Remaining
	if !c.retryAt.IsZero() {
		// A secondary refusal in the AnswerReset403 style: the headers
		// say when to retry, the budget itself is untouched.
		rl.Remaining, rl.Reset = 0, c.retryAt
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(rl.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(rl.Remaining))
	h.Set("X-RateLimit-Used", strconv.Itoa(rl.Limit-rl.Remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(rl.Reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

func (s *Server) getRateLimit(_ *http.Request, c *call) reply {
	if s.enterprise {
		return errReply(http.StatusNotFound, "Rate limiting is not enabled.", docRateLimitStatus)
	}
	now := s.now()
	core := s.bucketLocked(c.bucket)
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
