package budget

import "testing"

// Creating a repository, by POST /orgs/{org}/repos, POST /user/repos or
// generating it from a template, is a create; every other write an update.
func TestKindOf(t *testing.T) {
	tests := []struct {
		method, path string
		want         Kind
	}{
		{"GET", "/api/v3/repos/acme/widgets", Read},
		{"HEAD", "/repos/acme/widgets", Read},
		{"POST", "/api/v3/orgs/acme/repos", Create},
		{"POST", "/user/repos", Create},
		{"POST", "/repos/acme/starter/generate", Create},
		{"POST", "/api/v3/repositories/1001/generate", Create},
		{"PATCH", "/repos/acme/widgets", Update},
		{"POST", "/repos/acme/widgets/branches/main/rename", Update},
		{"POST", "/repos/acme/generate/actions/variables", Update},
	}
	for _, tt := range tests {
		if got := KindOf(tt.method, tt.path); got != tt.want {
			t.Errorf("KindOf(%s %s) = %v, want %v", tt.method, tt.path, got, tt.want)
		}
	}
}
