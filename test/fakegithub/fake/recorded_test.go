package fake_test

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

// recording is one exchange captured from api.github.com.
type recording struct {
	Method     string          `json:"method"`
	Path       string          `json:"path"`
	Body       json.RawMessage `json:"body"`
	Status     int             `json:"status"`
	Response   json.RawMessage `json:"response"`
	ReqHeaders map[string]any  `json:"reqheaders"`
	Headers    map[string]any  `json:"headers"`
}

func loadRecordings(t *testing.T, name string) []recording {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sharedDir(t), "recorded", name))
	if err != nil {
		t.Fatal(err)
	}
	var recs []recording
	if err := json.Unmarshal(data, &recs); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return recs
}

// fixtureConfig has the organization and repository the recordings used,
// with the same ids, and the recordings' placeholder token.
func fixtureConfig(repo fake.Repo) fake.Config {
	repo.ID = 1000
	return fake.Config{
		Tokens: map[string]string{"0000000000000000000000000000000000000001": "fixture-admin"},
		Orgs:   []fake.Org{{Login: "octokit-fixture-org", ID: 1000, Members: map[string]fake.Role{"fixture-admin": fake.RoleAdmin}}},
		Repos:  []fake.Repo{repo},
	}
}

// addedSinceRecording are keys GitHub's OpenAPI description now requires,
// or GitHub now shows (security_and_analysis, since 2020, to admins), that
// the recordings (2017) predate, and the default merge commit titles and
// messages GitHub added in August 2022
// (https://github.blog/changelog/2022-08-23-new-options-for-controlling-the-default-commit-message-when-merging-a-pull-request/).
var addedSinceRecording = []string{"has_discussions", "custom_properties", "security_and_analysis",
	"squash_merge_commit_title", "squash_merge_commit_message", "merge_commit_title", "merge_commit_message"}

// headersThatMatter are the recorded headers a client acts on.
var headersThatMatter = []string{
	"content-type", "etag", "last-modified", "location", "cache-control",
	"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-used", "x-ratelimit-resource",
}

// TestAgreesWithRecordings replays recorded GitHub exchanges against a fake
// seeded with the same data and compares statuses, redirect targets, the
// headers clients use, top-level body keys, and the values that identify
// the repository.
func TestAgreesWithRecordings(t *testing.T) {
	helloWorld := fake.NewRepo("octokit-fixture-org", "hello-world")
	helloWorld.Topics, helloWorld.DefaultBranch, helloWorld.Branches = []string{"fixtures", "hello", "hello-world"}, "master", []string{"master"}
	tests := []struct {
		file string
		repo fake.Repo
	}{
		{"get-repository.json", helloWorld},
		{"rename-repository.json", fake.NewRepo("octokit-fixture-org", "rename-repository")},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, base, _ := start(t, fake.WithConfig(fixtureConfig(tt.repo)))
			for i, rec := range loadRecordings(t, tt.file) {
				got := replay(t, base, rec)
				name := strings.ToUpper(rec.Method) + " " + rec.Path
				if got.resp.StatusCode != rec.Status {
					t.Fatalf("#%d %s: status = %d, recorded %d: %s", i, name, got.resp.StatusCode, rec.Status, got.body)
				}
				compareHeaders(t, name, base, rec, got)
				compareBodies(t, name, rec, got)
			}
		})
	}
}

func replay(t *testing.T, base string, rec recording) exchange {
	t.Helper()
	token := strings.TrimPrefix(rec.ReqHeaders["authorization"].(string), "token ")
	var body any
	if len(rec.Body) > 0 && string(rec.Body) != `""` {
		body = rec.Body
	}
	return call(t, base, strings.ToUpper(rec.Method), rec.Path, token, body)
}

func compareHeaders(t *testing.T, name, base string, rec recording, got exchange) {
	t.Helper()
	for _, h := range headersThatMatter {
		if _, recorded := rec.Headers[h]; recorded && got.resp.Header.Get(h) == "" {
			t.Errorf("%s: header %s missing", name, h)
		}
	}
	if loc, ok := rec.Headers["location"].(string); ok {
		want := strings.Replace(loc, "https://api.github.com", strings.TrimSuffix(base, "/"), 1)
		if got := got.resp.Header.Get("Location"); got != want {
			t.Errorf("%s: Location = %q, want %q", name, got, want)
		}
	}
}

func compareBodies(t *testing.T, name string, rec recording, got exchange) {
	t.Helper()
	var want map[string]any
	if err := json.Unmarshal(rec.Response, &want); err != nil {
		t.Fatalf("%s: recorded body: %v", name, err)
	}
	have := got.json(t)
	wantKeys := slices.Sorted(maps.Keys(want))
	haveKeys := slices.DeleteFunc(slices.Sorted(maps.Keys(have)), func(k string) bool {
		_, recorded := want[k]
		return !recorded && slices.Contains(addedSinceRecording, k)
	})
	if !slices.Equal(wantKeys, haveKeys) {
		t.Errorf("%s: keys differ\nrecorded: %v\nfake:     %v", name, wantKeys, haveKeys)
	}
	for _, k := range []string{"id", "name", "full_name", "private", "visibility", "description", "topics", "default_branch", "archived", "message"} {
		if w, ok := want[k]; ok && !jsonEqual(w, have[k]) {
			t.Errorf("%s: %s = %v, recorded %v", name, k, have[k], w)
		}
	}
	if owner, ok := want["owner"].(map[string]any); ok {
		if login := have["owner"].(map[string]any)["login"]; login != owner["login"] {
			t.Errorf("%s: owner.login = %v, recorded %v", name, login, owner["login"])
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestErrorShapeAgreesWithRecording: errors.json records a validation
// failure (for labels, which the fake doesn't serve); a repository
// validation failure must have the same shape.
func TestErrorShapeAgreesWithRecording(t *testing.T) {
	rec := loadRecordings(t, "errors.json")[0]
	var want struct {
		Errors []map[string]any `json:"errors"`
	}
	if err := json.Unmarshal(rec.Response, &want); err != nil {
		t.Fatal(err)
	}
	var wantTop map[string]any
	_ = json.Unmarshal(rec.Response, &wantTop)

	_, base, _ := start(t)
	got := call(t, base, "POST", "/orgs/acme/repos", octocatToken, map[string]any{"name": "widgets"})
	if got.resp.StatusCode != rec.Status {
		t.Fatalf("status = %d, recorded %d", got.resp.StatusCode, rec.Status)
	}
	have := got.json(t)
	if w, h := slices.Sorted(maps.Keys(wantTop)), slices.Sorted(maps.Keys(have)); !slices.Equal(w, h) {
		t.Errorf("keys = %v, recorded %v", h, w)
	}
	item := have["errors"].([]any)[0].(map[string]any)
	for k := range want.Errors[0] {
		if _, ok := item[k]; !ok {
			t.Errorf("error item lacks %q: %v", k, item)
		}
	}
	wantBody := `{"message":"Repository creation failed.","errors":[{"resource":"Repository","code":"custom","field":"name","message":"name already exists on this account"}],"documentation_url":"https://docs.github.com/rest/repos/repos#create-an-organization-repository"}`
	if string(got.body) != wantBody {
		t.Errorf("body = %s\nwant  %s", got.body, wantBody)
	}
	if got.resp.Header.Get("Content-Type") != rec.Headers["content-type"] {
		t.Errorf("Content-Type = %q, recorded %q", got.resp.Header.Get("Content-Type"), rec.Headers["content-type"])
	}
}
