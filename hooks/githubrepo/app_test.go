package githubrepo_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/hooks/githubrepo"
	"github.com/hookops/hookops/test/fakegithub/fake"
)

const (
	appID          = 7
	installationID = 70
)

// appHarness is a harness whose Secret holds a GitHub App's key, installed
// on acme with the permissions a GitHubRepo needs, on a fake whose clock
// runs ahead of ours by skew.
func appHarness(t *testing.T, edit func(*fake.Installation), opts ...fake.Option) (h *harness, skew *atomic.Int64, priv []byte) {
	t.Helper()
	priv, pub := fake.NewAppKey(t)
	inst := fake.Installation{ID: installationID, Account: "acme", Permissions: map[string]string{
		"administration": "write", "metadata": "read", "contents": "write", "custom_properties": "write"}}
	if edit != nil {
		edit(&inst)
	}
	cfg := fake.DefaultConfig()
	cfg.Apps = []fake.App{{ID: appID, Slug: "hookops", PublicKey: string(pub), Installations: []fake.Installation{inst}}}
	cfg.Repos = append(cfg.Repos, fake.Repo{Owner: "acme", Name: "elsewhere", Visibility: "private"})
	skew = new(atomic.Int64)
	h = newHarness(t, map[string]any{"owner": "acme"}, append([]fake.Option{fake.WithConfig(cfg), fake.WithNow(func() time.Time { return time.Now().Add(time.Duration(skew.Load())) })}, opts...)...)
	h.secret = h.makeSecret(map[string]string{"appID": strconv.Itoa(appID), "privateKey": string(priv), "baseURL": h.base})
	return h, skew, priv
}

// The App's installation is looked up on spec.owner, its token minted and
// used: the repository is created by the App, and Ready.
// https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation
func TestAppCreates(t *testing.T) {
	h, _, _ := appHarness(t, nil)
	h.sync()
	h.expect(v1.ConditionReady, "True/Available")
	if n := h.requests("GET", "/orgs/acme/installation"); n != 1 {
		t.Errorf("installation looked up %d times, want once", n)
	}
	h.edit(func(s map[string]any) { s["description"] = "twice" })
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	if n := h.requests("POST", "/app/installations/70/access_tokens"); n != 1 {
		t.Errorf("%d installation tokens minted for two syncs, want one: tokens are cached", n)
	}
	// Neither the installation token nor the key reaches a log line, the
	// status or the children.
	out := fmt.Sprintf("%s %v %v", h.logs.String(), h.parent, h.last)
	if strings.Contains(out, "ghs_") || strings.Contains(out, "PRIVATE KEY") {
		t.Errorf("a secret of the App shows in the logs or the answer:\n%s", out)
	}
}

// An installation token lives an hour (here 62 s): it is replaced before
// it expires, so crossing the expiry costs no failed sync.
// https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-an-installation-access-token-for-a-github-app
func TestAppTokenExpiryCrossed(t *testing.T) {
	h, _, _ := appHarness(t, nil, fake.WithInstallationTokenLifetime(62*time.Second))
	acrossTokens(t, h, func() { time.Sleep(2100 * time.Millisecond) }) // within a minute of its expiry
}

// A token GitHub no longer takes before hookops expected (GitHub's clock
// ahead of ours) is replaced and the request sent again: no failed sync.
func TestAppTokenRefusedEarly(t *testing.T) {
	h, skew, _ := appHarness(t, nil, fake.WithInstallationTokenLifetime(61*time.Second))
	acrossTokens(t, h, func() { skew.Store(int64(62 * time.Second)) })
}

// acrossTokens syncs, lets change end the first token's life, and syncs a
// change: the second sync succeeds, on a second token.
func acrossTokens(t *testing.T, h *harness, change func()) {
	t.Helper()
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	change()
	h.edit(func(s map[string]any) { s["description"] = "on a new token" })
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	if st := h.status(); st.ConsecutiveFailures != 0 {
		t.Errorf("consecutiveFailures = %d across a token's end", st.ConsecutiveFailures)
	}
	if n := h.requests("POST", "/app/installations/70/access_tokens"); n < 2 {
		t.Errorf("%d tokens minted, want a second one", n)
	}
}

