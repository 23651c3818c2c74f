package fake_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

// securityConfig adds to testConfig a private repository of acme, which
// has no GitHub Advanced Security licence, and the organization shield,
// which has one, with a private and a public repository.
func securityConfig() fake.Config {
	cfg := testConfig()
	vault, open, private := fake.NewRepo("shield", "vault"), fake.NewRepo("shield", "open"), fake.NewRepo("acme", "private")
	vault.Visibility, private.Visibility = "private", "private"
	cfg.Orgs = append(cfg.Orgs, fake.Org{Login: "shield", AdvancedSecurity: true,
		Members: map[string]fake.Role{"octocat": fake.RoleAdmin, "dev": fake.RoleMember}})
	cfg.Repos = append(cfg.Repos, vault, open, private)
	return cfg
}

func features(statuses ...string) map[string]any {
	sa := map[string]any{}
	for i := 0; i+1 < len(statuses); i += 2 {
		sa[statuses[i]] = map[string]string{"status": statuses[i+1]}
	}
	return map[string]any{"security_and_analysis": sa}
}

// securityOf is the security_and_analysis of an answer: feature -> status;
// nil when the answer has none.
func securityOf(t *testing.T, e exchange) map[string]string {
	t.Helper()
	sa, ok := e.json(t)["security_and_analysis"].(map[string]any)
	if !ok {
		return nil
	}
	out := map[string]string{}
	for k, v := range sa {
		out[k] = v.(map[string]any)["status"].(string)
	}
	return out
}

