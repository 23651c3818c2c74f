package fake_test

import (
	"context"
	"slices"
	"testing"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

// TestRenameBranch follows "Rename a branch"
// (https://docs.github.com/en/rest/branches/branches#rename-a-branch):
// POST with {"new_name"} answers 201 with the branch; push access renames
// a branch, the default branch needs admin and is followed by
// default_branch. An archived repository's branches are read-only
// (https://docs.github.com/en/repositories/archiving-a-github-repository/archiving-repositories).
func TestRenameBranch(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		token    string
		body     any
		want     int
		message  string
		branches []string // of acme/widgets afterwards
		dflt     string
	}{
		{"default, by an admin", "/repos/acme/widgets/branches/main/rename", octocatToken, map[string]any{"new_name": "trunk"}, 201, "", []string{"trunk", "dev"}, "trunk"},
		{"other, by a member", "/repos/acme/widgets/branches/dev/rename", devToken, map[string]any{"new_name": "next"}, 201, "", []string{"main", "next"}, "main"},
		{"by id", "/repositories/1001/branches/dev/rename", octocatToken, map[string]any{"new_name": "next"}, 201, "", []string{"main", "next"}, "main"},
		{"default, by a member", "/repos/acme/widgets/branches/main/rename", devToken, map[string]any{"new_name": "trunk"}, 403, "Must have admin rights to Repository.", []string{"main", "dev"}, "main"},
		{"by an outsider", "/repos/acme/widgets/branches/dev/rename", outsiderToken, map[string]any{"new_name": "x"}, 403, "", []string{"main", "dev"}, "main"},
		{"no such branch", "/repos/acme/widgets/branches/gone/rename", octocatToken, map[string]any{"new_name": "x"}, 404, "Branch not found", []string{"main", "dev"}, "main"},
		{"no new name", "/repos/acme/widgets/branches/dev/rename", octocatToken, map[string]any{}, 422, "Invalid request.\n\n\"new_name\" wasn't supplied.", []string{"main", "dev"}, "main"},
		{"onto another branch", "/repos/acme/widgets/branches/dev/rename", octocatToken, map[string]any{"new_name": "main"}, 422, "Validation Failed", []string{"main", "dev"}, "main"},
		{"archived", "/repos/acme/gadgets/branches/main/rename", octocatToken, map[string]any{"new_name": "x"}, 403, "Repository was archived so is read-only.", []string{"main", "dev"}, "main"},
		{"renamed repository", "/repos/acme/old-gadgets/branches/main/rename", octocatToken, map[string]any{"new_name": "x"}, 307, "Moved Permanently", []string{"main", "dev"}, "main"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, _ := start(t)
			addArchivedRenamed(t, s)
			if _, err := s.EditRepo("acme", "widgets", func(r *fake.Repo) error { r.Branches = []string{"main", "dev"}; return nil }); err != nil {
				t.Fatal(err)
			}
			got := call(t, base, "POST", tt.path, tt.token, tt.body)
			if got.resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d: %s", got.resp.StatusCode, tt.want, got.body)
			}
			body := got.json(t)
			if tt.message != "" && body["message"] != tt.message {
				t.Errorf("message = %q, want %q", body["message"], tt.message)
			}
			if tt.want == 201 {
				links, _ := body["_links"].(map[string]any)
				if body["name"] != tt.body.(map[string]any)["new_name"] || body["protected"] != false || links["self"] == nil || body["commit"].(map[string]any)["sha"] == "" {
					t.Errorf("body = %s", got.body)
				}
			}
			r, _ := s.Repo("acme", "widgets")
			if !slices.Equal(r.Branches, tt.branches) || r.DefaultBranch != tt.dflt {
				t.Errorf("branches %v, default %q; want %v, %q", r.Branches, r.DefaultBranch, tt.branches, tt.dflt)
			}
		})
	}
}

// TestGoGitHubRenameBranch: go-github decodes the answer as a Branch.
func TestGoGitHubRenameBranch(t *testing.T) {
	_, base, _ := start(t)
	b, _, err := client(t, base, octocatToken).Repositories.RenameBranch(context.Background(), "acme", "widgets", "main", "trunk")
	if err != nil || b.GetName() != "trunk" || b.GetCommit().GetSHA() == "" || b.GetProtected() {
		t.Fatalf("branch = %+v, %v", b, err)
	}
	r, _, err := client(t, base, octocatToken).Repositories.Get(context.Background(), "acme", "widgets")
	if err != nil || r.GetDefaultBranch() != "trunk" {
		t.Errorf("default branch = %q, %v", r.GetDefaultBranch(), err)
	}
}
