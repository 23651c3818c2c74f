package githubrepo

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v62/github"
)

// gitHub is the slice of the GitHub API the operator uses, over go-github,
// remembering the last rate-limit reading of the token.
type gitHub struct {
	c    *github.Client
	rate github.Rate
}

func (h *Hooks) newGitHub(creds credentials) (*gitHub, error) {
	c := github.NewClient(h.HTTPClient).WithAuthToken(creds.token)
	base := creds.baseURL
	if base == "" {
		base = h.BaseURL
	}
	if base != "" {
		var err error
		if c, err = c.WithEnterpriseURLs(base, base); err != nil {
			return nil, fmt.Errorf("GitHub base URL: %w", err)
		}
	}
	return &gitHub{c: c}, nil
}

func (g *gitHub) track(resp *github.Response) {
	if resp != nil && resp.Rate.Limit > 0 {
		g.rate = resp.Rate
	}
}

// getByID reads a repository by id, conditionally when etag is set; a 304
// (notModified) costs no rate limit.
func (g *gitHub) getByID(ctx context.Context, id int64, etag string) (repo *github.Repository, newETag string, notModified bool, err error) {
	req, err := g.c.NewRequest(http.MethodGet, fmt.Sprintf("repositories/%d", id), nil)
	if err != nil {
		return nil, "", false, err
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	repo = new(github.Repository)
	resp, err := g.c.Do(ctx, req, repo)
	g.track(resp)
	if resp != nil && resp.StatusCode == http.StatusNotModified {
		return nil, etag, true, nil
	}
	if err != nil {
		return nil, "", false, err
	}
	return repo, resp.Header.Get("ETag"), false, nil
}

// getByName reads owner/name. GitHub redirects a renamed repository's old
// name to the new one; that repository is not at this name, so it counts as
// absent.
func (g *gitHub) getByName(ctx context.Context, owner, name string) (*github.Repository, string, error) {
	repo, resp, err := g.c.Repositories.Get(ctx, owner, name)
	g.track(resp)
	if err != nil {
		return nil, "", err
	}
	if !strings.EqualFold(repo.GetFullName(), owner+"/"+name) {
		return nil, "", nil
	}
	return repo, resp.Header.Get("ETag"), nil
}

// ownerIsOrg tells whether owner is an organization; errOwnerNotFound when
// GitHub knows no such account.
func (g *gitHub) ownerIsOrg(ctx context.Context, owner string) (bool, error) {
	u, resp, err := g.c.Users.Get(ctx, owner)
	g.track(resp)
	if err != nil {
		return false, err
	}
	return u.GetType() == "Organization", nil
}

func (g *gitHub) login(ctx context.Context) (string, error) {
	u, resp, err := g.c.Users.Get(ctx, "")
	g.track(resp)
	if err != nil {
		return "", err
	}
	return u.GetLogin(), nil
}

func (g *gitHub) create(ctx context.Context, org string, r *github.Repository) (*github.Repository, error) {
	repo, resp, err := g.c.Repositories.Create(ctx, org, r)
	g.track(resp)
	return repo, err
}

func (g *gitHub) edit(ctx context.Context, owner, name string, patch *github.Repository) (*github.Repository, error) {
	repo, resp, err := g.c.Repositories.Edit(ctx, owner, name, patch)
	g.track(resp)
	return repo, err
}

func (g *gitHub) replaceTopics(ctx context.Context, owner, name string, topics []string) error {
	if topics == nil {
		topics = []string{}
	}
	_, resp, err := g.c.Repositories.ReplaceAllTopics(ctx, owner, name, topics)
	g.track(resp)
	return err
}

func (g *gitHub) delete(ctx context.Context, owner, name string) error {
	resp, err := g.c.Repositories.Delete(ctx, owner, name)
	g.track(resp)
	return err
}
