package main

import (
	"github.com/hookops/hookops/hooks/githubrepo"
)

// controllers lists the hooks of every controller the server runs.
func controllers(cfg *config) []hookRoute {
	gh := githubrepo.New()
	gh.GitHubTimeout = cfg.GitHubTimeout
	gh.BaseURL = cfg.GitHubURL
	return compositeRoutes("githubrepo", gh.Customize, gh.Sync, gh.Finalize)
}
