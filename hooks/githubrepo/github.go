package githubrepo

import (
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v62/github"

	"github.com/hookops/hookops/budget"
)

// gitHub is the slice of the GitHub API the operator uses, over go-github,
// remembering the last rate-limit reading of the token.
type gitHub struct {
	c    *github.Client
	rate github.Rate
}

// newGitHub returns a client for the credentials and the API host it
// talks to.
func (h *Hooks) newGitHub(creds credentials) (*gitHub, string, error) {
	base := cmp.Or(creds.baseURL, h.BaseURL)
	k := clientKey{base: base, cred: creds.id(), http: h.HTTPClient, apps: h.Apps, budget: h.Budget}
	if creds.app != nil {
		k.appKey = sha256.Sum256(creds.app.privateKey)
	}
	c, err := h.clients.get(k, func() (*github.Client, error) {
		c := github.NewClient(h.client(creds, base))
		if creds.app == nil {
			c = c.WithAuthToken(creds.token)
		}
		if base == "" {
			return c, nil
		}
		c, err := c.WithEnterpriseURLs(base, base)
		if err != nil {
			return nil, fmt.Errorf("GitHub base URL: %w", err)
		}
		return c, nil
	})
	if err != nil {
		return nil, "", err
	}
	return &gitHub{c: c}, apiHost(base), nil
}

// client is the HTTP client for one credential: it authenticates as the
// App's installation when the credential is an App's, and every request
// it sends is within the credential's budget; one the budget refuses is
// not sent at all.
func (h *Hooks) client(creds credentials, base string) *http.Client {
	c := *h.HTTPClient
	rt := cmp.Or[http.RoundTripper](c.Transport, http.DefaultTransport)
	if creds.app != nil {
		rt = h.Apps.transport(rt, base, creds.app, creds.owner)
	}
	if h.Budget != nil {
		rt = &budget.Transport{Base: rt, Budget: h.Budget, Cred: creds.id(), Margin: writeMargin}
	}
	c.Transport = rt
	return &c
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
	repo, resp, err := g.doRepo(ctx, req)
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
	req, err := g.c.NewRequest(http.MethodGet, fmt.Sprintf("repos/%s/%s", owner, name), nil)
	if err != nil {
		return nil, "", err
	}
	repo, resp, err := g.doRepo(ctx, req)
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

// create makes a repository in org, or in the token's own account when org
// is "". go-github's Create drops custom_properties, so the repository
// itself is the body: its json tags are GitHub's field names. Its custom
// properties go as GitHub takes them (see repoAnswer).
func (g *gitHub) create(ctx context.Context, org string, r *github.Repository) (*github.Repository, error) {
	path := "user/repos"
	if org != "" {
		path = "orgs/" + org + "/repos"
	}
	body := struct {
		*github.Repository
		CustomProperties map[string]any `json:"custom_properties,omitempty"`
	}{r, wireProperties(r.CustomProperties)}
	req, err := g.c.NewRequest(http.MethodPost, path, body)
	if err != nil {
		return nil, err
	}
	created, _, err := g.doRepo(ctx, req)
	return created, err
}

func (g *gitHub) edit(ctx context.Context, owner, name string, patch *github.Repository) (*github.Repository, error) {
	req, err := g.c.NewRequest(http.MethodPatch, fmt.Sprintf("repos/%s/%s", owner, name), patch)
	if err != nil {
		return nil, err
	}
	repo, _, err := g.doRepo(ctx, req)
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

func (g *gitHub) renameBranch(ctx context.Context, owner, name, branch, newName string) error {
	_, resp, err := g.c.Repositories.RenameBranch(ctx, owner, name, branch, newName)
	g.track(resp)
	return err
}

// setProperty sets one custom property value of a repository; "" removes it
// (GitHub takes null for that, which go-github's type cannot send).
func (g *gitHub) setProperty(ctx context.Context, owner, name, property, value string) error {
	var v any
	if value != "" {
		v = value
	}
	return g.setProperties(ctx, owner, name, map[string]any{property: v})
}

// getVariable reads a repository Actions variable; a 404 is an error the
// caller can test with isNotFound.
func (g *gitHub) getVariable(ctx context.Context, owner, name, variable string) (string, error) {
	v, resp, err := g.c.Actions.GetRepoVariable(ctx, owner, name, variable)
	g.track(resp)
	if err != nil {
		return "", err
	}
	return v.Value, nil
}

// setVariable creates the variable, or updates it when it exists (409).
func (g *gitHub) setVariable(ctx context.Context, owner, name, variable, value string) error {
	v := &github.ActionsVariable{Name: variable, Value: value}
	resp, err := g.c.Actions.CreateRepoVariable(ctx, owner, name, v)
	g.track(resp)
	if statusCode(err) != http.StatusConflict {
		return err
	}
	resp, err = g.c.Actions.UpdateRepoVariable(ctx, owner, name, v)
	g.track(resp)
	return err
}

func (g *gitHub) deleteVariable(ctx context.Context, owner, name, variable string) error {
	resp, err := g.c.Actions.DeleteRepoVariable(ctx, owner, name, variable)
	g.track(resp)
	return err
}
