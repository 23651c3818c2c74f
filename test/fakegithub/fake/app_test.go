package fake_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

const (
	widgetApp   = 42  // widgetbot: installed on acme (selected repositories) and on octocat
	readApp     = 43  // readbot: installed on all of acme's repositories, variables read
	acmeInstall = 100 // widgetbot on acme: acme/widgets and acme/secret
	userInstall = 101 // widgetbot on octocat: octocat/personal
	readInstall = 200 // readbot on acme

	widgetClientID = "Iv23liWidgetBot01"
)

type keyPair struct{ private, public []byte }

// appKeys are made once: RSA key generation is slow. The second pair is
// nobody's.
var appKeys = sync.OnceValue(func() [2]keyPair {
	var out [2]keyPair
	for i := range out {
		private, public, err := fake.GenerateAppKey()
		if err != nil {
			panic(err)
		}
		out[i] = keyPair{private, public}
	}
	return out
})

// appConfig is accessConfig (acme/widgets public, octocat/personal,
// acme/secret and acme/hidden private, acme/open public) with two Apps.
func appConfig() fake.Config {
	cfg := accessConfig()
	key := string(appKeys()[0].public)
	cfg.Apps = []fake.App{
		{ID: widgetApp, Slug: "widgetbot", Name: "Widget Bot", ClientID: widgetClientID, Owner: "acme", PublicKey: key,
			Installations: []fake.Installation{
				{ID: acmeInstall, Account: "acme", RepositorySelection: fake.SelectionSelected,
					Repositories: []string{"acme/widgets", "acme/secret"},
					Permissions: map[string]string{"administration": "write", "contents": "write", "variables": "write",
						"custom_properties": "write", "organization_custom_properties": "admin"}},
				{ID: userInstall, Account: "octocat", RepositorySelection: fake.SelectionSelected,
					Repositories: []string{"octocat/personal"}, Permissions: map[string]string{"administration": "write"}},
			}},
		{ID: readApp, Slug: "readbot", PublicKey: key,
			Installations: []fake.Installation{{ID: readInstall, Account: "acme", Permissions: map[string]string{"variables": "read"}}}},
	}
	return cfg
}

// startApps serves appConfig on a manual clock.
func startApps(t *testing.T) (*fake.Server, string, func() time.Time, func(time.Duration)) {
	t.Helper()
	s, base, clock := start(t, fake.WithConfig(appConfig()))
	return s, base, clock.Now, clock.Step
}

