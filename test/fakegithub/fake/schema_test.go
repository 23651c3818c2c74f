package fake_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/reference"
)

// loadSpec loads the description once per test: the shared subset of the
// repository endpoints, and test/reference/github's subset of the settings
// endpoints merged into it. GitHub's own examples in it don't all satisfy
// its schemas (full-repository's lacks has_discussions), so examples aren't
// validated.
func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(filepath.Join(sharedDir(t), "openapi-repos-subset.json"))
	if err != nil {
		t.Fatalf("load OpenAPI description: %v", err)
	}
	settings, err := loader.LoadFromFile(filepath.Join(reference.RepoRoot(), "test", "reference", "github", "openapi-settings-subset.json"))
	if err != nil {
		t.Fatalf("load OpenAPI description of the settings endpoints: %v", err)
	}
	mergeSpec(doc, settings)
	if err := doc.Validate(loader.Context, openapi3.DisableExamplesValidation()); err != nil {
		t.Fatalf("OpenAPI description invalid: %v", err)
	}
	return doc
}

// mergeSpec adds the paths and components of more that doc lacks.
func mergeSpec(doc, more *openapi3.T) {
	for path, item := range more.Paths.Map() {
		if doc.Paths.Value(path) == nil {
			doc.Paths.Set(path, item)
		}
	}
	for name, v := range more.Components.Schemas {
		if _, ok := doc.Components.Schemas[name]; !ok {
			doc.Components.Schemas[name] = v
		}
	}
	for name, v := range more.Components.Parameters {
		if _, ok := doc.Components.Parameters[name]; !ok {
			doc.Components.Parameters[name] = v
		}
	}
	for name, v := range more.Components.Responses {
		if _, ok := doc.Components.Responses[name]; !ok {
			doc.Components.Responses[name] = v
		}
	}
	for name, v := range more.Components.Examples {
		if _, ok := doc.Components.Examples[name]; !ok {
			doc.Components.Examples[name] = v
		}
	}
}

