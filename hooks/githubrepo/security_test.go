package githubrepo_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
)

// licensed is the default fake with acme holding a GitHub Advanced
// Security licence.
func licensed() fake.Option {
	cfg := fake.DefaultConfig()
	cfg.Orgs[0].AdvancedSecurity = true
	return fake.WithConfig(cfg)
}

// securityFeature is how a test reads and sets one feature on the fake.
type securityFeature struct {
	field string // under spec.securityAndAnalysis
	on    func(fake.Repo) bool
	set   func(*fake.Repo, bool)
}

var (
	advancedSecurity = securityFeature{"advancedSecurity",
		func(r fake.Repo) bool { return r.Security.AdvancedSecurity },
		func(r *fake.Repo, on bool) { r.Security.AdvancedSecurity = on }}
	secretScanning = securityFeature{"secretScanning",
		func(r fake.Repo) bool { return r.Security.SecretScanning },
		func(r *fake.Repo, on bool) { r.Security.SecretScanning = on }}
	pushProtection = securityFeature{"secretScanningPushProtection",
		func(r fake.Repo) bool { return r.Security.SecretScanningPushProtection },
		func(r *fake.Repo, on bool) { r.Security.SecretScanningPushProtection = on }}
	securityUpdates = securityFeature{"dependabotSecurityUpdates",
		func(r fake.Repo) bool { return r.Security.DependabotSecurityUpdates },
		func(r *fake.Repo, on bool) { r.Security.DependabotSecurityUpdates = on }}
)

func status(on bool) string {
	if on {
		return "enabled"
	}
	return "disabled"
}

// TestSecurityAndAnalysis: each feature is applied after the creation,
// changed, put back after a change by hand, and left alone once unset.
// GitHub shows and switches them in the repository's security_and_analysis
// (https://docs.github.com/rest/repos/repos#update-a-repository), but for
// Dependabot security updates, which have their own endpoint
// (https://docs.github.com/rest/repos/repos#enable-dependabot-security-updates).
func TestSecurityAndAnalysis(t *testing.T) {
	cases := []struct {
		name    string
		opts    []fake.Option
		spec    map[string]any            // besides owner and name
		others  map[string]any            // other securityAndAnalysis fields
		feature securityFeature           // the one under test
		writes  func(h *harness) []string // what a change of the feature sends
	}{
		{name: "advanced security on a licensed private repository", opts: []fake.Option{licensed()},
			spec: map[string]any{"visibility": "private"}, feature: advancedSecurity},
		{name: "secret scanning on a public repository",
			spec: map[string]any{"visibility": "public"}, feature: secretScanning},
		{name: "push protection on a public repository",
			spec: map[string]any{"visibility": "public"}, others: map[string]any{"secretScanning": "enabled"}, feature: pushProtection},
		{name: "Dependabot security updates with alerts on",
			spec: map[string]any{"visibility": "public", "vulnerabilityAlerts": true}, feature: securityUpdates},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec := map[string]any{"owner": "acme", "name": "widgets"}
			for k, v := range c.spec {
				spec[k] = v
			}
			setFeature := func(s map[string]any, value any) {
				sa := map[string]any{}
				for k, v := range c.others {
					sa[k] = v
				}
				if value != nil {
					sa[c.feature.field] = value
				}
				s["securityAndAnalysis"] = sa
			}
			setFeature(spec, "enabled")
			h := newHarness(t, spec, c.opts...)
			expectFeature := func(when string, want bool) {
				t.Helper()
				h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
				if got := c.feature.on(h.repo("acme", "widgets")); got != want {
					t.Fatalf("%s: %s is %s on GitHub, want %s", when, c.feature.field, status(got), status(want))
				}
			}

			h.sync()
			expectFeature("created", true)

			h.edit(func(s map[string]any) { setFeature(s, "disabled") })
			h.sync()
			expectFeature("changed", false)

			h.sync() // records the ETag
			writes := h.writes()
			if _, err := h.gh.EditRepo("acme", "widgets", func(r *fake.Repo) error { c.feature.set(r, true); return nil }); err != nil {
				t.Fatal(err)
			}
			h.sync()
			expectFeature("changed by hand", false)
			if h.writes() == writes {
				t.Error("drift was put back without a write")
			}

			h.edit(func(s map[string]any) { setFeature(s, nil) })
			h.sync()
			if _, err := h.gh.EditRepo("acme", "widgets", func(r *fake.Repo) error { c.feature.set(r, true); return nil }); err != nil {
				t.Fatal(err)
			}
			writes = h.writes()
			h.sync()
			h.later(time.Hour)
			h.sync()
			expectFeature("unset, changed by hand", true)
			if n := h.writes() - writes; n != 0 {
				t.Errorf("%d writes once %s is unset, want none", n, c.feature.field)
			}
		})
	}
}

