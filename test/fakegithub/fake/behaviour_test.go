package fake_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

// TestBehaviour covers permissions, validation and the rules GitHub applies,
// one request per case against a freshly seeded fake.
func TestBehaviour(t *testing.T) {
	long := strings.Repeat("a", 51)
	many := make([]string, 21)
	for i := range many {
		many[i] = "t" + strings.Repeat("x", i)
	}
	tests := []struct {
		name    string
		method  string
		path    string
		token   string
		body    any
		want    int
		message string // expected "message", if any
	}{
		{"missing token", "GET", "/user", "", nil, 401, "Requires authentication"},
		{"unknown token", "GET", "/user", "nope", nil, 401, "Bad credentials"},
		{"enterprise prefix", "GET", "/api/v3/repos/acme/widgets", octocatToken, nil, 200, ""},
		{"case-insensitive names", "GET", "/repos/ACME/Widgets", octocatToken, nil, 200, ""},
		{"unknown route", "GET", "/gists", octocatToken, nil, 404, "Not Found"},
		{"unknown user", "GET", "/users/nobody", octocatToken, nil, 404, "Not Found"},
		{"org", "GET", "/orgs/acme", octocatToken, nil, 200, ""},
		{"user is not an org", "GET", "/orgs/octocat", octocatToken, nil, 404, "Not Found"},
		{"other user's private repo", "GET", "/repos/octocat/personal", devToken, nil, 404, "Not Found"},
		{"public repo for outsider", "GET", "/repos/acme/widgets", outsiderToken, nil, 200, ""},
		{"outsider can't edit", "PATCH", "/repos/acme/widgets", outsiderToken, map[string]any{"description": "x"}, 403, "Must have admin rights to Repository."},
		{"member can't edit", "PATCH", "/repos/acme/widgets", devToken, map[string]any{"description": "x"}, 403, "Must have admin rights to Repository."},
		{"member can set topics", "PUT", "/repos/acme/widgets/topics", devToken, map[string]any{"names": []string{"a"}}, 200, ""},
		{"member creates in org", "POST", "/orgs/acme/repos", devToken, map[string]any{"name": "mine"}, 201, ""},
		{"non-member creates in org", "POST", "/orgs/acme/repos", outsiderToken, map[string]any{"name": "x"}, 404, "Not Found"},
		{"member where members can't create", "POST", "/orgs/locked/repos", devToken, map[string]any{"name": "x"}, 403, "You need admin access to the organization before adding a repository to it."},
		{"unknown org", "POST", "/orgs/nowhere/repos", octocatToken, map[string]any{"name": "x"}, 404, "Not Found"},
		{"internal for a user", "POST", "/user/repos", octocatToken, map[string]any{"name": "x", "visibility": "internal"}, 422, "Repository creation failed."},
		{"unknown visibility", "POST", "/orgs/acme/repos", octocatToken, map[string]any{"name": "x", "visibility": "secret"}, 422, "Repository creation failed."},
		{"invalid name", "POST", "/user/repos", octocatToken, map[string]any{"name": "a b"}, 422, "Repository creation failed."},
		{"dot name", "POST", "/user/repos", octocatToken, map[string]any{"name": ".."}, 422, "Repository creation failed."},
		{"no name", "POST", "/user/repos", octocatToken, map[string]any{"private": true}, 422, "Invalid request.\n\n\"name\" wasn't supplied."},
		{"wrong type", "POST", "/user/repos", octocatToken, map[string]any{"name": 1}, 422, "Invalid request.\n\nFor 'properties/name', number is not a string."},
		{"malformed JSON", "POST", "/user/repos", octocatToken, []byte(`{`), 400, "Problems parsing JSON"},
		{"internal for an org repo", "PATCH", "/repos/acme/widgets", octocatToken, map[string]any{"visibility": "internal"}, 200, ""},
		{"internal for a user repo", "PATCH", "/repos/octocat/personal", octocatToken, map[string]any{"visibility": "internal"}, 422, "Validation Failed"},
		{"rename onto a taken name", "PATCH", "/repos/acme/widgets", octocatToken, map[string]any{"name": "gadgets"}, 422, "Validation Failed"},
		{"default branch of an empty repo", "PATCH", "/repos/octocat/personal", octocatToken, map[string]any{"default_branch": "trunk"}, 422, "Validation Failed"},
		{"archived rejects edits", "PATCH", "/repos/acme/gadgets", octocatToken, map[string]any{"description": "x"}, 403, "Repository was archived so is read-only."},
		{"archived rejects topics", "PUT", "/repos/acme/gadgets/topics", octocatToken, map[string]any{"names": []string{"a"}}, 403, "Repository was archived so is read-only."},
		{"unarchive", "PATCH", "/repos/acme/gadgets", octocatToken, map[string]any{"archived": false, "description": "back"}, 200, ""},
		{"archived may be deleted", "DELETE", "/repos/acme/gadgets", octocatToken, nil, 204, ""},
		{"topic too long", "PUT", "/repos/acme/widgets/topics", octocatToken, map[string]any{"names": []string{long}}, 422, "Validation Failed"},
		{"too many topics", "PUT", "/repos/acme/widgets/topics", octocatToken, map[string]any{"names": many}, 422, "Validation Failed"},
		{"topics without names", "PUT", "/repos/acme/widgets/topics", octocatToken, map[string]any{}, 422, "Validation Failed"},
		{"renamed, HEAD", "HEAD", "/repos/acme/old-gadgets", octocatToken, nil, 301, ""},
		{"renamed, topics", "PUT", "/repos/acme/old-gadgets/topics", octocatToken, map[string]any{"names": []string{}}, 307, "Moved Permanently"},
		{"renamed, public", "GET", "/repos/acme/old-gadgets", outsiderToken, nil, 301, "Moved Permanently"},
		{"renamed, hidden", "GET", "/repos/octocat/old-secret", outsiderToken, nil, 404, "Not Found"},
		{"renamed, visible", "GET", "/repos/octocat/old-secret", octocatToken, nil, 301, "Moved Permanently"},
		{"unknown id", "GET", "/repositories/99", octocatToken, nil, 404, "Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, _ := start(t)
			addArchivedRenamed(t, s)
			secret := fake.NewRepo("octocat", "old-secret")
			secret.Visibility = "private"
			if _, err := s.AddRepo(secret); err != nil {
				t.Fatal(err)
			}
			if _, err := s.EditRepo("octocat", "old-secret", func(r *fake.Repo) error { r.Name = "secret"; return nil }); err != nil {
				t.Fatal(err)
			}
			got := call(t, base, tt.method, tt.path, tt.token, tt.body)
			if got.resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d: %s", got.resp.StatusCode, tt.want, got.body)
			}
			if tt.message != "" {
				if msg := got.json(t)["message"]; msg != tt.message {
					t.Errorf("message = %q, want %q", msg, tt.message)
				}
			}
		})
	}
}

