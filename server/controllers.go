package main

import (
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookops/hookops/budget"
	"github.com/hookops/hookops/deletionguard"
	"github.com/hookops/hookops/hooks/credentials"
	"github.com/hookops/hookops/hooks/githubrepo"
	"github.com/hookops/hookops/hooks/metacontroller"
	"github.com/hookops/hookops/hooks/mirrorhooks"
)

// controllers lists the hooks of every controller the server runs; their
// metrics go to reg.
func controllers(cfg *config, guard *deletionguard.Guard, reg prometheus.Registerer) []hookRoute {
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
	m := mirrorhooks.New()
	c := credentials.New()
	return slices.Concat(routes("githubrepo", gh.Customize, metacontroller.DecodeComposite, gh.Sync, gh.Finalize),
		routes("credentials", c.Customize, metacontroller.DecodeDecorator, c.Sync, c.Finalize),
		routes("mirror", m.Customize, metacontroller.DecodeDecorator, m.Sync, m.Finalize),
		routes("mirror-sources", m.CustomizeSource, metacontroller.DecodeDecorator, m.SyncSource, nil))
}
