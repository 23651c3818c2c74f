package fake

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestConcurrencyLimit: #about-secondary-rate-limits of
// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api,
// "No more than 100 concurrent requests are allowed". A handler that blocks
// on /slow holds 100 of octocat's requests in flight behind the fake's own
// middlewares; the 101st, from another of octocat's tokens, is refused,
// another user is not, and octocat is admitted again once one finishes.
func TestConcurrencyLimit(t *testing.T) {
	cfg := DefaultConfig() // fake-token and ghp_exampletoken are both octocat's
	cfg.Users = append(cfg.Users, User{Login: "hubot"})
	cfg.Tokens["hubot-token"] = "hubot"
	s, err := New(WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}, 100), make(chan struct{})
	blocking := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			entered <- struct{}{}
			<-release
		}
		w.WriteHeader(http.StatusNoContent)
	})
	hs := httptest.NewServer(s.track(s.authenticate(s.secondaryLimit(blocking))))
	defer hs.Close()
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	get := func(path, token string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, hs.URL+path, nil)
		req.Header.Set("Authorization", "token "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Errorf("GET %s: %v", path, err)
			return &http.Response{}
		}
		resp.Body.Close()
		return resp
	}

	done := make(chan int, 100)
	for range 100 {
		go func() { done <- get("/slow", "fake-token").StatusCode }()
	}
	for range 100 {
		select {
		case <-entered:
		case <-time.After(10 * time.Second):
			t.Fatal("100 requests never got in flight")
		}
	}
	tests := []struct {
		name   string
		token  string
		status int
	}{
		{"101st of the user, another token", "ghp_exampletoken", http.StatusForbidden},
		{"another user", "hubot-token", http.StatusNoContent},
	}
	for _, tt := range tests {
		if resp := get("/fast", tt.token); resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.status)
		} else if tt.status == http.StatusForbidden && resp.Header.Get("Retry-After") != "1" {
			t.Errorf("%s: Retry-After %q, want 1: no window to wait for", tt.name, resp.Header.Get("Retry-After"))
		}
	}
	release <- struct{}{}
	if status := <-done; status != http.StatusNoContent {
		t.Errorf("released request: %d", status)
	}
	if resp := get("/fast", "ghp_exampletoken"); resp.StatusCode != http.StatusNoContent {
		t.Errorf("after one finished: status %d", resp.StatusCode)
	}
	close(release)
	for range 99 {
		if status := <-done; status != http.StatusNoContent {
			t.Errorf("blocked request: %d", status)
		}
	}
	want := map[string]int{ViolationPrimary: 0, ViolationContentMinute: 0, ViolationContentHour: 0, ViolationPoints: 0, ViolationConcurrency: 1}
	if got := s.Violations(); !maps.Equal(got, want) {
		t.Errorf("Violations = %v, want %v", got, want)
	}
}