func TestRedirectLocation(t *testing.T) {
	tests := []struct {
		method, path, want string
		status             int
	}{
		{"GET", "/repos/acme/old-gadgets?per_page=1", "/repositories/1003?per_page=1", 301},
		{"PATCH", "/repos/acme/old-gadgets", "/repositories/1003", 307},
		{"DELETE", "/api/v3/repos/acme/old-gadgets", "/api/v3/repositories/1003", 307},
		{"GET", "/repos/acme/old-gadgets/topics", "/repositories/1003/topics", 301},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			s, base, _ := start(t)
			addArchivedRenamed(t, s)
			got := call(t, base, tt.method, tt.path, octocatToken, map[string]any{})
			want := strings.TrimSuffix(base, "/") + tt.want
			if got.resp.StatusCode != tt.status || got.resp.Header.Get("Location") != want || got.json(t)["url"] != want {
				t.Errorf("got %d %q %s, want %d %q", got.resp.StatusCode, got.resp.Header.Get("Location"), got.body, tt.status, want)
			}
		})
	}
}

func TestCreateDefaults(t *testing.T) {
	tests := []struct {
		name       string
		body       map[string]any
		branches   []string
		license    any
		visibility string
	}{
		{"empty", map[string]any{"name": "a"}, nil, nil, "public"},
		{"auto init", map[string]any{"name": "a", "auto_init": true, "private": true}, []string{"main"}, nil, "private"},
		{"license", map[string]any{"name": "a", "license_template": "mit", "visibility": "private", "private": false}, []string{"main"}, "MIT", "private"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, _ := start(t)
			got := call(t, base, "POST", "/orgs/acme/repos", octocatToken, tt.body).json(t)
			if got["default_branch"] != "main" || got["visibility"] != tt.visibility || got["private"] != (tt.visibility != "public") {
				t.Errorf("body = %v", got)
			}
			if l, _ := got["license"].(map[string]any); (l == nil) != (tt.license == nil) || (l != nil && l["spdx_id"] != tt.license) {
				t.Errorf("license = %v, want %v", got["license"], tt.license)
			}
			r, _ := s.Repo("acme", "a")
			if strings.Join(r.Branches, ",") != strings.Join(tt.branches, ",") || r.CreatedBy != "octocat" {
				t.Errorf("stored = %+v", r)
			}
		})
	}
}

