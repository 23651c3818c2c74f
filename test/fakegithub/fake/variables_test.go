package fake_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-github/v62/github"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

// TestVariables follows the repository variables of
// https://docs.github.com/en/rest/actions/variables: collaborators create
// (201), read, update (204) and delete (204) them; names are stored in
// upper case, and follow the naming conventions of
// https://docs.github.com/en/actions/learn-github-actions/variables#naming-conventions-for-configuration-variables.
// Creating one that exists is 409 (gh relies on that:
// https://github.com/cli/cli/pull/6928). acme/widgets has CLAIM; acme/gadgets
// is archived.
func TestVariables(t *testing.T) {
	tests := []struct {
		name, method, path, token string
		body                      any
		want                      int
		message                   string
		after                     string // GET .../actions/variables/claim of acme/widgets, "-" for 404
	}{
		{"get", "GET", "/repos/acme/widgets/actions/variables/claim", devToken, nil, 200, "", "v1"},
		{"get missing", "GET", "/repos/acme/widgets/actions/variables/other", octocatToken, nil, 404, "Not Found", "v1"},
		{"get, outsider", "GET", "/repos/acme/widgets/actions/variables/claim", outsiderToken, nil, 403, "", "v1"},
		{"create", "POST", "/repos/acme/widgets/actions/variables", devToken, map[string]any{"name": "other", "value": "x"}, 201, "", "v1"},
		{"create existing", "POST", "/repos/acme/widgets/actions/variables", octocatToken, map[string]any{"name": "Claim", "value": "x"}, 409, "", "v1"},
		{"create without value", "POST", "/repos/acme/widgets/actions/variables", octocatToken, map[string]any{"name": "x"}, 422, "Invalid request.\n\n\"value\" wasn't supplied.", "v1"},
		{"create, bad name", "POST", "/repos/acme/widgets/actions/variables", octocatToken, map[string]any{"name": "1x", "value": "x"}, 422, "", "v1"},
		{"create, reserved prefix", "POST", "/repos/acme/widgets/actions/variables", octocatToken, map[string]any{"name": "github_x", "value": "x"}, 422, "", "v1"},
		{"create, outsider", "POST", "/repos/acme/widgets/actions/variables", outsiderToken, map[string]any{"name": "x", "value": "x"}, 403, "", "v1"},
		{"update", "PATCH", "/repos/acme/widgets/actions/variables/claim", octocatToken, map[string]any{"value": "v2"}, 204, "", "v2"},
		{"update by id", "PATCH", "/repositories/1001/actions/variables/CLAIM", octocatToken, map[string]any{"value": "v2"}, 204, "", "v2"},
		{"rename", "PATCH", "/repos/acme/widgets/actions/variables/claim", octocatToken, map[string]any{"name": "owner"}, 204, "", "-"},
		{"update missing", "PATCH", "/repos/acme/widgets/actions/variables/other", octocatToken, map[string]any{"value": "v2"}, 404, "Not Found", "v1"},
		{"delete", "DELETE", "/repos/acme/widgets/actions/variables/claim", octocatToken, nil, 204, "", "-"},
		{"delete missing", "DELETE", "/repos/acme/widgets/actions/variables/other", octocatToken, nil, 404, "Not Found", "v1"},
		{"archived", "POST", "/repos/acme/gadgets/actions/variables", octocatToken, map[string]any{"name": "x", "value": "x"}, 403, "Repository was archived so is read-only.", "v1"},
		{"private, outsider", "GET", "/repos/octocat/personal/actions/variables/claim", outsiderToken, nil, 404, "Not Found", "v1"},
		{"renamed repository", "GET", "/repos/acme/old-gadgets/actions/variables/claim", octocatToken, nil, 301, "Moved Permanently", "v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, _ := start(t)
			addArchivedRenamed(t, s)
			if _, err := s.EditRepo("acme", "widgets", func(r *fake.Repo) error {
				r.Variables = []fake.Variable{{Name: "CLAIM", Value: "v1"}}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			got := call(t, base, tt.method, tt.path, tt.token, tt.body)
			got.expect(t, tt.want, tt.message)
			value := "-"
			if after := call(t, base, "GET", "/repos/acme/widgets/actions/variables/claim", octocatToken, nil); after.resp.StatusCode == 200 {
				v := after.json(t)
				if value = v["value"].(string); v["name"] != "CLAIM" {
					t.Errorf("name = %v, want CLAIM", v["name"])
				}
			}
			if value != tt.after {
				t.Errorf("CLAIM afterwards = %s, want %s", value, tt.after)
			}
		})
	}
}

// TestGoGitHubVariables: go-github's repository variable calls work on a
// repository a user owns, where the operator keeps its claim.
func TestGoGitHubVariables(t *testing.T) {
	ctx := context.Background()
	s, base, _ := start(t)
	c := client(t, base, octocatToken).Actions
	if _, err := c.CreateRepoVariable(ctx, "octocat", "personal", &github.ActionsVariable{Name: "hookops_claim", Value: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateRepoVariable(ctx, "octocat", "personal", &github.ActionsVariable{Name: "HOOKOPS_CLAIM", Value: "b"}); err != nil {
		t.Fatal(err)
	}
	v, _, err := c.GetRepoVariable(ctx, "octocat", "personal", "hookops_claim")
	if err != nil || v.Name != "HOOKOPS_CLAIM" || v.Value != "b" || v.CreatedAt == nil {
		t.Fatalf("variable = %+v, %v", v, err)
	}
	if r, _ := s.Repo("octocat", "personal"); len(r.Variables) != 1 {
		t.Errorf("stored = %+v", r.Variables)
	}
	if _, err := c.DeleteRepoVariable(ctx, "octocat", "personal", "HOOKOPS_CLAIM"); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.GetRepoVariable(ctx, "octocat", "personal", "HOOKOPS_CLAIM")
	errorResponse(t, err, http.StatusNotFound)
}