// TestVulnerabilityAlerts: Dependabot alerts are applied after the
// creation, changed, put back after a change by hand, and left alone, never
// even read, once unset.
// https://docs.github.com/rest/repos/repos#check-if-vulnerability-alerts-are-enabled-for-a-repository
func TestVulnerabilityAlerts(t *testing.T) {
	h := newHarness(t, map[string]any{"owner": "acme", "name": "widgets", "vulnerabilityAlerts": true})
	expectAlerts := func(when string, want bool) {
		t.Helper()
		h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
		if got := h.repo("acme", "widgets").VulnerabilityAlerts; got != want {
			t.Fatalf("%s: vulnerability alerts on = %v, want %v", when, got, want)
		}
	}
	h.sync()
	expectAlerts("created", true)
	if h.requests("PUT", "/repos/acme/widgets/vulnerability-alerts") != 1 {
		t.Error("want one PUT vulnerability-alerts at the creation")
	}

	h.edit(func(s map[string]any) { s["vulnerabilityAlerts"] = false })
	h.sync()
	expectAlerts("changed", false)
	if h.requests("DELETE", "/repos/acme/widgets/vulnerability-alerts") != 1 {
		t.Error("want one DELETE vulnerability-alerts for the change")
	}

	// A full read (the first after a write) checks them, so a change by
	// hand made before it is put back at once.
	if _, err := h.gh.EditRepo("acme", "widgets", func(r *fake.Repo) error { r.VulnerabilityAlerts = true; return nil }); err != nil {
		t.Fatal(err)
	}
	h.sync()
	expectAlerts("changed by hand before a full read", false)

	h.gh.ClearRequests()
	h.edit(func(s map[string]any) { delete(s, "vulnerabilityAlerts") })
	h.sync()
	if _, err := h.gh.EditRepo("acme", "widgets", func(r *fake.Repo) error { r.VulnerabilityAlerts = true; return nil }); err != nil {
		t.Fatal(err)
	}
	h.sync()
	h.later(time.Hour)
	h.sync()
	expectAlerts("unset, changed by hand", true)
	if n := len(h.gh.Requests(fake.RequestFilter{Path: "/repos/acme/widgets/vulnerability-alerts"})); n != 0 {
		t.Errorf("%d requests for vulnerability alerts once unset, want none", n)
	}
}