func TestPrimaryRateLimit(t *testing.T) {
	s, base, clock := start(t, fake.WithRateLimit(3, time.Hour))
	header := func(e exchange, name string) string { return e.resp.Header.Get("X-RateLimit-" + name) }

	first := call(t, base, "GET", "/repos/acme/widgets", octocatToken, nil)
	if header(first, "Limit") != "3" || header(first, "Remaining") != "2" || header(first, "Used") != "1" ||
		header(first, "Resource") != "core" || header(first, "Reset") != "1735790645" {
		t.Errorf("headers = %v", first.resp.Header)
	}
	rl := call(t, base, "GET", "/rate_limit", octocatToken, nil)
	if got := rl.json(t)["resources"].(map[string]any)["core"].(map[string]any)["remaining"]; got != 2.0 {
		t.Errorf("/rate_limit core remaining = %v, want 2 (and free)", got)
	}
	call(t, base, "GET", "/user", octocatToken, nil)
	call(t, base, "GET", "/user", octocatToken, nil)
	refused := call(t, base, "GET", "/user", octocatToken, nil)
	if refused.resp.StatusCode != 403 || header(refused, "Remaining") != "0" ||
		!strings.HasPrefix(refused.json(t)["message"].(string), "API rate limit exceeded for user ID 1.") {
		t.Errorf("exhausted: %d %v %s", refused.resp.StatusCode, refused.resp.Header, refused.body)
	}
	if other := call(t, base, "GET", "/user", devToken, nil); other.resp.StatusCode != 200 {
		t.Errorf("budgets are per token, dev got %d", other.resp.StatusCode)
	}
	if log := s.Requests(fake.RequestFilter{User: "octocat"}); log[len(log)-1].Limited != "primary" {
		t.Errorf("log = %+v", log[len(log)-1])
	}
	clock.Step(time.Hour)
	if again := call(t, base, "GET", "/user", octocatToken, nil); again.resp.StatusCode != 200 || header(again, "Remaining") != "2" {
		t.Errorf("after the window: %d, remaining %s", again.resp.StatusCode, header(again, "Remaining"))
	}
}

