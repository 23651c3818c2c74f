package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookops/hookops/hooks/githubrepo"
	"github.com/hookops/hookops/hooks/mirror"
)

// controllers lists the hooks of every controller the server runs; their
// metrics go to reg.
func controllers(cfg *config, reg prometheus.Registerer) []hookRoute {
	gh := githubrepo.New(githubrepo.NewMetrics(reg))
	gh.GitHubTimeout = cfg.GitHubTimeout
	gh.BaseURL = cfg.GitHubURL
	m := mirror.New()
	return append(compositeRoutes("githubrepo", gh.Customize, gh.Sync, gh.Finalize),
		decoratorRoutes("mirror", m.Customize, m.Sync, m.Finalize)...)
}
