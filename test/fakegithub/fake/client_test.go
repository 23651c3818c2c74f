package fake_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

func client(t *testing.T, base, token string) *github.Client {
	t.Helper()
	c := github.NewClient(nil).WithAuthToken(token)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	return c
}

func enterpriseClient(t *testing.T, base, token string) *github.Client {
	t.Helper()
	c, err := github.NewClient(nil).WithAuthToken(token).WithEnterpriseURLs(base, base)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func errorResponse(t *testing.T, err error, status int) *github.ErrorResponse {
	t.Helper()
	var er *github.ErrorResponse
	if !errors.As(err, &er) {
		t.Fatalf("error = %v (%T), want *github.ErrorResponse", err, err)
	}
	if er.Response.StatusCode != status {
		t.Fatalf("status = %d, want %d: %v", er.Response.StatusCode, status, err)
	}
	return er
}

// TestGoGitHubLifecycle drives a repository through its life with go-github,
// both at the api.github.com-style root and under /api/v3/.
func TestGoGitHubLifecycle(t *testing.T) {
	tests := []struct {
		name   string
		client func(*testing.T, string, string) *github.Client
	}{
		{"root", client},
		{"enterprise", enterpriseClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, base, _ := start(t)
			c := tt.client(t, base, octocatToken)

			user, _, err := c.Users.Get(ctx, "")
			if err != nil || user.GetLogin() != "octocat" {
				t.Fatalf("get user = %v, %v", user.GetLogin(), err)
			}
			created, _, err := c.Repositories.Create(ctx, "acme", &github.Repository{
				Name: github.String("svc"), Visibility: github.String("internal"), AutoInit: github.Bool(true),
				Description: github.String("a service"),
			})
			if err != nil {
				t.Fatalf("create in org: %v", err)
			}
			if created.GetOrganization().GetLogin() != "acme" || created.GetVisibility() != "internal" || !created.GetPrivate() ||
				created.GetDefaultBranch() != "main" || created.GetHTMLURL() != "https://github.com/acme/svc" {
				t.Errorf("created = %+v", created)
			}
			mine, _, err := c.Repositories.Create(ctx, "", &github.Repository{Name: github.String("mine")})
			if err != nil || mine.GetOwner().GetLogin() != "octocat" || mine.Organization != nil {
				t.Fatalf("create for user = %+v, %v", mine, err)
			}

			got, _, err := c.Repositories.Get(ctx, "acme", "svc")
			if err != nil || got.GetID() != created.GetID() {
				t.Fatalf("get = %v, %v", got.GetID(), err)
			}
			byID, _, err := c.Repositories.GetByID(ctx, created.GetID())
			if err != nil || byID.GetFullName() != "acme/svc" {
				t.Fatalf("get by id = %v, %v", byID.GetFullName(), err)
			}

			edited, _, err := c.Repositories.Edit(ctx, "acme", "svc", &github.Repository{
				Description: github.String("edited"), HasWiki: github.Bool(false), Homepage: github.String("https://svc.example"),
			})
			if err != nil || edited.GetDescription() != "edited" || edited.GetHasWiki() || edited.GetHomepage() != "https://svc.example" {
				t.Fatalf("edit = %+v, %v", edited, err)
			}

			renamed, _, err := c.Repositories.Edit(ctx, "acme", "svc", &github.Repository{Name: github.String("svc2")})
			if err != nil || renamed.GetName() != "svc2" || renamed.GetID() != created.GetID() {
				t.Fatalf("rename = %v, %v", renamed.GetName(), err)
			}
			viaOld, _, err := c.Repositories.Get(ctx, "acme", "svc") // 301, followed
			if err != nil || viaOld.GetFullName() != "acme/svc2" {
				t.Fatalf("get by old name = %v, %v", viaOld.GetFullName(), err)
			}
			editedViaOld, _, err := c.Repositories.Edit(ctx, "acme", "svc", &github.Repository{Description: github.String("via old")}) // 307, followed
			if err != nil || editedViaOld.GetDescription() != "via old" {
				t.Fatalf("edit by old name = %v, %v", editedViaOld.GetDescription(), err)
			}

			topics, _, err := c.Repositories.ReplaceAllTopics(ctx, "acme", "svc2", []string{"go", "k8s"})
			if err != nil || !slices.Equal(topics, []string{"go", "k8s"}) {
				t.Fatalf("replace topics = %v, %v", topics, err)
			}
			if r, _ := s.RepoByID(created.GetID()); !slices.Equal(r.Topics, []string{"go", "k8s"}) {
				t.Errorf("stored topics = %v", r.Topics)
			}

			if _, err := c.Repositories.Delete(ctx, "acme", "svc2"); err != nil {
				t.Fatalf("delete: %v", err)
			}
			_, _, err = c.Repositories.Get(ctx, "acme", "svc2")
			errorResponse(t, err, http.StatusNotFound)
			_, _, err = c.Repositories.Get(ctx, "acme", "svc") // the redirect went with it
			errorResponse(t, err, http.StatusNotFound)
		})
	}
}