func TestSecondaryRateLimits(t *testing.T) {
	t.Run("content creation per minute", func(t *testing.T) {
		s, base, clock := start(t, fake.WithSecondaryLimits(100, 2))
		patch := func() exchange {
			return call(t, base, "PATCH", "/repos/acme/widgets", octocatToken, map[string]any{"description": "x"})
		}
		patch()
		patch()
		refused := patch()
		if refused.resp.StatusCode != 403 || refused.resp.Header.Get("Retry-After") != "60" ||
			!strings.HasPrefix(refused.json(t)["message"].(string), "You have exceeded a secondary rate limit.") {
			t.Errorf("refused: %d %v %s", refused.resp.StatusCode, refused.resp.Header, refused.body)
		}
		if got := call(t, base, "GET", "/repos/acme/widgets", octocatToken, nil); got.resp.StatusCode != 200 {
			t.Errorf("reads are not limited, got %d", got.resp.StatusCode)
		}
		clock.Step(time.Minute)
		if got := patch(); got.resp.StatusCode != 200 {
			t.Errorf("a minute later: %d", got.resp.StatusCode)
		}
		if s.SecondaryLimitHits() != 1 {
			t.Errorf("hits = %d", s.SecondaryLimitHits())
		}
	})

	t.Run("concurrency", func(t *testing.T) {
		s, base, _ := start(t, fake.WithSecondaryLimits(2, 80))
		s.InjectFault(fake.Fault{Method: "GET", Latency: 300 * time.Millisecond})
		statuses := make(chan int, 3)
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() { statuses <- call(t, base, "GET", "/user", octocatToken, nil).resp.StatusCode })
		}
		wg.Wait()
		close(statuses)
		count := map[int]int{}
		for st := range statuses {
			count[st]++
		}
		if count[200] != 2 || count[403] != 1 || s.SecondaryLimitHits() != 1 {
			t.Errorf("statuses = %v, hits = %d", count, s.SecondaryLimitHits())
		}
	})
}

func TestMinMutationGap(t *testing.T) {
	s, base, clock := start(t)
	patch := func(token, path string) {
		call(t, base, "PATCH", path, token, map[string]any{"description": "x"})
	}
	if _, ok := s.MinMutationGap(); ok {
		t.Fatal("a gap before any mutation")
	}
	patch(octocatToken, "/repos/acme/widgets")
	clock.Step(1500 * time.Millisecond)
	patch(octocatToken, "/repos/acme/widgets")
	patch(devToken, "/repos/acme/widgets") // another token: not a gap
	if gap, ok := s.MinMutationGap(); !ok || gap != 1500*time.Millisecond {
		t.Errorf("gap = %v, %v; want 1.5s", gap, ok)
	}
	clock.Step(300 * time.Millisecond)
	patch(octocatToken, "/repos/acme/widgets")
	if gap, _ := s.MinMutationGap(); gap != 300*time.Millisecond {
		t.Errorf("gap = %v, want 300ms", gap)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault fake.Fault
		// statuses of GET /repos/acme/widgets, PATCH of it, GET /user,
		// repeated twice; 0 for no answer.
		want []int
	}{
		{"next two requests", fake.Fault{Status: 502, Times: 2}, []int{502, 502, 200, 200, 200, 200}},
		{"method and path", fake.Fault{Method: "PATCH", Path: "/repos/acme/*", Status: 500}, []int{200, 500, 200, 200, 500, 200}},
		{"path only", fake.Fault{Path: "/user", Status: 503}, []int{200, 200, 503, 200, 200, 503}},
		{"for a while", fake.Fault{Status: 503, For: time.Second}, []int{503, 503, 503, 200, 200, 200}},
		{"latency only", fake.Fault{Latency: time.Millisecond, Times: 1}, []int{200, 200, 200, 200, 200, 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, clock := start(t)
			s.InjectFault(tt.fault)
			var got []int
			for range 2 {
				got = append(got,
					call(t, base, "GET", "/repos/acme/widgets", octocatToken, nil).resp.StatusCode,
					call(t, base, "PATCH", "/repos/acme/widgets", octocatToken, map[string]any{}).resp.StatusCode,
					call(t, base, "GET", "/user", octocatToken, nil).resp.StatusCode)
				clock.Step(time.Second)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("statuses = %v, want %v", got, tt.want)
			}
			if rl := s.RateLimit(octocatToken); rl.Remaining != 5000-count(tt.want, 200) {
				t.Errorf("remaining = %d: faulted requests must cost nothing", rl.Remaining)
			}
		})
	}
}

func count(v []int, x int) int {
	n := 0
	for _, e := range v {
		if e == x {
			n++
		}
	}
	return n
}