// TestSchemaConformance sends requests for every operation of the OpenAPI
// description that the fake serves and validates each answer's status,
// headers and body against it. GitHub documents only the 201 of
// create-using-template; its refusals are checked in templates_test.go.
func TestSchemaConformance(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		want   int
	}{
		{"get user", "GET", "/user", octocatToken, nil, 200},
		{"get user bad token", "GET", "/user", "nope", nil, 401},
		{"rate limit", "GET", "/rate_limit", octocatToken, nil, 200},
		{"create for user", "POST", "/user/repos", octocatToken, map[string]any{"name": "new", "description": "d", "homepage": "https://example.com", "auto_init": true, "license_template": "mit"}, 201},
		{"create for user taken", "POST", "/user/repos", octocatToken, map[string]any{"name": "personal"}, 422},
		{"create for user no token", "POST", "/user/repos", "", map[string]any{"name": "x"}, 401},
		{"create in org", "POST", "/orgs/acme/repos", octocatToken, map[string]any{"name": "new", "visibility": "private", "has_wiki": false}, 201},
		{"create in org taken", "POST", "/orgs/acme/repos", octocatToken, map[string]any{"name": "Widgets"}, 422},
		{"create in org forbidden", "POST", "/orgs/locked/repos", devToken, map[string]any{"name": "x"}, 403},
		{"create in org with merge settings", "POST", "/orgs/acme/repos", octocatToken, map[string]any{"name": "new", "allow_merge_commit": false,
			"allow_auto_merge": true, "delete_branch_on_merge": true, "squash_merge_commit_title": "PR_TITLE", "squash_merge_commit_message": "BLANK", "is_template": true}, 201},
		{"create for user leaving no merge method", "POST", "/user/repos", octocatToken, map[string]any{"name": "new", "allow_merge_commit": false, "allow_squash_merge": false, "allow_rebase_merge": false}, 422},
		{"create in org unknown property", "POST", "/orgs/acme/repos", octocatToken, map[string]any{"name": "x", "custom_properties": map[string]any{"colour": "red"}}, 422},
		{"get repo", "GET", "/repos/acme/widgets", octocatToken, nil, 200},
		{"get private repo", "GET", "/repos/octocat/personal", octocatToken, nil, 200},
		{"get repo hidden", "GET", "/repos/octocat/personal", outsiderToken, nil, 404},
		{"get repo renamed", "GET", "/repos/acme/old-gadgets", octocatToken, nil, 301},
		{"update repo", "PATCH", "/repos/acme/widgets", octocatToken, map[string]any{"description": "x", "visibility": "private", "default_branch": "main"}, 200},
		{"update repo bad branch", "PATCH", "/repos/acme/widgets", octocatToken, map[string]any{"default_branch": "dev"}, 422},
		{"update repo archived", "PATCH", "/repos/acme/gadgets", octocatToken, map[string]any{"description": "x"}, 403},
		{"update repo missing", "PATCH", "/repos/acme/none", octocatToken, map[string]any{"description": "x"}, 404},
		{"update repo renamed", "PATCH", "/repos/acme/old-gadgets", octocatToken, map[string]any{"archived": false}, 307},
		{"update merge settings", "PATCH", "/repos/acme/widgets", octocatToken, map[string]any{"allow_rebase_merge": false, "allow_auto_merge": true,
			"allow_update_branch": true, "delete_branch_on_merge": true, "squash_merge_commit_title": "PR_TITLE", "squash_merge_commit_message": "PR_BODY",
			"merge_commit_title": "PR_TITLE", "merge_commit_message": "BLANK", "web_commit_signoff_required": true, "allow_forking": false, "is_template": true}, 200},
		{"update leaving no merge method", "PATCH", "/repos/acme/widgets", octocatToken, map[string]any{"allow_merge_commit": false, "allow_squash_merge": false, "allow_rebase_merge": false}, 422},
		{"update merge message without title", "PATCH", "/repos/acme/widgets", octocatToken, map[string]any{"merge_commit_message": "PR_BODY"}, 422},
		{"update squash title outside the enum", "PATCH", "/repos/acme/widgets", octocatToken, map[string]any{"squash_merge_commit_title": "x", "squash_merge_commit_message": "BLANK"}, 422},
		{"update forking of a user's private repo", "PATCH", "/repos/octocat/personal", octocatToken, map[string]any{"allow_forking": false}, 422},
		{"update forking where the org forbids it", "PATCH", "/repos/acme/secret", octocatToken, map[string]any{"allow_forking": false}, 422},
		{"delete repo", "DELETE", "/repos/acme/widgets", octocatToken, nil, 204},
		{"delete repo not admin", "DELETE", "/repos/acme/widgets", devToken, nil, 403},
		{"delete repo missing", "DELETE", "/repos/acme/none", octocatToken, nil, 404},
		{"delete repo renamed", "DELETE", "/repos/acme/old-gadgets", octocatToken, nil, 307},
		{"get topics", "GET", "/repos/acme/widgets/topics", octocatToken, nil, 200},
		{"get topics missing", "GET", "/repos/acme/none/topics", octocatToken, nil, 404},
		{"replace topics", "PUT", "/repos/acme/widgets/topics", octocatToken, map[string]any{"names": []string{"go", "k8s"}}, 200},
		{"replace topics invalid", "PUT", "/repos/acme/widgets/topics", octocatToken, map[string]any{"names": []string{"Go"}}, 422},
		{"replace topics missing", "PUT", "/repos/acme/none/topics", octocatToken, map[string]any{"names": []string{}}, 404},
		// Custom properties (see addProperties), https://docs.github.com/rest/orgs/custom-properties
		// and https://docs.github.com/rest/repos/custom-properties.
		{"list properties", "GET", "/orgs/acme/properties/schema", devToken, nil, 200},
		{"list properties outsider", "GET", "/orgs/acme/properties/schema", outsiderToken, nil, 404},
		{"get property", "GET", "/orgs/acme/properties/schema/teams", devToken, nil, 200},
		{"get property missing", "GET", "/orgs/acme/properties/schema/nope", devToken, nil, 404},
		{"define property", "PUT", "/orgs/acme/properties/schema/region", octocatToken, map[string]any{"value_type": "single_select", "allowed_values": []string{"eu", "us"}}, 200},
		{"define property member", "PUT", "/orgs/acme/properties/schema/region", devToken, map[string]any{"value_type": "string"}, 403},
		{"get property values", "GET", "/repos/acme/widgets/properties/values", devToken, nil, 200},
		{"get property values hidden", "GET", "/repos/octocat/personal/properties/values", outsiderToken, nil, 404},
		{"set property values", "PATCH", "/repos/acme/widgets/properties/values", octocatToken, propertyValues("env", "prod", "teams", []string{"b", "a"}), 204},
		{"unset property value", "PATCH", "/repos/acme/widgets/properties/values", octocatToken, propertyValues("env", nil), 204},
		{"set property values unknown", "PATCH", "/repos/acme/widgets/properties/values", octocatToken, propertyValues("colour", "red"), 422},
		{"set property values not allowed", "PATCH", "/repos/acme/widgets/properties/values", octocatToken, propertyValues("env", "staging"), 422},
		{"set property values wrong shape", "PATCH", "/repos/acme/widgets/properties/values", octocatToken, propertyValues("teams", "a"), 422},
		{"set property values number", "PATCH", "/repos/acme/widgets/properties/values", octocatToken, propertyValues("env", 3), 422},
		{"set property values none", "PATCH", "/repos/acme/widgets/properties/values", octocatToken, map[string]any{}, 422},
		{"set property values member", "PATCH", "/repos/acme/widgets/properties/values", devToken, propertyValues("env", "dev"), 403},
		{"set property values archived", "PATCH", "/repos/acme/gadgets/properties/values", octocatToken, propertyValues("env", "dev"), 403},
		{"set property values missing", "PATCH", "/repos/acme/none/properties/values", octocatToken, propertyValues("env", "dev"), 404},
		{"create in org with properties", "POST", "/orgs/acme/repos", octocatToken, map[string]any{"name": "new", "custom_properties": map[string]any{"env": "dev", "teams": []string{"a"}}}, 201},
		{"create in org property not allowed", "POST", "/orgs/acme/repos", octocatToken, map[string]any{"name": "new", "custom_properties": map[string]any{"env": "staging"}}, 422},
		{"generate in org", "POST", "/repos/acme/starter-kit/generate", octocatToken, map[string]any{"owner": "acme", "name": "new", "description": "d", "private": true}, 201},
		{"generate for user", "POST", "/repos/acme/starter-kit/generate", octocatToken, map[string]any{"name": "new", "include_all_branches": true}, 201},
		{"generate from renamed template", "POST", "/repos/acme/starter/generate", octocatToken, map[string]any{"owner": "acme", "name": "new"}, 307},
		// Security and analysis; see security_test.go for the answers that
		// need a repository in another state first.
		{"update repo security", "PATCH", "/repos/acme/widgets", octocatToken, map[string]any{"security_and_analysis": map[string]any{
			"secret_scanning": map[string]string{"status": "enabled"}, "secret_scanning_push_protection": map[string]string{"status": "enabled"}}}, 200},
		{"update repo advanced security public", "PATCH", "/repos/acme/widgets", octocatToken, map[string]any{"security_and_analysis": map[string]any{
			"advanced_security": map[string]string{"status": "enabled"}}}, 422},
		{"update repo secret scanning unlicensed", "PATCH", "/repos/octocat/personal", octocatToken, map[string]any{"security_and_analysis": map[string]any{
			"secret_scanning": map[string]string{"status": "enabled"}}}, 422},
		{"check vulnerability alerts off", "GET", "/repos/acme/widgets/vulnerability-alerts", octocatToken, nil, 404},
		{"enable vulnerability alerts", "PUT", "/repos/acme/widgets/vulnerability-alerts", octocatToken, nil, 204},
		{"disable vulnerability alerts", "DELETE", "/repos/acme/widgets/vulnerability-alerts", octocatToken, nil, 204},
		{"check security updates alerts off", "GET", "/repos/acme/widgets/automated-security-fixes", octocatToken, nil, 404},
		{"disable security updates", "DELETE", "/repos/acme/widgets/automated-security-fixes", octocatToken, nil, 204},
	}
	doc := loadSpec(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, _ := start(t, fake.WithConfig(mergeConfig()))
			addArchivedRenamed(t, s)
			addProperties(t, base)
			addTemplate(t, s)
			if _, err := s.EditRepo("acme", "starter", func(r *fake.Repo) error { r.Name = "starter-kit"; return nil }); err != nil {
				t.Fatal(err)
			}
			// The description names no server; route requests to this fake.
			doc.Servers = openapi3.Servers{{URL: strings.TrimSuffix(base, "/")}}
			router, err := gorillamux.NewRouter(doc)
			if err != nil {
				t.Fatalf("router: %v", err)
			}
			got := call(t, base, tt.method, tt.path, tt.token, tt.body)
			if got.resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d: %s", got.resp.StatusCode, tt.want, got.body)
			}
			validate(t, doc, router, got)
		})
	}
}