// TestSecurityAndAnalysis: PATCH /repos/{owner}/{repo} switches security
// features with GitHub's refusals for what the plan or visibility lacks,
// and only admins see security_and_analysis.
// https://docs.github.com/rest/repos/repos#update-a-repository
// https://docs.github.com/rest/repos/repos#get-a-repository
func TestSecurityAndAnalysis(t *testing.T) {
	tests := []struct {
		name    string
		before  func(*fake.Repo) // applied by hand to the repository first
		method  string
		path    string
		token   string
		body    any
		want    int
		message string
		sees    map[string]string // the answer's security_and_analysis; nil: none
	}{
		{name: "admin sees a public repository's block, without advanced security", method: "GET", path: "/repos/acme/widgets", token: octocatToken, want: 200,
			sees: map[string]string{"secret_scanning": "disabled", "secret_scanning_push_protection": "disabled", "dependabot_security_updates": "disabled"}},
		{name: "admin sees a private repository's advanced security", method: "GET", path: "/repos/acme/private", token: octocatToken, want: 200,
			sees: map[string]string{"advanced_security": "disabled", "secret_scanning": "disabled", "secret_scanning_push_protection": "disabled", "dependabot_security_updates": "disabled"}},
		{name: "a member with push sees none", method: "GET", path: "/repos/acme/widgets", token: devToken, want: 200},
		{name: "an outsider sees none", method: "GET", path: "/repos/acme/widgets", token: outsiderToken, want: 200},
		{name: "secret scanning is free on a public repository", method: "PATCH", path: "/repos/acme/widgets", token: octocatToken,
			body: features("secret_scanning", "enabled", "secret_scanning_push_protection", "enabled"), want: 200,
			sees: map[string]string{"secret_scanning": "enabled", "secret_scanning_push_protection": "enabled", "dependabot_security_updates": "disabled"}},
		{name: "advanced security on a public repository", method: "PATCH", path: "/repos/acme/widgets", token: octocatToken,
			body: features("advanced_security", "enabled"), want: 422, message: "Advanced security is always available for public repos"},
		{name: "advanced security without a licence", method: "PATCH", path: "/repos/acme/private", token: octocatToken,
			body: features("advanced_security", "enabled"), want: 422, message: "Advanced security has not been purchased."},
		{name: "advanced security off without a licence", method: "PATCH", path: "/repos/acme/private", token: octocatToken,
			body: features("advanced_security", "disabled"), want: 200,
			sees: map[string]string{"advanced_security": "disabled", "secret_scanning": "disabled", "secret_scanning_push_protection": "disabled", "dependabot_security_updates": "disabled"}},
		{name: "secret scanning on a private repository without a licence", method: "PATCH", path: "/repos/acme/private", token: octocatToken,
			body: features("secret_scanning", "enabled"), want: 422, message: "Secret scanning is not available for this repository."},
		{name: "secret scanning on a user's private repository", method: "PATCH", path: "/repos/octocat/personal", token: octocatToken,
			body: features("secret_scanning", "enabled"), want: 422, message: "Secret scanning is not available for this repository."},
		{name: "advanced security with a licence", method: "PATCH", path: "/repos/shield/vault", token: octocatToken,
			body: features("advanced_security", "enabled"), want: 200,
			sees: map[string]string{"advanced_security": "enabled", "secret_scanning": "disabled", "secret_scanning_push_protection": "disabled", "dependabot_security_updates": "disabled"}},
		{name: "secret scanning needs advanced security on a licensed private repository", method: "PATCH", path: "/repos/shield/vault", token: octocatToken,
			body: features("secret_scanning", "enabled"), want: 422, message: "Secret scanning can only be enabled on repos where Advanced Security is enabled."},
		{name: "all three at once with a licence", method: "PATCH", path: "/repos/shield/vault", token: octocatToken,
			body: features("advanced_security", "enabled", "secret_scanning", "enabled", "secret_scanning_push_protection", "enabled"), want: 200,
			sees: map[string]string{"advanced_security": "enabled", "secret_scanning": "enabled", "secret_scanning_push_protection": "enabled", "dependabot_security_updates": "disabled"}},
		{name: "advanced security off takes secret scanning with it", method: "PATCH", path: "/repos/shield/vault", token: octocatToken,
			before: func(r *fake.Repo) {
				r.Security = fake.Security{AdvancedSecurity: true, SecretScanning: true, SecretScanningPushProtection: true}
			},
			body: features("advanced_security", "disabled"), want: 200,
			sees: map[string]string{"advanced_security": "disabled", "secret_scanning": "disabled", "secret_scanning_push_protection": "disabled", "dependabot_security_updates": "disabled"}},
		{name: "push protection without secret scanning is ignored", method: "PATCH", path: "/repos/shield/open", token: octocatToken,
			body: features("secret_scanning_push_protection", "enabled"), want: 200,
			sees: map[string]string{"secret_scanning": "disabled", "secret_scanning_push_protection": "disabled", "dependabot_security_updates": "disabled"}},
		{name: "security updates are not set by the update", method: "PATCH", path: "/repos/acme/widgets", token: octocatToken,
			before: func(r *fake.Repo) { r.VulnerabilityAlerts = true },
			body:   features("dependabot_security_updates", "enabled"), want: 200,
			sees: map[string]string{"secret_scanning": "disabled", "secret_scanning_push_protection": "disabled", "dependabot_security_updates": "disabled"}},
		{name: "unknown status", method: "PATCH", path: "/repos/acme/widgets", token: octocatToken,
			body: features("secret_scanning", "on"), want: 422, message: "Validation Failed"},
		{name: "a member can't", method: "PATCH", path: "/repos/acme/widgets", token: devToken,
			body: features("secret_scanning", "enabled"), want: 403, message: "Must have admin rights to Repository."},
		{name: "archived is read-only", method: "PATCH", path: "/repos/acme/widgets", token: octocatToken,
			before: func(r *fake.Repo) { r.Archived = true },
			body:   features("secret_scanning", "enabled"), want: 403, message: "Repository was archived so is read-only."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, _ := start(t, fake.WithConfig(securityConfig()))
			owner, name, _ := strings.Cut(strings.TrimPrefix(tt.path, "/repos/"), "/")
			if tt.before != nil {
				if _, err := s.EditRepo(owner, name, func(r *fake.Repo) error { tt.before(r); return nil }); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := s.Repo(owner, name)
			got := call(t, base, tt.method, tt.path, tt.token, tt.body)
			got.expect(t, tt.want, tt.message)
			after, _ := s.Repo(owner, name)
			if tt.want != http.StatusOK {
				if after.Security != before.Security {
					t.Errorf("refused, yet the features changed from %+v to %+v", before.Security, after.Security)
				}
				return
			}
			if sees := securityOf(t, got); jsonString(sees) != jsonString(tt.sees) {
				t.Errorf("security_and_analysis = %v, want %v", sees, tt.sees)
			}
		})
	}
}