func TestRequestLog(t *testing.T) {
	s, base, _ := start(t)
	call(t, base, "GET", "/repos/acme/widgets", octocatToken, nil)
	call(t, base, "PATCH", "/api/v3/repos/acme/widgets", devToken, map[string]any{})
	call(t, base, "GET", "/user", "not-a-token", nil)

	tests := []struct {
		filter fake.RequestFilter
		want   int
	}{
		{fake.RequestFilter{}, 3},
		{fake.RequestFilter{Method: "patch"}, 1},
		{fake.RequestFilter{Path: "/repos/acme/*"}, 2},
		{fake.RequestFilter{User: "dev"}, 1},
	}
	for _, tt := range tests {
		if got := s.Requests(tt.filter); len(got) != tt.want {
			t.Errorf("Requests(%+v) = %d entries, want %d", tt.filter, len(got), tt.want)
		}
	}
	all := s.Requests(fake.RequestFilter{})
	data, _ := json.Marshal(all)
	for _, token := range []string{octocatToken, devToken, "not-a-token"} {
		if strings.Contains(string(data), token) {
			t.Errorf("log reveals token %q: %s", token, data)
		}
	}
	if e := all[0]; e.User != "octocat" || e.Status != 200 || e.RateRemaining != 4999 || len(e.TokenID) != 8 || !e.Time.Equal(epoch) {
		t.Errorf("entry = %+v", e)
	}
	if e := all[2]; e.User != "" || e.Status != 401 || e.TokenID == "" {
		t.Errorf("unauthenticated entry = %+v", e)
	}
	s.ClearRequests()
	if got := s.Requests(fake.RequestFilter{}); len(got) != 0 {
		t.Errorf("after clear: %d entries", len(got))
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		wantErr bool
	}{
		{"full", `{"tokens":{"t":"alice"},"orgs":[{"login":"o","members":{"alice":"admin"}}],"repos":[{"owner":"o","name":"r","visibility":"private"}]}`, false},
		{"unknown field", `{"token":{}}`, true},
		{"unknown repo field", `{"repos":[{"owner":"o","name":"r","private":true}]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := fake.LoadConfig([]byte(tt.data))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if tt.wantErr {
				return
			}
			s, err := fake.New(fake.WithConfig(cfg))
			if err != nil {
				t.Fatal(err)
			}
			r, ok := s.Repo("o", "r")
			if !ok || !r.HasIssues || r.Visibility != "private" || r.DefaultBranch != "main" {
				t.Errorf("repo = %+v, %v: defaults must apply", r, ok)
			}
		})
	}
	if _, err := fake.New(fake.WithConfig(fake.Config{Repos: []fake.Repo{fake.NewRepo("ghost", "r")}})); err == nil {
		t.Error("a repo of an unknown owner was accepted")
	}
	bad := fake.PropertyDef{Name: "p", ValueType: fake.PropertyString, AllowedValues: []string{"a"}}
	if _, err := fake.New(fake.WithConfig(fake.Config{Orgs: []fake.Org{{Login: "o", Properties: []fake.PropertyDef{bad}}}})); err == nil {
		t.Error("a string property with allowed values was accepted")
	}
}

func TestConditionalRequests(t *testing.T) {
	_, base, _ := start(t)
	first := call(t, base, "GET", "/repos/acme/widgets", octocatToken, nil)
	etag := first.resp.Header.Get("ETag")
	if !strings.HasPrefix(etag, `W/"`) || first.resp.Header.Get("Last-Modified") == "" {
		t.Fatalf("ETag %q, Last-Modified %q", etag, first.resp.Header.Get("Last-Modified"))
	}
	tests := []struct {
		name        string
		method      string
		path        string
		ifNoneMatch string
		want        int
	}{
		{"same", "GET", "/repos/acme/widgets", etag, 304},
		{"strong form", "GET", "/repos/acme/widgets", strings.TrimPrefix(etag, "W/"), 304},
		{"in a list", "GET", "/repos/acme/widgets", `"other", ` + etag, 304},
		{"any", "GET", "/repos/acme/widgets", "*", 304},
		{"other", "GET", "/repos/acme/widgets", `W/"other"`, 200},
		{"by id", "GET", "/repositories/1001", etag, 304},
		{"other user sees other permissions", "GET", "/repos/acme/widgets", etag, 200},
		{"not for writes", "PATCH", "/repos/acme/widgets", etag, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := octocatToken
			if strings.HasPrefix(tt.name, "other user") {
				token = devToken
			}
			got := call(t, base, tt.method, tt.path, token, nil, "If-None-Match", tt.ifNoneMatch)
			if got.resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d", got.resp.StatusCode, tt.want)
			}
			if tt.want == 304 && (len(got.body) != 0 || got.resp.Header.Get("ETag") != etag) {
				t.Errorf("304 with body %q, ETag %q", got.body, got.resp.Header.Get("ETag"))
			}
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	_, base := fake.Start(t)
	for _, token := range []string{"fake-token", "ghp_exampletoken"} {
		if login := call(t, base, "GET", "/user", token, nil).json(t)["login"]; login != "octocat" {
			t.Errorf("%s: login = %v", token, login)
		}
	}
	if got := call(t, base, "POST", "/orgs/acme/repos", "fake-token", map[string]any{"name": "x"}); got.resp.StatusCode != 201 {
		t.Errorf("create in acme: %d %s", got.resp.StatusCode, got.body)
	}
}

// TestFaultAfterServing: a request GitHub ends with a timeout may already
// have done its work ("If GitHub takes more than 10 seconds to process an
// API request, GitHub will terminate the request and you will receive a
// timeout response", https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api#timeouts).
// An After fault keeps the change and loses the answer.
func TestFaultAfterServing(t *testing.T) {
	t.Run("status", func(t *testing.T) {
		s, base, _ := start(t)
		s.InjectFault(fake.Fault{Method: "POST", Path: "/orgs/acme/*", Status: 504, After: true, Times: 1})
		if got := call(t, base, "POST", "/orgs/acme/repos", octocatToken, map[string]any{"name": "lost"}); got.resp.StatusCode != 504 {
			t.Fatalf("status = %d, want 504: %s", got.resp.StatusCode, got.body)
		}
		if _, ok := s.Repo("acme", "lost"); !ok {
			t.Error("the repository was not created")
		}
		log := s.Requests(fake.RequestFilter{Method: "POST"})
		if e := log[0]; !e.Fault || e.Status != 504 || e.LostStatus != 201 || e.RateRemaining != 4999 {
			t.Errorf("log = %+v, want a fault answered 504 that was served 201 and charged", e)
		}
		if again := call(t, base, "POST", "/orgs/acme/repos", octocatToken, map[string]any{"name": "lost"}); again.resp.StatusCode != 422 {
			t.Errorf("retry: %d, want 422 name already exists", again.resp.StatusCode)
		}
	})

	t.Run("drop", func(t *testing.T) {
		s, base, _ := start(t)
		s.InjectFault(fake.Fault{Method: "PATCH", Drop: true, After: true})
		req, _ := http.NewRequest("PATCH", base+"repos/acme/widgets", strings.NewReader(`{"description":"kept"}`))
		req.Header.Set("Authorization", "token "+octocatToken)
		if resp, err := noRedirects.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("status = %d, want no answer", resp.StatusCode)
		}
		if r, _ := s.Repo("acme", "widgets"); r.Description != "kept" {
			t.Errorf("description = %q: the change must be kept", r.Description)
		}
		if e := s.Requests(fake.RequestFilter{Method: "PATCH"})[0]; !e.Fault || !e.Dropped || e.Status != 0 || e.LostStatus != 200 {
			t.Errorf("log = %+v", e)
		}
	})
}

// TestHostsCollide: ids are only unique within one GitHub instance, and a
// legacy node id is derived from the id alone
// (https://docs.github.com/en/graphql/guides/using-global-node-ids), so
// github.com and a GitHub Enterprise Server can both have a repository
// 1003 with the same node id. Two fakes collide the same way.
func TestHostsCollide(t *testing.T) {
	_, dotcom, _ := start(t)
	_, enterprise, _ := start(t)
	a := call(t, dotcom, "POST", "/orgs/acme/repos", octocatToken, map[string]any{"name": "alpha"}).json(t)
	b := call(t, enterprise+"api/v3/", "POST", "/user/repos", octocatToken, map[string]any{"name": "beta"}).json(t)
	if a["id"] != b["id"] || a["node_id"] != b["node_id"] || a["full_name"] == b["full_name"] {
		t.Errorf("got %v %v %v and %v %v %v, want one id and node id for two repositories",
			a["id"], a["node_id"], a["full_name"], b["id"], b["node_id"], b["full_name"])
	}

	cfg := testConfig()
	cfg.FirstRepoID = 5000
	s, _, _ := start(t, fake.WithConfig(cfg))
	if r, _ := s.Repo("acme", "widgets"); r.ID != 5001 {
		t.Errorf("first id = %d, want 5001", r.ID)
	}
}

// TestETagPerToken: GitHub's ETags are specific to the token, so a
// conditional request with another token's ETag gets a full 200. GitHub
// Support confirmed "It's currently expected for ETags to be auth token
// specific" (https://github.com/eclipse-csi/otterdog/issues/201; also
// https://github.com/github/docs/issues/34689).
func TestETagPerToken(t *testing.T) {
	s, base, _ := start(t)
	if err := s.Seed(fake.Config{Tokens: map[string]string{"octocat-other": "octocat"}}); err != nil {
		t.Fatal(err)
	}
	mine := call(t, base, "GET", "/repos/acme/widgets", octocatToken, nil)
	other := call(t, base, "GET", "/repos/acme/widgets", "octocat-other", nil)
	if string(mine.body) != string(other.body) || mine.resp.Header.Get("ETag") == other.resp.Header.Get("ETag") {
		t.Fatalf("same user, same body, want ETags that differ: %q %q", mine.resp.Header.Get("ETag"), other.resp.Header.Get("ETag"))
	}
	if got := call(t, base, "GET", "/repos/acme/widgets", "octocat-other", nil, "If-None-Match", mine.resp.Header.Get("ETag")); got.resp.StatusCode != 200 {
		t.Errorf("another token's ETag: %d, want 200", got.resp.StatusCode)
	}
}

// TestTouch: activity nobody configured (a push moves pushed_at, a star
// stargazers_count; both are fields of
// https://docs.github.com/en/rest/repos/repos#get-a-repository) changes
// the body and its ETag while every setting stays the same.
func TestTouch(t *testing.T) {
	s, base, clock := start(t)
	before := call(t, base, "GET", "/repos/acme/widgets", octocatToken, nil)
	r, _ := s.Repo("acme", "widgets")
	clock.Step(time.Minute)
	if err := s.Touch(r.ID); err != nil {
		t.Fatal(err)
	}
	after := call(t, base, "GET", "/repos/acme/widgets", octocatToken, nil, "If-None-Match", before.resp.Header.Get("ETag"))
	if after.resp.StatusCode != 200 {
		t.Fatalf("status = %d, want 200 with the new body", after.resp.StatusCode)
	}
	was, now := before.json(t), after.json(t)
	if now["stargazers_count"] != 1.0 || now["pushed_at"] == was["pushed_at"] || now["updated_at"] == was["updated_at"] {
		t.Errorf("activity not seen: %v %v %v", now["stargazers_count"], now["pushed_at"], now["updated_at"])
	}
	for _, k := range []string{"description", "topics", "visibility", "default_branch", "has_issues", "archived"} {
		if !jsonEqual(was[k], now[k]) {
			t.Errorf("%s changed: %v -> %v", k, was[k], now[k])
		}
	}
	if err := s.Touch(99); err == nil {
		t.Error("touching an unknown repository succeeded")
	}
}

// TestAccountDefaultBranch: a new repository's default branch is the
// owner's setting
// (https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/managing-repository-settings/managing-the-default-branch-name-for-your-repositories,
// and for organizations, whoever creates the repository,
// https://docs.github.com/en/organizations/managing-organization-settings/managing-the-default-branch-name-for-repositories-in-your-organization),
// and a template's first commit creates that branch.
func TestAccountDefaultBranch(t *testing.T) {
	cfg := testConfig()
	cfg.Users[0].DefaultBranch = "trunk"
	cfg.Orgs[0].DefaultBranch = "develop"
	cfg.Repos = append(cfg.Repos, fake.NewRepo("octocat", "seeded"))
	tests := []struct {
		name, path, token string
		body              map[string]any
		owner, repo       string
		branch            string
		branches          []string
	}{
		{"user, empty", "/user/repos", octocatToken, map[string]any{"name": "a"}, "octocat", "a", "trunk", nil},
		{"user, gitignore", "/user/repos", octocatToken, map[string]any{"name": "a", "gitignore_template": "Go"}, "octocat", "a", "trunk", []string{"trunk"}},
		{"org, auto init", "/orgs/acme/repos", octocatToken, map[string]any{"name": "a", "auto_init": true}, "acme", "a", "develop", []string{"develop"}},
		{"org, by a member", "/orgs/acme/repos", devToken, map[string]any{"name": "a", "license_template": "mit"}, "acme", "a", "develop", []string{"develop"}},
		{"org without a setting", "/orgs/locked/repos", octocatToken, map[string]any{"name": "a"}, "locked", "a", "main", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, _ := start(t, fake.WithConfig(cfg))
			if err := s.Seed(fake.Config{Orgs: []fake.Org{{Login: "locked", Members: map[string]fake.Role{"octocat": fake.RoleAdmin}}}}); err != nil {
				t.Fatal(err)
			}
			got := call(t, base, "POST", tt.path, tt.token, tt.body)
			if got.resp.StatusCode != 201 || got.json(t)["default_branch"] != tt.branch {
				t.Fatalf("%d %s, want default_branch %s", got.resp.StatusCode, got.body, tt.branch)
			}
			if r, _ := s.Repo(tt.owner, tt.repo); !slices.Equal(r.Branches, tt.branches) {
				t.Errorf("branches = %v, want %v", r.Branches, tt.branches)
			}
			if r, _ := s.Repo("octocat", "seeded"); r.DefaultBranch != "trunk" {
				t.Errorf("seeded default branch = %q, want trunk", r.DefaultBranch)
			}
		})
	}
}

