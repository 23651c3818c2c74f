package ghwebhook

import (
	"reflect"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// ghr is a GitHubRepo as the informer hands it over; status fields are
// left out when empty.
func ghr(ns, name, owner, specName, host string, repoID int64, nodeID string) *unstructured.Unstructured {
	spec := map[string]any{"owner": owner, "credentialsSecretRef": map[string]any{"name": "gh-token"}}
	if specName != "" {
		spec["name"] = specName
	}
	status := map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "True"}}}
	if host != "" {
		status["host"] = host
	}
	if repoID != 0 {
		status["repoID"] = repoID
	}
	if nodeID != "" {
		status["nodeID"] = nodeID
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "github.hookops.dev/v1", "kind": "GitHubRepo",
		"metadata": map[string]any{"namespace": ns, "name": name, "uid": ns + "-" + name, "resourceVersion": "7",
			"managedFields": []any{map[string]any{"manager": "kubectl"}}},
		"spec":   spec,
		"status": status,
	}}
}

func newTestIndex(t *testing.T, objs ...*unstructured.Unstructured) index {
	t.Helper()
	store := cache.NewIndexer(cache.MetaNamespaceKeyFunc, indexers())
	for _, o := range objs {
		slimmed, err := slim(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Add(slimmed); err != nil {
			t.Fatal(err)
		}
	}
	return index{store: store}
}

func names(ts []target) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Namespace+"/"+t.Name+" by "+t.By)
	}
	return out
}

func TestIndexMatch(t *testing.T) {
	const node = "R_kgDOAAAD6Q"
	x := newTestIndex(t,
		// Bound to repository 1001 on github.com.
		ghr("team-a", "widgets", "acme", "", "api.github.com", 1001, node),
		// Repository id 1001 again, on a GitHub Enterprise Server: ids are
		// unique per GitHub only.
		ghr("team-b", "ghe-widgets", "acme", "widgets", "ghe.example.com", 1001, "R_other"),
		// Bound on github.com, recorded before node ids were kept.
		ghr("team-a", "legacy", "acme", "", "api.github.com", 1002, ""),
		// Waiting: not bound yet, asks for acme/Gadgets (spec.name) ...
		ghr("team-c", "gadgets-wanted", "Acme", "Gadgets", "", 0, ""),
		// ... and for acme/tools (metadata.name).
		ghr("team-c", "tools", "acme", "", "", 0, ""),
	)
	tests := []struct {
		name           string
		repo           repository
		action         string
		want, mismatch []string
	}{
		{"by host and id", repository{host: "api.github.com", id: 1001, nodeID: node, fullName: "acme/widgets"}, "edited",
			[]string{"team-a/widgets by repository"}, nil},
		{"same id on another host", repository{host: "ghe.example.com", id: 1001, nodeID: "R_other", fullName: "acme/widgets"}, "archived",
			[]string{"team-b/ghe-widgets by repository"}, nil},
		{"host compared case-insensitively", repository{host: "API.GitHub.com", id: 1001, nodeID: node}, "edited",
			[]string{"team-a/widgets by repository"}, nil},
		{"id on an unknown host", repository{host: "127.0.0.1:8090", id: 1001, fullName: "acme/nothing"}, "edited", nil, nil},
		{"node id differs: left alone", repository{host: "api.github.com", id: 1001, nodeID: "R_reused", fullName: "acme/widgets"}, "deleted",
			nil, []string{"team-a/widgets by repository"}},
		{"no node id recorded", repository{host: "api.github.com", id: 1002, nodeID: "R_any", fullName: "acme/legacy"}, "renamed",
			[]string{"team-a/legacy by repository"}, nil},
		{"no node id in the event", repository{host: "api.github.com", id: 1001, fullName: "acme/widgets"}, "edited",
			[]string{"team-a/widgets by repository"}, nil},
		{"created: by name, case-insensitively", repository{host: "api.github.com", id: 2000, fullName: "ACME/gadgets"}, "created",
			[]string{"team-c/gadgets-wanted by name"}, nil},
		{"created: metadata.name is the default name", repository{host: "api.github.com", id: 2001, fullName: "acme/tools"}, "created",
			[]string{"team-c/tools by name"}, nil},
		{"no id matched: by name as a fallback", repository{host: "api.github.com", id: 3000, fullName: "acme/tools"}, "deleted",
			[]string{"team-c/tools by name"}, nil},
		{"an id matched: no name fallback", repository{host: "api.github.com", id: 1002, fullName: "acme/tools"}, "renamed",
			[]string{"team-a/legacy by repository"}, nil},
		{"created and bound: both", repository{host: "api.github.com", id: 1001, nodeID: node, fullName: "acme/tools"}, "created",
			[]string{"team-a/widgets by repository", "team-c/tools by name"}, nil},
		{"bound GitHubRepos are not found by name", repository{host: "api.github.com", id: 4000, fullName: "acme/widgets"}, "created", nil, nil},
		{"no host (no repository.url): by name only", repository{id: 1001, fullName: "acme/tools"}, "edited",
			[]string{"team-c/tools by name"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, mismatched, err := x.match(tt.repo, tt.action)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(names(got), tt.want) || !slices.Equal(names(mismatched), tt.mismatch) {
				t.Errorf("match = %q, mismatched %q; want %q, %q", names(got), names(mismatched), tt.want, tt.mismatch)
			}
		})
	}
}

