package fake

import (
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
)

// Request is one API request as the fake saw it. Tokens appear only as a
// fingerprint.
type Request struct {
	Time   time.Time `json:"time"`
	Method string    `json:"method"`
	Path   string    `json:"path"` // without any /api/v3 prefix
	Query  string    `json:"query,omitempty"`
	User   string    `json:"user,omitempty"` // login the token belongs to; an App's bot for an installation token
	// Installation is the installation an installation access token
	// belongs to; App the App whose JWT authenticated the request.
	Installation int64  `json:"installation,omitempty"`
	App          int64  `json:"app,omitempty"`
	TokenID      string `json:"token_id,omitempty"` // first 8 hex digits of the token's SHA-256
	Status       int    `json:"status"`             // 0 when no answer was sent
	NotModified  bool   `json:"not_modified,omitempty"`
	// RateRemaining is the token's primary budget after the request.
	RateRemaining int  `json:"rate_remaining"`
	Fault         bool `json:"fault,omitempty"`
	// LostStatus is what a request served before a fault (Fault.After)
	// was answered with before the fault replaced it.
	LostStatus int    `json:"lost_status,omitempty"`
	Dropped    bool   `json:"dropped,omitempty"`
	Limited    string `json:"limited,omitempty"` // "primary" or "secondary" when refused by a rate limit
}

// RequestFilter selects requests; empty fields match anything.
type RequestFilter struct {
	Method string `json:"method,omitempty"`
	// Path is a path.Match pattern, e.g. "/repos/acme/*".
	Path string `json:"path,omitempty"`
	User string `json:"user,omitempty"`
}

func (f RequestFilter) matches(r Request) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
		return false
	}
	if f.User != "" && !strings.EqualFold(f.User, r.User) {
		return false
	}
	if f.Path == "" {
		return true
	}
	ok, err := path.Match(f.Path, r.Path)
	return err == nil && ok
}

// maxLogged bounds the log of a long-running fake; the oldest entries go.
const maxLogged = 10000

// finish logs a request once, when it is answered, or before its
// connection is dropped so that the client can't look before it's logged.
func (s *Server) finish(r *http.Request, c *call) {
	if c.logged {
		return
	}
	c.logged = true
	s.mu.Lock()
	if c.status == 0 && c.bucket != "" { // nothing was answered
		c.remaining = s.bucketLocked(c.bucket).Remaining
	}
	entry := Request{
		Time: c.start, Method: r.Method, Path: c.path, Query: r.URL.RawQuery,
		User: c.user, TokenID: c.tokenID, Status: c.status,
		Installation: installationOf(c), App: appOf(c),
		NotModified: c.status == http.StatusNotModified, RateRemaining: c.remaining,
		Fault: c.fault, LostStatus: c.lostStatus, Dropped: c.dropped, Limited: c.limited,
	}
	if len(s.requests) == maxLogged {
		s.requests = slices.Delete(s.requests, 0, maxLogged/10)
		s.trimmed += maxLogged / 10
	}
	s.requests = append(s.requests, entry)
	s.mu.Unlock()
	s.log.Debug("github request", "method", entry.Method, "path", entry.Path, "user", entry.User,
		"status", entry.Status, "rate_remaining", entry.RateRemaining, "fault", entry.Fault, "limited", entry.Limited)
}

func installationOf(c *call) int64 {
	if c.itok == nil {
		return 0
	}
	return c.itok.inst.id
}

func appOf(c *call) int64 {
	if c.app == nil {
		return 0
	}
	return c.app.id
}

// Requests returns the logged requests that match f, oldest first.
func (s *Server) Requests(f RequestFilter) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if f.matches(r) {
			out = append(out, r)
		}
	}
	return out
}

// RequestsFrom returns the logged requests from position next on, counted
// over every request ever logged, and the position after the last of them;
// lost reports that some from next on were trimmed from the log before
// they could be read. A poller passes back the position it got, so that
// each poll copies only what is new: every request the fake serves waits
// for the lock a poll holds.
func (s *Server) RequestsFrom(next int) (reqs []Request, after int, lost bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := next - s.trimmed
	if start < 0 {
		start, lost = 0, true
	}
	start = min(start, len(s.requests))
	return slices.Clone(s.requests[start:]), s.trimmed + len(s.requests), lost
}

// ClearRequests empties the request log.
func (s *Server) ClearRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trimmed += len(s.requests)
	s.requests = nil
}