// TestVulnerabilityAlertsIdle: the repository's answer does not show
// Dependabot alerts, so a change of them alone leaves the repository's
// ETag as it was. Idle syncs stay one 304 each, free; the alerts are
// checked (one rate-limit unit) when status.lastSyncTime moves, at most
// hourly, so such drift is put back within the hour.
func TestVulnerabilityAlertsIdle(t *testing.T) {
	h := newHarness(t, map[string]any{"owner": "acme", "name": "widgets", "vulnerabilityAlerts": true})
	h.sync()
	h.later(time.Minute)
	h.sync() // the full read after the writes
	before := h.status()
	if _, err := h.gh.EditRepo("acme", "widgets", func(r *fake.Repo) error { r.VulnerabilityAlerts = false; return nil }); err != nil {
		t.Fatal(err)
	}
	units := h.gh.RateLimit(token).Remaining
	h.gh.ClearRequests()
	for range 5 {
		h.later(10 * time.Minute)
		h.sync()
		if after := h.status(); after.LastSyncTime.Compare(before.LastSyncTime.Time) != 0 || after.ETag != before.ETag || h.condition(v1.ConditionSynced) != "True/ReconcileSuccess" {
			t.Fatalf("an idle sync changed the status:\nbefore %+v\nafter  %+v", before, after)
		}
	}
	reqs := h.gh.Requests(fake.RequestFilter{})
	if len(reqs) != 5 {
		t.Fatalf("%d requests for 5 idle syncs, want 5 conditional reads", len(reqs))
	}
	for _, r := range reqs {
		if !r.NotModified || r.Method != "GET" || !strings.HasPrefix(r.Path, "/repositories/") {
			t.Errorf("request %s %s (304: %v), want a conditional GET by id", r.Method, r.Path, r.NotModified)
		}
	}
	if spent := units - h.gh.RateLimit(token).Remaining; spent != 0 {
		t.Errorf("idle syncs spent %d units, want 0", spent)
	}
	if h.repo("acme", "widgets").VulnerabilityAlerts {
		t.Fatal("alerts were put back without a request")
	}

	h.later(10 * time.Minute) // an hour since lastSyncTime
	h.gh.ClearRequests()
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	if !h.repo("acme", "widgets").VulnerabilityAlerts {
		t.Error("alerts not put back at the hourly check")
	}
	var got []string
	for _, r := range h.gh.Requests(fake.RequestFilter{}) {
		got = append(got, r.Method+" "+r.Path)
	}
	want := []string{"GET /repositories/" + fmt.Sprint(before.RepoID), "GET /repos/acme/widgets/vulnerability-alerts", "PUT /repos/acme/widgets/vulnerability-alerts"}
	if !slices.Equal(got, want) {
		t.Errorf("the hourly check sent %v, want %v", got, want)
	}
	if st := h.status(); !st.LastSyncTime.After(before.LastSyncTime.Time) || st.ETag != before.ETag {
		t.Errorf("after the hourly check lastSyncTime %v (was %v), ETag %q (was %q): want it moved and the ETag kept",
			st.LastSyncTime, before.LastSyncTime, st.ETag, before.ETag)
	}

	// Found as wanted, the check costs its one unit and writes nothing.
	units = h.gh.RateLimit(token).Remaining
	h.later(time.Hour)
	writes := h.writes()
	h.sync()
	if spent := units - h.gh.RateLimit(token).Remaining; spent != 1 || h.writes() != writes {
		t.Errorf("the next hourly check spent %d units and made %d writes, want 1 and 0", spent, h.writes()-writes)
	}
}