func TestMatchCarriesUID(t *testing.T) {
	x := newTestIndex(t, ghr("team-a", "widgets", "acme", "", "api.github.com", 1001, ""))
	got, _, err := x.match(repository{host: "api.github.com", id: 1001}, "edited")
	if err != nil || len(got) != 1 || got[0].UID != types.UID("team-a-widgets") {
		t.Fatalf("match = %+v, %v; want the GitHubRepo with its uid", got, err)
	}
}

func TestAPIHost(t *testing.T) {
	tests := map[string]string{
		"https://api.github.com/repos/acme/widgets":         "api.github.com",
		"https://ghe.example.com/api/v3/repos/acme/widgets": "ghe.example.com",
		"http://127.0.0.1:8090/repos/acme/widgets":          "127.0.0.1:8090",
		"https://GHE.example.com:8443/api/v3/repos/a/b":     "ghe.example.com:8443",
		"":          "",
		"not a url": "",
		"://bad":    "",
	}
	for in, want := range tests {
		if got := apiHost(in); got != want {
			t.Errorf("apiHost(%q) = %q, want %q", in, got, want)
		}
	}
}

// slim keeps what the index and the patch need, and nothing of what makes
// a GitHubRepo large.
func TestSlim(t *testing.T) {
	in := ghr("team-a", "widgets", "acme", "w", "api.github.com", 1001, "R_x")
	out, err := slim(in)
	if err != nil {
		t.Fatal(err)
	}
	u := out.(*unstructured.Unstructured)
	want := map[string]any{
		"apiVersion": "github.hookops.dev/v1", "kind": "GitHubRepo",
		"metadata": map[string]any{"namespace": "team-a", "name": "widgets", "uid": "team-a-widgets", "resourceVersion": "7"},
		"spec":     map[string]any{"owner": "acme", "name": "w"},
		"status":   map[string]any{"host": "api.github.com", "repoID": int64(1001), "nodeID": "R_x"},
	}
	if !reflect.DeepEqual(u.Object, want) {
		t.Errorf("slim = %v, want %v", u.Object, want)
	}
	tomb := cache.DeletedFinalStateUnknown{Key: "team-a/widgets", Obj: u}
	if got, err := slim(tomb); err != nil || got != any(tomb) {
		t.Errorf("slim(tombstone) = %v, %v; want it unchanged", got, err)
	}
}