// TestLoadConfigSettings: the binary's JSON config reaches every setting.
func TestLoadConfigSettings(t *testing.T) {
	cfg, err := fake.LoadConfig([]byte(`{
		"tokens": {"t": "alice"}, "first_repo_id": 7,
		"token_repos": {"t": ["o/r"]}, "token_scopes": {"t": ["repo"]},
		"orgs": [{"login": "o", "members": {"alice": "admin"}, "default_branch": "trunk", "members_can_delete_repositories": false,
			"properties": [{"property_name": "team", "value_type": "multi_select", "allowed_values": ["x", "y"], "default_value": ["x"], "required": true}]}],
		"repos": [{"owner": "o", "name": "r", "custom_properties": {"team": ["y"]}, "variables": [{"name": "V", "value": "1"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	s, base := fake.Start(t, fake.WithConfig(cfg))
	r, ok := s.Repo("o", "r")
	if !ok || r.ID != 8 || r.DefaultBranch != "trunk" || !jsonEqual(r.CustomProperties["team"], []string{"y"}) || len(r.Variables) != 1 {
		t.Errorf("repo = %+v", r)
	}
	got := call(t, base, "DELETE", "/repos/o/r", "t", nil)
	if got.resp.StatusCode != 403 || got.resp.Header.Get("X-OAuth-Scopes") != "repo" {
		t.Errorf("delete without delete_repo: %d %v", got.resp.StatusCode, got.resp.Header)
	}
	if schema := call(t, base, "GET", "/orgs/o/properties/schema/team", "t", nil); !contains(schema.body, `"default_value":["x"]`) {
		t.Errorf("schema = %s", schema.body)
	}
}
