package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookops/hookops/hooks/githubrepo"
	"github.com/hookops/hookops/hooks/metacontroller"
	"github.com/hookops/hookops/hooks/mirror"
)

// controllers lists the hooks of every controller the server runs; their
// metrics go to reg.
func controllers(cfg *config, reg prometheus.Registerer) []hookRoute {
	gh := githubrepo.New(githubrepo.NewMetrics(reg))
	gh.GitHubTimeout = cfg.GitHubTimeout
	gh.BaseURL = cfg.GitHubURL
	gh.ClusterID = cfg.ClusterID
	gh.ClaimProperty = cfg.ClaimProperty
	m := mirror.New()
	return append(routes("githubrepo", gh.Customize, metacontroller.DecodeComposite, gh.Sync, gh.Finalize),
		routes("mirror", m.Customize, metacontroller.DecodeDecorator, m.Sync, m.Finalize)...)
}
