package fake

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Start serves a new fake for the length of a test and returns it with its
// base URL, which ends in "/" as go-github's BaseURL requires (and
// WithEnterpriseURLs turns into the /api/v3/ form, which is served too).
func Start(t testing.TB, opts ...Option) (*Server, string) {
	t.Helper()
	s, err := New(opts...)
	if err != nil {
		t.Fatalf("start fake GitHub: %v", err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return s, hs.URL + "/"
}

// Clock is a time source for WithNow that moves only when told to.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a Clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the Clock's time; pass it to WithNow.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the Clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