// TestGoGitHubConditionalGet: a 304 costs no budget, and drift changes the
// ETag.
func TestGoGitHubConditionalGet(t *testing.T) {
	ctx := context.Background()
	s, base, _ := start(t)
	c := client(t, base, octocatToken)
	get := func(etag string) (*github.Response, error) {
		req, err := c.NewRequest("GET", "repos/acme/widgets", nil)
		if err != nil {
			t.Fatal(err)
		}
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		return c.Do(ctx, req, &github.Repository{})
	}

	first, err := get("")
	if err != nil {
		t.Fatal(err)
	}
	etag := first.Header.Get("ETag")
	before := s.RateLimit(octocatToken).Remaining
	notModified, err := get(etag)
	if notModified.StatusCode != http.StatusNotModified {
		t.Fatalf("status = %d (%v), want 304", notModified.StatusCode, err)
	}
	if after := s.RateLimit(octocatToken).Remaining; after != before || notModified.Rate.Remaining != before {
		t.Errorf("remaining %d -> %d (header %d): a 304 must not cost budget", before, after, notModified.Rate.Remaining)
	}
	if log := s.Requests(fake.RequestFilter{Method: "GET"}); !log[len(log)-1].NotModified {
		t.Errorf("last logged request = %+v, want NotModified", log[len(log)-1])
	}

	if _, err := s.EditRepo("acme", "widgets", func(r *fake.Repo) error { r.Description = "drift"; return nil }); err != nil {
		t.Fatal(err)
	}
	changed, err := get(etag)
	if err != nil || changed.StatusCode != http.StatusOK || changed.Header.Get("ETag") == etag {
		t.Fatalf("after drift: status %d, etag %q (was %q), %v", changed.StatusCode, changed.Header.Get("ETag"), etag, err)
	}
}

func TestGoGitHubErrors(t *testing.T) {
	ctx := context.Background()

	t.Run("bad credentials", func(t *testing.T) {
		_, base, _ := start(t)
		_, _, err := client(t, base, "wrong").Users.Get(ctx, "")
		if er := errorResponse(t, err, http.StatusUnauthorized); er.Message != "Bad credentials" {
			t.Errorf("message = %q", er.Message)
		}
	})

	t.Run("name taken", func(t *testing.T) {
		_, base, _ := start(t)
		_, _, err := client(t, base, octocatToken).Repositories.Create(ctx, "acme", &github.Repository{Name: github.String("widgets")})
		er := errorResponse(t, err, http.StatusUnprocessableEntity)
		want := github.Error{Resource: "Repository", Code: "custom", Field: "name", Message: "name already exists on this account"}
		if er.Message != "Repository creation failed." || len(er.Errors) != 1 || er.Errors[0] != want {
			t.Errorf("error = %q %+v", er.Message, er.Errors)
		}
	})

	t.Run("primary rate limit", func(t *testing.T) {
		s, base, clock := start(t)
		reset := epoch.Add(30 * time.Minute)
		s.SetRateLimit(octocatToken, fake.RateLimit{Remaining: 0, Reset: reset})
		_, _, err := client(t, base, octocatToken).Repositories.Get(ctx, "acme", "widgets")
		var rle *github.RateLimitError
		if !errors.As(err, &rle) {
			t.Fatalf("error = %v (%T), want *github.RateLimitError", err, err)
		}
		if rle.Rate.Remaining != 0 || !rle.Rate.Reset.Time.Equal(reset) || rle.Rate.Limit != 5000 {
			t.Errorf("rate = %+v", rle.Rate)
		}
		clock.Step(31 * time.Minute)
		if _, _, err := client(t, base, octocatToken).Repositories.Get(ctx, "acme", "widgets"); err != nil {
			t.Errorf("after the reset: %v", err)
		}
	})

	t.Run("secondary rate limit", func(t *testing.T) {
		s, base, _ := start(t, fake.WithSecondaryLimits(100, 2))
		c := client(t, base, octocatToken)
		var err error
		for i := 0; i < 3 && err == nil; i++ {
			_, _, err = c.Repositories.Edit(ctx, "acme", "widgets", &github.Repository{Description: github.String("x")})
		}
		var abuse *github.AbuseRateLimitError
		if !errors.As(err, &abuse) {
			t.Fatalf("error = %v (%T), want *github.AbuseRateLimitError", err, err)
		}
		if abuse.RetryAfter == nil || *abuse.RetryAfter != time.Minute {
			t.Errorf("RetryAfter = %v", abuse.RetryAfter)
		}
		if hits := s.SecondaryLimitHits(); hits != 1 {
			t.Errorf("SecondaryLimitHits = %d", hits)
		}
	})

	t.Run("server error", func(t *testing.T) {
		s, base, _ := start(t)
		s.InjectFault(fake.Fault{Status: http.StatusServiceUnavailable, Times: 1})
		c := client(t, base, octocatToken)
		_, _, err := c.Repositories.Get(ctx, "acme", "widgets")
		errorResponse(t, err, http.StatusServiceUnavailable)
		if _, _, err := c.Repositories.Get(ctx, "acme", "widgets"); err != nil {
			t.Errorf("after the fault: %v", err)
		}
	})

	t.Run("dropped connection", func(t *testing.T) {
		s, base, _ := start(t)
		s.InjectFault(fake.Fault{Method: "GET", Path: "/repos/acme/*", Drop: true})
		c := client(t, base, octocatToken)
		_, _, err := c.Repositories.Get(ctx, "acme", "widgets")
		var er *github.ErrorResponse
		if err == nil || errors.As(err, &er) {
			t.Fatalf("error = %v, want a transport error", err)
		}
		if log := s.Requests(fake.RequestFilter{Path: "/repos/acme/widgets"}); len(log) == 0 || !log[0].Dropped || log[0].Status != 0 {
			t.Errorf("log = %+v", log)
		}
		s.ClearFaults()
		if _, _, err := c.Repositories.Get(ctx, "acme", "widgets"); err != nil {
			t.Errorf("after the fault: %v", err)
		}
	})
}
