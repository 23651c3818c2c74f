package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookops/hookops/budget"
	"github.com/hookops/hookops/deletionguard"
	"github.com/hookops/hookops/hooks/credentials"
	"github.com/hookops/hookops/hooks/githubrepo"
	"github.com/hookops/hookops/hooks/mirrorhooks"
)

// controllerSet is the hooks of every controller the server runs.
type controllerSet struct {
	githubrepo  *githubrepo.Hooks
	credentials *credentials.Hooks
	mirror      *mirrorhooks.Hooks
}

// controllers builds the controllers' hooks; their metrics go to reg.
func controllers(cfg *config, guard *deletionguard.Guard, reg prometheus.Registerer) controllerSet {
	gh := githubrepo.New(githubrepo.NewMetrics(reg))
	gh.HTTPClient = githubrepo.NewHTTPClient(gh.Metrics, cfg.Tracing)
	gh.GitHubTimeout = cfg.GitHubTimeout
	gh.ResyncEvery = cfg.ResyncInterval
	gh.BaseURL = cfg.GitHubURL
	gh.ClusterID = cfg.ClusterID
	gh.ClaimProperty = cfg.ClaimProperty
	gh.Guard = guard
	gh.Budget = budget.New(cfg.Budget)
	reg.MustRegister(gh.Budget)
	return controllerSet{githubrepo: gh, credentials: credentials.New(), mirror: mirrorhooks.New()}
}