// appJWT signs as GitHub's docs suggest: iat 60 seconds in the past, exp
// ten minutes ahead.
func appJWT(t *testing.T, iss any, now time.Time) string {
	t.Helper()
	token, err := fake.AppJWT(appKeys()[0].private, iss, now.Add(-time.Minute), now.Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func installationToken(t *testing.T, s *fake.Server, id int64) string {
	t.Helper()
	token, _, err := s.InstallationToken(id)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// TestAppJWT: an App authenticates with a JWT signed RS256 by its private
// key, iss its App ID or client ID, iat "60 seconds in the past" to allow
// for clock drift and exp "no more than 10 minutes into the future"
// (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app).
// GitHub's refusals as recorded: an expired JWT (PyGithub's
// tests/ReplayData/GithubIntegration.testGetAccessTokenWithExpiredJWT.txt),
// exp too far ahead (octokit/auth-app.js#698), iat ahead of GitHub's clock
// (octokit/auth-app.js README, "Troubleshooting"), a JWT that does not
// verify (backstage/backstage#12887; octokit/auth-app.js#375: a valid JWT
// for another App's id), an App id that names no App (404 "Integration not
// found", actions/create-github-app-token#76), an iss that is no id
// (actions/create-github-app-token#386). A token on a JWT endpoint is "A
// JSON web token could not be decoded" (urcomputeringpal/kubevalidator#48),
// and a JWT on any other endpoint "Bad credentials" (GitHub Community, "How
// to call API v3 endpoints as a Github application").
func TestAppJWT(t *testing.T) {
	keys := appKeys()
	sign := func(private []byte, method jwt.SigningMethod, claims jwt.MapClaims) func(time.Time) string {
		return func(time.Time) string {
			var key any = []byte("secret")
			if method == jwt.SigningMethodRS256 {
				k, err := jwt.ParseRSAPrivateKeyFromPEM(private)
				if err != nil {
					t.Fatal(err)
				}
				key = k
			}
			token, err := jwt.NewWithClaims(method, claims).SignedString(key)
			if err != nil {
				t.Fatal(err)
			}
			return token
		}
	}
	claims := func(now time.Time, iss any, iat, exp time.Duration) jwt.MapClaims {
		return jwt.MapClaims{"iss": iss, "iat": now.Add(iat).Unix(), "exp": now.Add(exp).Unix()}
	}
	now := epoch // start's clock
	rs := func(iss any, iat, exp time.Duration) func(time.Time) string {
		return sign(keys[0].private, jwt.SigningMethodRS256, claims(now, iss, iat, exp))
	}
	const (
		undecodable = "A JSON web token could not be decoded"
		expired     = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
		tooFar      = "'Expiration time' claim ('exp') is too far in the future"
		issuedAt    = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	)
	tests := []struct {
		name    string
		path    string
		token   func(time.Time) string
		want    int
		message string
	}{
		{"app id", "/app", rs(widgetApp, -time.Minute, 10*time.Minute), 200, ""},
		{"app id as a string", "/app", rs("42", -time.Minute, 10*time.Minute), 200, ""},
		{"client id", "/app", rs(widgetClientID, -time.Minute, 10*time.Minute), 200, ""},
		{"iat now, exp in a second", "/app", rs(widgetApp, 0, time.Second), 200, ""},
		{"unknown app id", "/app", rs(99, -time.Minute, 10*time.Minute), 404, "Integration not found"},
		{"unknown client id", "/app", rs("Iv23liNobody", -time.Minute, 10*time.Minute), 404, "Integration not found"},
		{"iss no id", "/app", rs("widgetbot", -time.Minute, 10*time.Minute), 401, "'Issuer' claim ('iss') must be an Integer"},
		{"no iss", "/app", sign(keys[0].private, jwt.SigningMethodRS256, jwt.MapClaims{"iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}), 401, "'Issuer' claim ('iss') must be an Integer"},
		{"another key", "/app", sign(keys[1].private, jwt.SigningMethodRS256, claims(now, widgetApp, -time.Minute, 10*time.Minute)), 401, undecodable},
		{"HS256", "/app", sign(nil, jwt.SigningMethodHS256, claims(now, widgetApp, -time.Minute, 10*time.Minute)), 401, undecodable},
		{"not a JWT", "/app", func(time.Time) string { return "eyJhbGciOi.not.base64!" }, 401, undecodable},
		{"expired", "/app", rs(widgetApp, -11*time.Minute, -time.Minute), 401, expired},
		{"exp now", "/app/installations/100/access_tokens", rs(widgetApp, -time.Minute, 0), 401, expired},
		{"exp 10 minutes ahead", "/app", rs(widgetApp, 0, 10*time.Minute), 200, ""},
		{"exp 10 minutes and a second ahead", "/app/installations/100/access_tokens", rs(widgetApp, 0, 10*time.Minute+time.Second), 401, tooFar},
		{"iat a second ahead", "/app", rs(widgetApp, time.Second, 10*time.Minute), 401, issuedAt},
		{"no iat", "/app", sign(keys[0].private, jwt.SigningMethodRS256, jwt.MapClaims{"iss": widgetApp, "exp": now.Add(time.Minute).Unix()}), 401, issuedAt},
		{"iat not an integer", "/app", sign(keys[0].private, jwt.SigningMethodRS256, jwt.MapClaims{"iss": widgetApp, "iat": "yesterday", "exp": now.Add(time.Minute).Unix()}), 401, issuedAt},
		{"user token on /app", "/app", func(time.Time) string { return octocatToken }, 401, undecodable},
		{"JWT elsewhere", "/repos/acme/widgets", rs(widgetApp, -time.Minute, 10*time.Minute), 401, "Bad credentials"},
		{"JWT on /user", "/user", rs(widgetApp, -time.Minute, 10*time.Minute), 401, "Bad credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, base, _, _ := startApps(t)
			method := "GET"
			if strings.HasSuffix(tt.path, "/access_tokens") {
				method = "POST"
			}
			got := call(t, base, method, tt.path, "", nil, "Authorization", "Bearer "+tt.token(now))
			got.expect(t, tt.want, tt.message)
			if tt.want == 200 {
				if app := got.json(t); app["slug"] != "widgetbot" || app["id"] != float64(widgetApp) || app["client_id"] != widgetClientID {
					t.Errorf("app = %v", app)
				}
			}
		})
	}
	t.Run("installation token on a JWT endpoint", func(t *testing.T) {
		s, base, _, _ := startApps(t)
		got := call(t, base, "GET", "/app/installations", installationToken(t, s, acmeInstall), nil)
		got.expect(t, 401, undecodable)
	})
}

// TestCreateInstallationToken: POST
// /app/installations/{installation_id}/access_tokens with the App's JWT
// answers 201 with a token that expires in an hour, the permissions and the
// repository selection; the permissions and repositories asked for must be
// the installation's, and the answer lists repositories only when asked for
// them (https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app;
// the 422 as recorded in PyGithub's
// GithubIntegration.testGetAccessTokenWithInvalidPermissions.txt). Another
// App's installation, or none, is 404 (PyGithub's
// GithubIntegration.testGetAccessTokenForNoInstallation.txt), and a
// suspended one 403 "This installation has been suspended"
// (octokit/octokit.rb#1307).
func TestCreateInstallationToken(t *testing.T) {
	tests := []struct {
		name      string
		id        int
		iss       int
		body      any
		want      int
		message   string
		perms     map[string]any
		selection string
		repos     []any // full names, when listed
	}{
		{"all of it", acmeInstall, widgetApp, nil, 201, "",
			map[string]any{"metadata": "read", "administration": "write", "contents": "write", "variables": "write",
				"custom_properties": "write", "organization_custom_properties": "admin"}, "selected", nil},
		{"all repositories", readInstall, readApp, map[string]any{}, 201, "", map[string]any{"metadata": "read", "variables": "read"}, "all", nil},
		{"fewer permissions", acmeInstall, widgetApp, map[string]any{"permissions": map[string]string{"contents": "read"}}, 201, "",
			map[string]any{"metadata": "read", "contents": "read"}, "selected", nil},
		{"one repository", readInstall, readApp, map[string]any{"repositories": []string{"hidden"}}, 201, "",
			map[string]any{"metadata": "read", "variables": "read"}, "selected", []any{"acme/hidden"}},
		{"repository by id", acmeInstall, widgetApp, map[string]any{"repository_ids": []int{1003}}, 201, "", nil, "selected", []any{"acme/secret"}},
		{"more permission", readInstall, readApp, map[string]any{"permissions": map[string]string{"variables": "write"}}, 422,
			"The permissions requested are not granted to this installation.", nil, "", nil},
		{"unknown permission", readInstall, readApp, map[string]any{"permissions": map[string]string{"test-permissions": "read"}}, 422,
			"The permissions requested are not granted to this installation.", nil, "", nil},
		{"unselected repository", acmeInstall, widgetApp, map[string]any{"repositories": []string{"hidden"}}, 422,
			"There is at least one repository that does not exist or is not accessible to the parent installation.", nil, "", nil},
		{"another App's installation", readInstall, widgetApp, nil, 404, "Not Found", nil, "", nil},
		{"no installation", 999, widgetApp, nil, 404, "Not Found", nil, "", nil},
		{"malformed body", acmeInstall, widgetApp, []byte(`{`), 400, "Problems parsing JSON", nil, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, base, now, _ := startApps(t)
			path := "/app/installations/" + itoa(tt.id) + "/access_tokens"
			got := call(t, base, "POST", path, "", tt.body, "Authorization", "Bearer "+appJWT(t, tt.iss, now()))
			got.expect(t, tt.want, tt.message)
			if tt.want != 201 {
				return
			}
			body := got.json(t)
			token, _ := body["token"].(string)
			if !strings.HasPrefix(token, "ghs_") || len(token) != 40 {
				t.Errorf("token = %q, want ghs_ and 36 characters", token)
			}
			if body["expires_at"] != now().Add(time.Hour).UTC().Format(time.RFC3339) {
				t.Errorf("expires_at = %v, want an hour from now", body["expires_at"])
			}
			if tt.perms != nil && jsonString(body["permissions"]) != jsonString(tt.perms) {
				t.Errorf("permissions = %v, want %v", body["permissions"], tt.perms)
			}
			if body["repository_selection"] != tt.selection {
				t.Errorf("repository_selection = %v, want %s", body["repository_selection"], tt.selection)
			}
			listed, has := body["repositories"].([]any)
			if has != (tt.repos != nil) || len(listed) != len(tt.repos) {
				t.Fatalf("repositories = %v, want %v", body["repositories"], tt.repos)
			}
			for i, r := range listed {
				if r.(map[string]any)["full_name"] != tt.repos[i] {
					t.Errorf("repositories[%d] = %v, want %v", i, r.(map[string]any)["full_name"], tt.repos[i])
				}
			}
			// The token works, within what it was given.
			if got := call(t, base, "GET", "/installation/repositories", token, nil); got.resp.StatusCode != 200 {
				t.Errorf("using the token: %d %s", got.resp.StatusCode, got.body)
			}
			if tt.repos != nil && call(t, base, "GET", "/repos/acme/widgets", token, nil).resp.StatusCode == 200 && tt.repos[0] != "acme/widgets" {
				// widgets is public: readable, but not the token's to write.
				call(t, base, "PATCH", "/repos/acme/widgets", token, map[string]any{"description": "x"}).
					expect(t, 403, "Resource not accessible by integration")
			}
		})
	}
}

func itoa(n int) string { return jsonString(n) }

// TestInstallationTokenExpiry: "Installation tokens expire one hour from
// the time you create them. Using an expired token produces a status code
// of 401 - Unauthorized"
// (https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app),
// on the fake's clock.
func TestInstallationTokenExpiry(t *testing.T) {
	_, base, now, step := startApps(t)
	got := call(t, base, "POST", "/app/installations/100/access_tokens", "", nil, "Authorization", "Bearer "+appJWT(t, widgetApp, now()))
	got.expect(t, 201, "")
	token := got.json(t)["token"].(string)
	step(time.Hour - time.Second)
	call(t, base, "GET", "/repos/acme/secret", token, nil).expect(t, 200, "")
	step(time.Second)
	call(t, base, "GET", "/repos/acme/secret", token, nil).expect(t, 401, "Bad credentials")
	// A new JWT makes a new token.
	got = call(t, base, "POST", "/app/installations/100/access_tokens", "", nil, "Authorization", "Bearer "+appJWT(t, widgetApp, now()))
	got.expect(t, 201, "")
	call(t, base, "GET", "/repos/acme/secret", got.json(t)["token"].(string), nil).expect(t, 200, "")
}

// TestInstallationAccess: an installation token acts as the App's bot
// with the installation's permissions on the installation's repositories
// (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation).
// A private repository it can't reach is 404, as for anyone who can't see
// it; anything else it may not do is 403 "Resource not accessible by
// integration", with X-Accepted-GitHub-Permissions naming what the endpoint
// wants (https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api#resource-not-accessible).
// The permissions are those "Permissions required for GitHub Apps" lists
// (https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps);
// renaming the default branch takes administration, others contents
// (https://docs.github.com/en/rest/branches/branches#rename-a-branch).
// GET /user is not for installation tokens (actions/create-github-app-token#258),
// nor, in GitHub's list of the endpoints they can use, is POST /user/repos
// (src/github-apps/data/fpt-2022-11-28/server-to-server-rest.json in
// github/docs): an App creates repositories only in organizations.
func TestInstallationAccess(t *testing.T) {
	tests := []struct {
		name     string
		inst     int64
		method   string
		path     string
		body     any
		want     int
		message  string
		accepted string // X-Accepted-GitHub-Permissions, when checked
	}{
		{"GET /user", acmeInstall, "GET", "/user", nil, 403, "Resource not accessible by integration", ""},
		{"create for the user", userInstall, "POST", "/user/repos", map[string]any{"name": "x"}, 403, "Resource not accessible by integration", ""},
		{"the bot", acmeInstall, "GET", "/users/widgetbot%5Bbot%5D", nil, 200, "", ""},
		{"selected repository", acmeInstall, "GET", "/repos/acme/secret", nil, 200, "", "metadata=read"},
		{"by id", acmeInstall, "GET", "/repositories/1003", nil, 200, "", ""},
		{"private, not selected", acmeInstall, "GET", "/repos/acme/hidden", nil, 404, "Not Found", ""},
		{"private, not selected, by id", acmeInstall, "GET", "/repositories/1004", nil, 404, "Not Found", ""},
		{"private, not selected, write", acmeInstall, "PATCH", "/repos/acme/hidden", map[string]any{"description": "x"}, 404, "Not Found", ""},
		{"another account's private repository", acmeInstall, "GET", "/repos/octocat/personal", nil, 404, "Not Found", ""},
		{"public, not selected", acmeInstall, "GET", "/repos/acme/open", nil, 200, "", ""},
		{"public, not selected, write", acmeInstall, "PATCH", "/repos/acme/open", map[string]any{"description": "x"}, 403, "Resource not accessible by integration", ""},
		{"update", acmeInstall, "PATCH", "/repos/acme/widgets", map[string]any{"description": "x"}, 200, "", "administration=write"},
		{"update without administration", readInstall, "PATCH", "/repos/acme/widgets", map[string]any{"description": "x"}, 403, "Resource not accessible by integration", "administration=write"},
		{"topics without administration", readInstall, "PUT", "/repos/acme/widgets/topics", map[string]any{"names": []string{"a"}}, 403, "Resource not accessible by integration", "administration=write"},
		{"read topics", readInstall, "GET", "/repos/acme/hidden/topics", nil, 200, "", "metadata=read"},
		{"delete without administration", readInstall, "DELETE", "/repos/acme/widgets", nil, 403, "Resource not accessible by integration", ""},
		{"delete", acmeInstall, "DELETE", "/repos/acme/secret", nil, 204, "", ""},
		{"create in the org", acmeInstall, "POST", "/orgs/acme/repos", map[string]any{"name": "made"}, 201, "", ""},
		{"create without administration", readInstall, "POST", "/orgs/acme/repos", map[string]any{"name": "made"}, 403, "Resource not accessible by integration", "administration=write"},
		{"create where not installed", acmeInstall, "POST", "/orgs/locked/repos", map[string]any{"name": "made"}, 403, "Resource not accessible by integration", ""},
		{"create in an unknown org", acmeInstall, "POST", "/orgs/nowhere/repos", map[string]any{"name": "made"}, 404, "Not Found", ""},
		{"create in a user account", userInstall, "POST", "/orgs/octocat/repos", map[string]any{"name": "made"}, 404, "Not Found", ""},
		{"user's repository", userInstall, "PATCH", "/repos/octocat/personal", map[string]any{"description": "x"}, 200, "", ""},
		{"create a variable", acmeInstall, "POST", "/repos/acme/widgets/actions/variables", map[string]any{"name": "A", "value": "1"}, 201, "", "variables=write"},
		{"create a variable, read only", readInstall, "POST", "/repos/acme/widgets/actions/variables", map[string]any{"name": "A", "value": "1"}, 403, "Resource not accessible by integration", "variables=write"},
		{"read a variable", readInstall, "GET", "/repos/acme/widgets/actions/variables/NONE", nil, 404, "Not Found", "variables=read"},
		{"property values", acmeInstall, "PATCH", "/repos/acme/widgets/properties/values", map[string]any{"properties": []any{}}, 204, "", "custom_properties=write"},
		{"property values without permission", readInstall, "PATCH", "/repos/acme/widgets/properties/values", map[string]any{"properties": []any{}}, 403, "Resource not accessible by integration", "custom_properties=write"},
		{"read property values", readInstall, "GET", "/repos/acme/widgets/properties/values", nil, 200, "", ""},
		{"property schema", acmeInstall, "GET", "/orgs/acme/properties/schema", nil, 200, "", "organization_custom_properties=read"},
		{"define a property", acmeInstall, "PUT", "/orgs/acme/properties/schema/team", map[string]any{"value_type": "string"}, 200, "", "organization_custom_properties=admin"},
		{"property schema without permission", readInstall, "GET", "/orgs/acme/properties/schema", nil, 403, "Resource not accessible by integration", ""},
		{"property schema where not installed", acmeInstall, "GET", "/orgs/locked/properties/schema", nil, 404, "Not Found", ""},
		{"rename a branch", acmeInstall, "POST", "/repos/acme/widgets/branches/main/rename", map[string]any{"new_name": "trunk"}, 201, "", "contents=write"},
		{"rename the default branch without administration", readInstall, "POST", "/repos/acme/widgets/branches/main/rename", map[string]any{"new_name": "trunk"}, 403, "Resource not accessible by integration", "contents=write"},
		{"rate limit", acmeInstall, "GET", "/rate_limit", nil, 200, "", ""},
		{"organization", acmeInstall, "GET", "/orgs/locked", nil, 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, _, _ := startApps(t)
			token := installationToken(t, s, tt.inst)
			got := call(t, base, tt.method, tt.path, token, tt.body)
			got.expect(t, tt.want, tt.message)
			if tt.accepted != "" && got.resp.Header.Get("X-Accepted-GitHub-Permissions") != tt.accepted {
				t.Errorf("X-Accepted-GitHub-Permissions = %q, want %q", got.resp.Header.Get("X-Accepted-GitHub-Permissions"), tt.accepted)
			}
			if got.resp.Header.Get("X-OAuth-Scopes") != "" {
				t.Errorf("X-OAuth-Scopes = %q on an installation token", got.resp.Header.Get("X-OAuth-Scopes"))
			}
			if reqs := s.Requests(fake.RequestFilter{}); len(reqs) != 1 || reqs[0].Installation != tt.inst || reqs[0].User != "widgetbot[bot]" && reqs[0].User != "readbot[bot]" {
				t.Errorf("request log = %+v, want installation %d", reqs, tt.inst)
			}
		})
	}
}

// TestInstallationCreatesRepository: what an App creates it can manage
// next, its selection gaining the repository, and the repository records
// the bot as its creator.
func TestInstallationCreatesRepository(t *testing.T) {
	s, base, _, _ := startApps(t)
	token := installationToken(t, s, acmeInstall)
	got := call(t, base, "POST", "/orgs/acme/repos", token, map[string]any{"name": "made", "private": true})
	got.expect(t, 201, "")
	if perms := got.json(t)["permissions"].(map[string]any); perms["admin"] != true {
		t.Errorf("permissions = %v", perms)
	}
	call(t, base, "PATCH", "/repos/acme/made", token, map[string]any{"description": "mine"}).expect(t, 200, "")
	if r, _ := s.Repo("acme", "made"); r.CreatedBy != "widgetbot[bot]" {
		t.Errorf("created by %q", r.CreatedBy)
	}
	list := call(t, base, "GET", "/installation/repositories", token, nil).json(t)
	if list["total_count"] != float64(3) || list["repository_selection"] != "selected" {
		t.Errorf("installation repositories = %v", list)
	}
}

// TestInstallationLookups: the App finds its installations with its JWT
// (https://docs.github.com/en/rest/apps/apps), answered in the shape
// recorded in PyGithub's GithubIntegration.testGetOrgInstallation.txt and
// testGetRepoInstallation.txt; what isn't its installation is 404
// (testGetInstallationNotFound.txt).
func TestInstallationLookups(t *testing.T) {
	tests := []struct {
		path   string
		want   int
		id     int
		target string
	}{
		{"/orgs/acme/installation", 200, acmeInstall, "Organization"},
		{"/orgs/locked/installation", 404, 0, ""},
		{"/orgs/octocat/installation", 404, 0, ""},
		{"/users/octocat/installation", 200, userInstall, "User"},
		{"/users/acme/installation", 200, acmeInstall, "Organization"},
		{"/users/dev/installation", 404, 0, ""},
		{"/repos/acme/widgets/installation", 200, acmeInstall, "Organization"},
		{"/repos/octocat/personal/installation", 200, userInstall, "User"},
		{"/repos/acme/hidden/installation", 404, 0, ""},
		{"/repos/acme/none/installation", 404, 0, ""},
		{"/app/installations/101", 200, userInstall, "User"},
		{"/app/installations/200", 404, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			_, base, now, _ := startApps(t)
			got := call(t, base, "GET", tt.path, "", nil, "Authorization", "Bearer "+appJWT(t, widgetApp, now()))
			got.expect(t, tt.want, "")
			if tt.want != 200 {
				return
			}
			inst := got.json(t)
			if inst["id"] != float64(tt.id) || inst["app_id"] != float64(widgetApp) || inst["app_slug"] != "widgetbot" ||
				inst["target_type"] != tt.target || inst["suspended_at"] != nil ||
				!strings.HasSuffix(inst["access_tokens_url"].(string), "/app/installations/"+itoa(tt.id)+"/access_tokens") {
				t.Errorf("installation = %s", got.body)
			}
		})
	}
	t.Run("list", func(t *testing.T) {
		_, base, now, _ := startApps(t)
		var list []map[string]any
		got := call(t, base, "GET", "/app/installations", "", nil, "Authorization", "Bearer "+appJWT(t, widgetApp, now()))
		if err := json.Unmarshal(got.body, &list); err != nil || len(list) != 2 || list[0]["id"] != float64(acmeInstall) {
			t.Errorf("installations = %s", got.body)
		}
	})
}

// TestInstallationLifecycle: suspending an installation blocks the App
// from it: a new token is 403 "This installation has been suspended"
// (octokit/octokit.rb#1307), as is one it had
// (https://docs.github.com/en/apps/maintaining-github-apps/suspending-a-github-app-installation);
// the installation shows suspended_at. Deleting it revokes its tokens and
// makes it 404. Rotating the App's key leaves JWTs signed with the old key
// undecodable, tokens issued already keep working.
func TestInstallationLifecycle(t *testing.T) {
	s, base, now, _ := startApps(t)
	mint := func() exchange {
		return call(t, base, "POST", "/app/installations/100/access_tokens", "", nil, "Authorization", "Bearer "+appJWT(t, widgetApp, now()))
	}
	token := installationToken(t, s, acmeInstall)

	if err := s.SuspendInstallation(acmeInstall); err != nil {
		t.Fatal(err)
	}
	mint().expect(t, 403, "This installation has been suspended")
	call(t, base, "GET", "/repos/acme/secret", token, nil).expect(t, 403, "This installation has been suspended")
	inst := call(t, base, "GET", "/orgs/acme/installation", "", nil, "Authorization", "Bearer "+appJWT(t, widgetApp, now())).json(t)
	if inst["suspended_at"] != epoch.Format(time.RFC3339) || inst["suspended_by"].(map[string]any)["login"] != "acme" {
		t.Errorf("suspended installation = %v", inst)
	}
	if err := s.UnsuspendInstallation(acmeInstall); err != nil {
		t.Fatal(err)
	}
	call(t, base, "GET", "/repos/acme/secret", token, nil).expect(t, 200, "")

	// The App suspends and unsuspends through the API too.
	jwtHeader := []string{"Authorization", "Bearer " + appJWT(t, widgetApp, now())}
	call(t, base, "PUT", "/app/installations/100/suspended", "", nil, jwtHeader...).expect(t, 204, "")
	mint().expect(t, 403, "This installation has been suspended")
	call(t, base, "DELETE", "/app/installations/100/suspended", "", nil, jwtHeader...).expect(t, 204, "")
	mint().expect(t, 201, "")

	// Key rotation.
	oldJWT := appJWT(t, widgetApp, now())
	if err := s.SetAppKey(widgetApp, appKeys()[1].public); err != nil {
		t.Fatal(err)
	}
	call(t, base, "GET", "/app", "", nil, "Authorization", "Bearer "+oldJWT).expect(t, 401, "A JSON web token could not be decoded")
	newJWT, err := fake.AppJWT(appKeys()[1].private, widgetApp, now().Add(-time.Minute), now().Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	call(t, base, "GET", "/app", "", nil, "Authorization", "Bearer "+newJWT).expect(t, 200, "")
	call(t, base, "GET", "/repos/acme/secret", token, nil).expect(t, 200, "")
	if err := s.SetAppKey(99, appKeys()[1].public); err == nil {
		t.Error("SetAppKey of an unknown App succeeded")
	}

	// Uninstalling.
	if err := s.DeleteInstallation(acmeInstall); err != nil {
		t.Fatal(err)
	}
	call(t, base, "GET", "/repos/acme/secret", token, nil).expect(t, 401, "Bad credentials")
	call(t, base, "POST", "/app/installations/100/access_tokens", "", nil, "Authorization", "Bearer "+newJWT).expect(t, 404, "Not Found")
	call(t, base, "GET", "/orgs/acme/installation", "", nil, "Authorization", "Bearer "+newJWT).expect(t, 404, "Not Found")
	for _, err := range []error{s.DeleteInstallation(acmeInstall), s.SuspendInstallation(acmeInstall)} {
		if err == nil {
			t.Error("changing a deleted installation succeeded")
		}
	}
	// The App uninstalls itself through the API.
	call(t, base, "DELETE", "/app/installations/101", "", nil, "Authorization", "Bearer "+newJWT).expect(t, 204, "")
	call(t, base, "GET", "/app/installations/101", "", nil, "Authorization", "Bearer "+newJWT).expect(t, 404, "Not Found")

	// Reset brings it all back, and drops the tokens issued.
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	call(t, base, "GET", "/repos/acme/secret", token, nil).expect(t, 401, "Bad credentials")
	mint().expect(t, 201, "")
}

// TestInstallationRateLimit: "Primary rate limits for GitHub App
// installation access tokens" are the installation's, not a token's
// (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#primary-rate-limit-for-github-app-installations):
// two tokens of one installation share its budget, another installation
// has its own, and the refusal names the installation.
func TestInstallationRateLimit(t *testing.T) {
	s, base, _, _ := startApps(t)
	first, second := installationToken(t, s, acmeInstall), installationToken(t, s, acmeInstall)
	other := installationToken(t, s, readInstall)
	s.SetRateLimit(first, fake.RateLimit{Remaining: 2})
	call(t, base, "GET", "/repos/acme/secret", first, nil).expect(t, 200, "")
	got := call(t, base, "GET", "/repos/acme/secret", second, nil)
	got.expect(t, 200, "")
	if rem := got.resp.Header.Get("X-RateLimit-Remaining"); rem != "0" {
		t.Errorf("X-RateLimit-Remaining = %s, want 0: the two tokens share one budget", rem)
	}
	got = call(t, base, "GET", "/repos/acme/secret", first, nil)
	got.expect(t, 403, "")
	if msg := got.json(t)["message"].(string); !strings.HasPrefix(msg, "API rate limit exceeded for installation ID 100.") {
		t.Errorf("message = %q", msg)
	}
	call(t, base, "GET", "/repos/acme/hidden", other, nil).expect(t, 200, "")
	if rl := s.RateLimit(second); rl.Remaining != 0 {
		t.Errorf("RateLimit(second token) = %+v", rl)
	}
	if rl := s.RateLimit(other); rl.Remaining != rl.Limit-1 {
		t.Errorf("RateLimit(other installation) = %+v", rl)
	}
}

// TestLoadConfigApps: Apps come from JSON with their public key as PEM;
// seeding checks them.
func TestLoadConfigApps(t *testing.T) {
	pub := jsonString(string(appKeys()[0].public))
	cfg, err := fake.LoadConfig([]byte(`{"orgs": [{"login": "acme"}], "apps": [{"id": 7, "slug": "bot", "public_key": ` + pub + `,
		"installations": [{"id": 70, "account": "acme", "repository_selection": "selected", "repositories": ["acme/a"],
			"permissions": {"administration": "write"}, "suspended": true}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Apps) != 1 || cfg.Apps[0].Installations[0].Permissions["administration"] != "write" || !cfg.Apps[0].Installations[0].Suspended {
		t.Errorf("apps = %+v", cfg.Apps)
	}
	if _, err := fake.New(fake.WithConfig(cfg)); err != nil {
		t.Errorf("seed: %v", err)
	}
	bad := map[string]fake.App{
		"no slug":            {ID: 1},
		"bad key":            {ID: 1, Slug: "b", PublicKey: "not a key"},
		"unknown account":    {ID: 1, Slug: "b", Installations: []fake.Installation{{ID: 2, Account: "nobody"}}},
		"bad selection":      {ID: 1, Slug: "b", Installations: []fake.Installation{{ID: 2, Account: "acme", RepositorySelection: "some"}}},
		"bad level":          {ID: 1, Slug: "b", Installations: []fake.Installation{{ID: 2, Account: "acme", Permissions: map[string]string{"contents": "rw"}}}},
		"installation twice": {ID: 1, Slug: "b", Installations: []fake.Installation{{ID: 2, Account: "acme"}, {ID: 3, Account: "acme"}}},
		"id taken":           {ID: 1, Slug: "b", Installations: []fake.Installation{{ID: 2, Account: "acme"}, {ID: 2, Account: "octocat"}}},
	}
	for name, a := range bad {
		t.Run(name, func(t *testing.T) {
			cfg := fake.Config{Users: []fake.User{{Login: "octocat"}}, Orgs: []fake.Org{{Login: "acme"}}, Apps: []fake.App{a}}
			if _, err := fake.New(fake.WithConfig(cfg)); err == nil {
				t.Error("seeded")
			}
		})
	}
}

// TestAdminAppEndpoints: the binary's admin routes for Apps.
func TestAdminAppEndpoints(t *testing.T) {
	_, base, now, _ := startApps(t)
	got := call(t, base, "POST", "/_fake/installations/100/token", "", nil)
	got.expect(t, 201, "")
	token := got.json(t)["token"].(string)
	call(t, base, "GET", "/repos/acme/secret", token, nil).expect(t, 200, "")
	call(t, base, "PUT", "/_fake/installations/100/suspended", "", nil).expect(t, 204, "")
	call(t, base, "GET", "/repos/acme/secret", token, nil).expect(t, 403, "This installation has been suspended")
	call(t, base, "DELETE", "/_fake/installations/100/suspended", "", nil).expect(t, 204, "")
	call(t, base, "GET", "/repos/acme/secret", token, nil).expect(t, 200, "")
	call(t, base, "PUT", "/_fake/apps/42/key", "", map[string]string{"public_key": string(appKeys()[1].public)}).expect(t, 204, "")
	call(t, base, "GET", "/app", "", nil, "Authorization", "Bearer "+appJWT(t, widgetApp, now())).expect(t, 401, "A JSON web token could not be decoded")
	call(t, base, "PUT", "/_fake/apps/99/key", "", map[string]string{"public_key": string(appKeys()[1].public)}).expect(t, 404, "")
	call(t, base, "PUT", "/_fake/apps/42/key", "", map[string]string{"public_key": "nope"}).expect(t, 400, "")
	call(t, base, "DELETE", "/_fake/installations/100", "", nil).expect(t, 204, "")
	call(t, base, "GET", "/repos/acme/secret", token, nil).expect(t, 401, "Bad credentials")
	call(t, base, "POST", "/_fake/installations/100/token", "", nil).expect(t, 404, "")
	call(t, base, "PUT", "/_fake/token-sso", devToken, map[string]any{"orgs": []string{"acme"}}).expect(t, 204, "")
}
