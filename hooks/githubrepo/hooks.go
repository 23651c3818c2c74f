// Package githubrepo keeps GitHub repositories in line with GitHubRepo
// objects. Its customize, sync and finalize hooks are called by a
// Metacontroller CompositeController; they keep no state between calls:
// everything a sync must remember lives in the parent's status.
package githubrepo

import (
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"
)

// Hooks serves the GitHubRepo controller's hooks.
type Hooks struct {
	// HTTPClient carries GitHub requests (default: a client with sane timeouts).
	HTTPClient *http.Client
	// BaseURL is the GitHub API used when a credentials Secret names none
	// ("" for https://api.github.com/).
	BaseURL string
	// GitHubTimeout bounds the GitHub calls of one hook request; it must
	// leave margin under Metacontroller's webhook timeout.
	GitHubTimeout time.Duration
	// Pacer spaces mutating GitHub requests per token.
	Pacer *Pacer
	// Now and Jitter are the clock and the random source of backoff; tests fix them.
	Now    func() time.Time
	Jitter func() float64
	Log    *slog.Logger
}

// New returns Hooks with production defaults.
func New() *Hooks {
	return &Hooks{
		HTTPClient:    &http.Client{Timeout: 10 * time.Second},
		GitHubTimeout: 6 * time.Second,
		Pacer:         NewPacer(time.Second),
		Now:           time.Now,
		Jitter:        rand.Float64,
		Log:           slog.Default(),
	}
}