// TestVulnerabilityAlerts: GET answers 204 while Dependabot alerts are on
// and 404 while off; PUT and DELETE switch them (204), for admins only.
// The repository's body does not show them, so switching them leaves its
// ETag alone. Dependabot security updates need them, and go off with them.
// https://docs.github.com/rest/repos/repos#check-if-vulnerability-alerts-are-enabled-for-a-repository
// https://docs.github.com/rest/repos/repos#enable-dependabot-security-updates
func TestVulnerabilityAlerts(t *testing.T) {
	s, base, _ := start(t, fake.WithConfig(securityConfig()))
	const alerts, fixes = "/repos/acme/widgets/vulnerability-alerts", "/repos/acme/widgets/automated-security-fixes"
	etag := call(t, base, "GET", "/repos/acme/widgets", octocatToken, nil).resp.Header.Get("ETag")
	unchanged := func(when string) {
		t.Helper()
		if got := call(t, base, "GET", "/repos/acme/widgets", octocatToken, nil, "If-None-Match", etag); got.resp.StatusCode != http.StatusNotModified {
			t.Errorf("%s: GET the repository with its ETag = %d, want 304", when, got.resp.StatusCode)
		}
	}

	call(t, base, "GET", alerts, octocatToken, nil).expect(t, 404, "Not Found")
	call(t, base, "PUT", fixes, octocatToken, nil).expect(t, 422, "Vulnerability alerts must be enabled to configure automated security fixes")
	call(t, base, "PUT", alerts, devToken, nil).expect(t, 403, "Must have admin rights to Repository.")
	call(t, base, "GET", alerts, devToken, nil).expect(t, 403, "Must have admin rights to Repository.")
	call(t, base, "PUT", alerts, octocatToken, nil).expect(t, 204, "")
	call(t, base, "GET", alerts, octocatToken, nil).expect(t, 204, "")
	if r, _ := s.Repo("acme", "widgets"); !r.VulnerabilityAlerts {
		t.Error("alerts are off after PUT")
	}
	unchanged("after enabling alerts")

	call(t, base, "PUT", fixes, octocatToken, nil).expect(t, 204, "")
	got := call(t, base, "GET", "/repos/acme/widgets", octocatToken, nil)
	if sees := securityOf(t, got); sees["dependabot_security_updates"] != "enabled" {
		t.Errorf("security_and_analysis = %v after enabling security updates", sees)
	}
	if got.resp.Header.Get("ETag") == etag {
		t.Error("security updates changed the body, but not its ETag")
	}
	if f := call(t, base, "GET", fixes, octocatToken, nil); jsonString(f.json(t)) != `{"enabled":true,"paused":false}` {
		t.Errorf("GET automated-security-fixes = %s", f.body)
	}

	call(t, base, "DELETE", alerts, octocatToken, nil).expect(t, 204, "")
	call(t, base, "GET", alerts, octocatToken, nil).expect(t, 404, "Not Found")
	if r, _ := s.Repo("acme", "widgets"); r.VulnerabilityAlerts || r.Security.DependabotSecurityUpdates {
		t.Errorf("after DELETE alerts %v, security updates %v; want both off", r.VulnerabilityAlerts, r.Security.DependabotSecurityUpdates)
	}
	unchanged("after the alerts and the security updates went off")

	if _, err := s.EditRepo("acme", "widgets", func(r *fake.Repo) error { r.Archived = true; return nil }); err != nil {
		t.Fatal(err)
	}
	call(t, base, "PUT", alerts, octocatToken, nil).expect(t, 403, "Repository was archived so is read-only.")
}

// TestSchemaConformanceOfSecurity validates the answers of the security
// endpoints that need a repository in another state than the seed's.
// GitHub's description lists only 204 for enabling security updates, so
// its 422 is checked against basic-error.
func TestSchemaConformanceOfSecurity(t *testing.T) {
	tests := []struct {
		name         string
		alertsOn     bool
		method, path string
		want         int
		undocumented bool
	}{
		{"check vulnerability alerts on", true, "GET", "/repos/acme/widgets/vulnerability-alerts", 204, false},
		{"check security updates", true, "GET", "/repos/acme/widgets/automated-security-fixes", 200, false},
		{"enable security updates", true, "PUT", "/repos/acme/widgets/automated-security-fixes", 204, false},
		{"enable security updates without alerts", false, "PUT", "/repos/acme/widgets/automated-security-fixes", 422, true},
	}
	doc := loadSpec(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, _ := start(t)
			if _, err := s.EditRepo("acme", "widgets", func(r *fake.Repo) error { r.VulnerabilityAlerts = tt.alertsOn; return nil }); err != nil {
				t.Fatal(err)
			}
			doc.Servers = openapi3.Servers{{URL: strings.TrimSuffix(base, "/")}}
			router, err := gorillamux.NewRouter(doc)
			if err != nil {
				t.Fatalf("router: %v", err)
			}
			got := call(t, base, tt.method, tt.path, octocatToken, nil)
			if got.resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d: %s", got.resp.StatusCode, tt.want, got.body)
			}
			if !tt.undocumented {
				validate(t, doc, router, got)
				return
			}
			var v any = got.json(t)
			if err := doc.Components.Schemas["basic-error"].Value.VisitJSON(v); err != nil {
				t.Errorf("body is not a basic-error: %v", err)
			}
		})
	}
}