// addProperties defines two optional custom properties in acme, as its
// owner would: env, a single_select of dev and prod, and teams, a
// multi_select of a and b.
func addProperties(t *testing.T, base string) {
	t.Helper()
	for name, def := range map[string]map[string]any{
		"env":   {"value_type": "single_select", "allowed_values": []string{"dev", "prod"}},
		"teams": {"value_type": "multi_select", "allowed_values": []string{"a", "b"}},
	} {
		call(t, base, "PUT", "/orgs/acme/properties/schema/"+name, octocatToken, def).expect(t, 200, "")
	}
}

// propertyValues is the body of PATCH .../properties/values: name, value
// pairs.
func propertyValues(pairs ...any) map[string]any {
	var props []map[string]any
	for i := 0; i+1 < len(pairs); i += 2 {
		props = append(props, map[string]any{"property_name": pairs[i], "value": pairs[i+1]})
	}
	return map[string]any{"properties": props}
}

// validate checks one exchange against the description. kin-openapi skips
// redirects, so their bodies are checked against basic-error directly.
func validate(t *testing.T, doc *openapi3.T, router routers.Router, got exchange) {
	t.Helper()
	route, params, err := router.FindRoute(got.resp.Request)
	if err != nil {
		t.Fatalf("no operation in the description for %s %s: %v", got.resp.Request.Method, got.resp.Request.URL.Path, err)
	}
	if got.resp.StatusCode == http.StatusMovedPermanently || got.resp.StatusCode == http.StatusTemporaryRedirect {
		var v any = got.json(t)
		if err := doc.Components.Schemas["basic-error"].Value.VisitJSON(v); err != nil {
			t.Errorf("redirect body: %v", err)
		}
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: got.resp.Request, PathParams: params, Route: route,
		},
		Status:  got.resp.StatusCode,
		Header:  got.resp.Header,
		Body:    io.NopCloser(bytes.NewReader(got.body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s -> %d does not conform: %v", route.Method, route.Path, got.resp.StatusCode, err)
	}
}

// TestSchemaOfUndescribedOperations checks operations the description
// leaves out against the schemas GitHub documents for them elsewhere.
func TestSchemaOfUndescribedOperations(t *testing.T) {
	doc := loadSpec(t)
	tests := []struct {
		path   string
		schema string
	}{
		{"/users/octocat", "public-user"},
		{"/users/acme", "public-user"},
		{"/repositories/1001", "full-repository"},
		{"/api/v3/repos/acme/widgets", "full-repository"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			_, base, _ := start(t)
			got := call(t, base, "GET", tt.path, octocatToken, nil)
			if got.resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d: %s", got.resp.StatusCode, got.body)
			}
			var v any = got.json(t)
			if err := doc.Components.Schemas[tt.schema].Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
				t.Errorf("body is not a %s: %v", tt.schema, err)
			}
		})
	}
}