// A new key put in the Secret is used from the next sync; the old one,
// once deleted from the App, is reported with what to do.
func TestAppKeyRotation(t *testing.T) {
	h, _, _ := appHarness(t, nil)
	h.sync()
	newPriv, newPub := fake.NewAppKey(t)
	if err := h.gh.SetAppKey(appID, newPub); err != nil {
		t.Fatal(err)
	}
	// A fresh process must mint a token: the old key is refused.
	h.hooks.Apps = githubrepo.NewApps()
	h.edit(func(s map[string]any) { s["description"] = "old key" })
	h.sync()
	h.expect(v1.ConditionError, "True/AppKeyInvalid")
	h.secret = h.makeSecret(map[string]string{"appID": strconv.Itoa(appID), "privateKey": string(newPriv), "baseURL": h.base})
	h.untilRetry()
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
}

// A suspended installation, and an App no longer installed, each say so;
// unsuspending recovers.
// https://docs.github.com/rest/apps/apps#suspend-an-app-installation
func TestAppInstallationSuspendedAndGone(t *testing.T) {
	h, _, _ := appHarness(t, nil)
	h.sync()
	if err := h.gh.SuspendInstallation(installationID); err != nil {
		t.Fatal(err)
	}
	h.edit(func(s map[string]any) { s["description"] = "while suspended" })
	h.sync()
	h.expect(v1.ConditionError, "True/AppInstallationSuspended")
	if err := h.gh.UnsuspendInstallation(installationID); err != nil {
		t.Fatal(err)
	}
	h.hooks.Apps = githubrepo.NewApps()
	h.untilRetry()
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")

	if err := h.gh.DeleteInstallation(installationID); err != nil {
		t.Fatal(err)
	}
	h.hooks.Apps = githubrepo.NewApps()
	h.edit(func(s map[string]any) { s["description"] = "uninstalled" })
	h.sync()
	h.expect(v1.ConditionError, "True/AppNotInstalled")
}

// An installation limited to selected repositories cannot see the others:
// a repository of that name outside the selection is AccessLost, never a
// second repository.
func TestAppSelectedRepositories(t *testing.T) {
	h, _, _ := appHarness(t, func(i *fake.Installation) {
		i.RepositorySelection, i.Repositories = fake.SelectionSelected, []string{"acme/other"}
	})
	h.edit(func(s map[string]any) { s["name"] = "elsewhere" })
	h.sync()
	h.expect(v1.ConditionError, "True/AccessLost")
	if n := len(h.gh.Repos()); n != 1 {
		t.Errorf("%d repositories, want only the one that was there", n)
	}
}

// An App cannot create a repository on a user account; it says what to do.
func TestAppOnUserAccount(t *testing.T) {
	h, _, _ := appHarness(t, func(i *fake.Installation) { i.Account = "octocat" })
	h.edit(func(s map[string]any) { s["owner"] = "octocat" })
	h.sync()
	h.expect(v1.ConditionError, "True/Forbidden")
	if n := h.requests("POST", "/user/repos"); n != 0 {
		t.Errorf("%d POSTs for a create GitHub does not allow an App", n)
	}
}

// ETags are per token (fake: as GitHub), so a new installation token turns
// the next conditional read of each repository into a full one: one
// rate-limit unit per repository per token, an hour. Everything else stays
// free.
func TestAppTokenRotationCost(t *testing.T) {
	h, _, _ := appHarness(t, nil)
	var hs []*harness
	for i := range 5 {
		tw := h.twin(fmt.Sprintf("team-%d", i), fmt.Sprintf("u-%d", i), map[string]any{"owner": "acme", "name": fmt.Sprintf("rot-%d", i)})
		tw.hooks.Apps = h.hooks.Apps
		hs = append(hs, tw)
	}
	full := func() int {
		n := 0
		for _, r := range h.gh.Requests(fake.RequestFilter{Method: "GET"}) {
			if r.Status == 200 && strings.HasPrefix(r.Path, "/repositories/") {
				n++
			}
		}
		return n
	}
	round := func() int {
		before := full()
		for _, tw := range hs {
			tw.sync()
			tw.expect(v1.ConditionSynced, "True/ReconcileSuccess")
		}
		return full() - before
	}
	round() // create
	round() // the first conditional reads
	if n := round(); n != 0 {
		t.Fatalf("%d full reads of unchanged repositories with the same token, want 0", n)
	}
	// A new token, as every hour or after a restart.
	apps := githubrepo.NewApps()
	for _, tw := range hs {
		tw.hooks.Apps = apps
	}
	if n := round(); n != len(hs) {
		t.Errorf("%d full reads after the token changed, want one per repository (%d)", n, len(hs))
	}
	if n := round(); n != 0 {
		t.Errorf("%d full reads with the new token's ETags, want 0", n)
	}
}
