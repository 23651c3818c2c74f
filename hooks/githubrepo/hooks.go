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

	"github.com/hookops/hookops/budget"
	"github.com/hookops/hookops/deletionguard"
)

// Hooks serves the GitHubRepo controller's hooks.
type Hooks struct {
	// HTTPClient carries GitHub requests (default: a client with sane timeouts).
	HTTPClient *http.Client
	// BaseURL is the GitHub API used when a credentials Secret names none
	// ("" for https://api.github.com/).
	BaseURL string
	// ClusterID names this cluster in the ownership claims put on
	// repositories; ClaimProperty is the organization custom property that
	// holds them (user accounts have none: see claim.go).
	ClusterID     string
	ClaimProperty string
	// GitHubTimeout bounds the GitHub calls of one hook request; it must
	// leave margin under Metacontroller's webhook timeout.
	GitHubTimeout time.Duration
	// Guard holds repository deletions beyond its limit per credential;
	// nil deletes whatever the deletion policy says.
	Guard *deletionguard.Guard
	// Apps keeps the installation tokens of GitHub App credentials.
	Apps *Apps
	// Budget keeps every credential's requests within GitHub's documented
	// limits, across all the objects served; nil sends without limit.
	Budget *budget.Budget
	// ResyncEvery is how often an object that is in line is looked at
	// again, spread per object (see steadyResync); 0 leaves it to the
	// controller's resync period.
	ResyncEvery time.Duration
	// Now and Jitter are the clock and the random source of backoff; tests fix them.
	Now    func() time.Time
	Jitter func() float64
	Log    *slog.Logger
	// Metrics records GitHub requests and rate-limit readings; nil records nothing.
	Metrics *Metrics

	clients clients
}

// New returns Hooks with production defaults; metrics may be nil. Its
// exported fields may be changed before the first call, never after.
func New(metrics *Metrics) *Hooks {
	return &Hooks{
		HTTPClient:    NewHTTPClient(metrics, true),
		Metrics:       metrics,
		GitHubTimeout: 6 * time.Second,
		ResyncEvery:   5 * time.Minute,
		ClusterID:     "default",
		ClaimProperty: "hookops-claim",
		Budget:        budget.New(budget.DefaultLimits()),
		Apps:          NewApps(),
		Now:           time.Now,
		Jitter:        rand.Float64,
		Log:           slog.Default(),
	}
}
