package e2e

import (
	"testing"
	"time"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
)

// A GitHubRepo with a template and visibility private is generated from
// the template, private from its first moment (the generate request says
// private: true, and nothing changes its visibility after), claimed, and
// Ready; the repository records the template it came from.
func TestTemplate(t *testing.T) {
	parallel(t)
	timed(t)
	u := newUser(t, "t1")
	seed := fake.NewRepo("acme", "t1-starter")
	seed.Visibility, seed.IsTemplate, seed.DefaultBranch, seed.Branches = "private", true, "trunk", []string{"trunk"}
	starter, err := env.GitHub.AddRepo(seed)
	if err != nil {
		t.Fatal(err)
	}
	u.secret()
	u.repo("svc", `  name: t1-svc
  visibility: private
  description: from the starter
  template: {owner: acme, name: t1-starter}
`)
	r := u.waitCondition("svc", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, time.Minute)
	if !hasCondition(r, v1.ConditionReady, "True", v1.ReasonAvailable) || r.Status.Origin != v1.OriginCreated ||
		r.Status.DeletionPolicy != v1.DeletionDelete || r.Status.Visibility != "private" {
		t.Errorf("status:\n%s", formatStatus(r))
	}
	repo, ok := env.GitHub.RepoByID(r.Status.RepoID)
	if !ok || repo.FullName() != "acme/t1-svc" || repo.TemplateID != starter.ID || repo.Visibility != "private" ||
		repo.DefaultBranch != "trunk" || repo.Description != "from the starter" {
		t.Errorf("repository %+v (found %v), want acme/t1-svc, private, from acme/t1-starter", repo, ok)
	}
	if claim := claimOn(repo.ID); claim == "" || claim != r.Status.Claim {
		t.Errorf("claim on GitHub %q, in status %q", claim, r.Status.Claim)
	}
	generated := u.requests(fake.RequestFilter{Method: "POST", Path: "/repos/acme/t1-starter/generate"})
	if len(generated) != 1 || len(u.requests(fake.RequestFilter{Method: "POST", Path: "/orgs/acme/repos"})) != 0 {
		t.Errorf("want one generate and no other create:\n%s", formatRequests(u.requests(fake.RequestFilter{})))
	}
	if edits := u.requests(fake.RequestFilter{Method: "PATCH", Path: "/repos/acme/t1-svc"}); len(edits) != 0 {
		t.Errorf("the generated repository was edited, want nothing left to change:\n%s", formatRequests(edits))
	}
}