// TestSecurityOrder: Dependabot security updates act on Dependabot alerts
// (Configuring Dependabot security updates: "for any repository that uses
// Dependabot alerts"), so alerts go on before security updates, and
// security updates go off before alerts.
func TestSecurityOrder(t *testing.T) {
	h := newHarness(t, map[string]any{"owner": "acme", "name": "widgets", "vulnerabilityAlerts": true,
		"securityAndAnalysis": map[string]any{"dependabotSecurityUpdates": "enabled"}})
	order := func(want ...string) {
		t.Helper()
		var got []string
		for _, r := range h.gh.Requests(fake.RequestFilter{Path: "/repos/acme/widgets/*"}) {
			if r.Method != "GET" && !strings.HasSuffix(r.Path, "/properties/values") {
				got = append(got, r.Method+" "+strings.TrimPrefix(r.Path, "/repos/acme/widgets/"))
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("writes %v, want %v", got, want)
		}
	}
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	order("PUT vulnerability-alerts", "PUT automated-security-fixes")
	if r := h.repo("acme", "widgets"); !r.VulnerabilityAlerts || !r.Security.DependabotSecurityUpdates {
		t.Errorf("alerts %v, security updates %v; want both on", r.VulnerabilityAlerts, r.Security.DependabotSecurityUpdates)
	}

	h.gh.ClearRequests()
	h.edit(func(s map[string]any) {
		s["vulnerabilityAlerts"] = false
		s["securityAndAnalysis"] = map[string]any{"dependabotSecurityUpdates": "disabled"}
	})
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	order("DELETE automated-security-fixes", "DELETE vulnerability-alerts")
}

// TestSecurityFeatureUnavailable: GitHub refuses what the repository's
// plan or visibility lacks; the Error condition carries its message.
func TestSecurityFeatureUnavailable(t *testing.T) {
	cases := []struct {
		name    string
		spec    map[string]any
		message string
	}{
		{"advanced security without a licence", map[string]any{"visibility": "private",
			"securityAndAnalysis": map[string]any{"advancedSecurity": "enabled"}}, "Advanced security has not been purchased."},
		{"secret scanning on a private repository without a licence", map[string]any{"visibility": "private",
			"securityAndAnalysis": map[string]any{"secretScanning": "enabled"}}, "Secret scanning is not available for this repository."},
		{"advanced security on a public repository", map[string]any{"visibility": "public",
			"securityAndAnalysis": map[string]any{"advancedSecurity": "enabled"}}, "Advanced security is always available for public repos"},
		{"security updates without alerts", map[string]any{"visibility": "public",
			"securityAndAnalysis": map[string]any{"dependabotSecurityUpdates": "enabled"}}, "Vulnerability alerts must be enabled"},
		// GitHub answers 200 and leaves push protection off.
		{"push protection without secret scanning", map[string]any{"visibility": "public",
			"securityAndAnalysis": map[string]any{"secretScanningPushProtection": "enabled"}}, "left securityAndAnalysis.secretScanningPushProtection disabled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.spec["owner"], c.spec["name"] = "acme", "widgets"
			h := newHarness(t, c.spec)
			h.sync()
			h.expect(v1.ConditionReady, "True/Available")
			h.expect(v1.ConditionSynced, "False/ReconcileError")
			h.expect(v1.ConditionError, "True/"+v1.ReasonFeatureUnavailable)
			if msg := h.message(v1.ConditionError); !strings.Contains(msg, c.message) || !strings.Contains(msg, "securityAndAnalysis") {
				t.Errorf("message %q, want GitHub's %q and the field", msg, c.message)
			}
		})
	}
}

// TestSecurityNeedsAdmin: GitHub shows security_and_analysis only to a
// repository's admins ("In order to see the security_and_analysis block
// for a repository you must have admin permissions", Get a repository).
// Without it, nothing is compared or written blindly, and the user is told.
func TestSecurityNeedsAdmin(t *testing.T) {
	h := newHarness(t, map[string]any{"owner": "acme", "name": "widgets", "visibility": "public", "description": "one",
		"securityAndAnalysis": map[string]any{"secretScanning": "enabled"}})
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	// octocat becomes a plain member of acme, and not the creator: push,
	// no admin.
	if _, err := h.gh.EditRepo("acme", "widgets", func(r *fake.Repo) error { r.CreatedBy = "someone"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := h.gh.Seed(fake.Config{Orgs: []fake.Org{{Login: "acme", Members: map[string]fake.Role{"octocat": fake.RoleMember}}}}); err != nil {
		t.Fatal(err)
	}
	h.edit(func(s map[string]any) { s["description"] = "two" })
	writes := h.writes()
	h.sync()
	h.expect(v1.ConditionError, "True/"+v1.ReasonForbidden)
	if msg := h.message(v1.ConditionError); !strings.Contains(msg, "securityAndAnalysis") || !strings.Contains(msg, "admin") {
		t.Errorf("message %q, want it to name securityAndAnalysis and admin access", msg)
	}
	if n := h.writes() - writes; n != 0 {
		t.Errorf("%d writes without security_and_analysis, want none", n)
	}
}
