package fake

import (
	"net/http/httptest"
	"testing"
)

// Start serves a new fake for the length of a test and returns it with its
// base URL, which ends in "/" as go-github's BaseURL requires (and
// WithEnterpriseURLs turns into the /api/v3/ form, which is served too).
// Webhook payloads of changes made by hand name that URL unless WithAPIURL
// says otherwise; the webhooks stop at the end of the test.
func Start(t testing.TB, opts ...Option) (*Server, string) {
	t.Helper()
	s, err := New(opts...)
	if err != nil {
		t.Fatalf("start fake GitHub: %v", err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	t.Cleanup(s.Close)
	s.mu.Lock()
	if s.apiURL == "" {
		s.apiURL = hs.URL
	}
	s.mu.Unlock()
	return s, hs.URL + "/"
}
