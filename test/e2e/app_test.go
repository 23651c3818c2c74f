package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
)

// The sample GitHubRepo, with an App's Secret instead of a token: hookops
// finds the App's installation on the owner, mints an installation token
// and creates the repository as the App.
func TestAppSecret(t *testing.T) {
	parallel(t)
	timed(t)
	u := newUser(t, "a1")
	u.kubectlApply(fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: gh-app, namespace: %s}
stringData:
  appID: "%d"
  baseURL: "%s"
  privateKey: |
%s`, u.ns, appID, env.GitHubURL, indent(string(appKey), "    ")))
	u.kubectlApply(fmt.Sprintf(`apiVersion: github.hookops.dev/v1
kind: GitHubRepo
metadata: {name: widgets, namespace: %s}
spec:
  owner: appco
  name: a1-widgets
  description: Made by an App
  credentialsSecretRef: {name: gh-app}
`, u.ns))
	r := u.waitCondition("widgets", v1.ConditionReady, "True", v1.ReasonAvailable, time.Minute)
	repo, ok := env.GitHub.RepoByID(r.Status.RepoID)
	if !ok || repo.FullName() != "appco/a1-widgets" || repo.Description != "Made by an App" {
		t.Fatalf("repository %+v (found %v)", repo, ok)
	}
	if n := len(env.GitHub.Requests(fake.RequestFilter{Method: "POST", Path: "/app/installations/4200/access_tokens"})); n < 1 {
		t.Errorf("no installation token was minted")
	}
}

// indent puts prefix before every line of s, for a YAML block scalar.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n"+prefix) + "\n"
}
