package fake_test

import (
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

// The webhook deliveries follow GitHub's documentation:
//   - events and payloads: https://docs.github.com/en/webhooks/webhook-events-and-payloads#repository
//   - headers: https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers
//   - signatures: https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries

const hookSecret = "It's a Secret to Everybody"

// TestSignGitHubTestVector checks the signature against the example in
// GitHub's guide to validating deliveries.
func TestSignGitHubTestVector(t *testing.T) {
	got := "sha256=" + hex.EncodeToString(fake.Sign([]byte("It's a Secret to Everybody"), []byte("Hello, World!")))
	if want := "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"; got != want {
		t.Fatalf("Sign = %s, want GitHub's %s", got, want)
	}
}

// received is one delivery as the receiver saw it.
type received struct {
	header http.Header
	body   []byte
}

// receiver is a webhook receiver that answers 200 after delay.
type receiver struct {
	srv   *httptest.Server
	delay time.Duration
	mu    sync.Mutex
	got   []received
}

func newReceiver(t *testing.T, delay time.Duration) *receiver {
	t.Helper()
	r := &receiver{delay: delay}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{header: req.Header.Clone(), body: body})
		r.mu.Unlock()
		select {
		case <-time.After(r.delay):
		case <-req.Context().Done():
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// wait returns the deliveries of event received so far, once there are n.
func (r *receiver) wait(t *testing.T, event string, n int) []received {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.mu.Lock()
		var out []received
		for _, g := range r.got {
			if g.header.Get("X-GitHub-Event") == event {
				out = append(out, g)
			}
		}
		r.mu.Unlock()
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s deliveries after 5s, want %d", len(out), event, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *receiver) count(event string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, g := range r.got {
		if g.header.Get("X-GitHub-Event") == event {
			n++
		}
	}
	return n
}

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("payload is not JSON: %v\n%s", err, body)
	}
	return m
}

// TestWebhookEvents makes each change, by hand and through the API, and
// checks the repository event GitHub would send for it.
func TestWebhookEvents(t *testing.T) {
	type want struct {
		action  string
		changes string // the payload's changes as JSON; "" for none
		name    string // repository.full_name
		sender  string
	}
	apiPatch := func(body map[string]any) func(*testing.T, *fake.Server, string) {
		return func(t *testing.T, _ *fake.Server, base string) {
			call(t, base, "PATCH", "/repos/acme/widgets", octocatToken, body).expect(t, http.StatusOK, "")
		}
	}
	edit := func(fn func(*fake.Repo)) func(*testing.T, *fake.Server, string) {
		return func(t *testing.T, s *fake.Server, _ string) {
			if _, err := s.EditRepo("acme", "widgets", func(r *fake.Repo) error { fn(r); return nil }); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name string
		do   func(t *testing.T, s *fake.Server, base string)
		want []want
	}{
		{"description by hand", edit(func(r *fake.Repo) { r.Description = "by hand" }),
			[]want{{"edited", `{"description":{"from":null}}`, "acme/widgets", "octocat"}}},
		{"several fields by hand: one edited event", edit(func(r *fake.Repo) {
			r.Description, r.Homepage, r.Topics, r.DefaultBranch = "d", "https://example.com", []string{"k8s"}, "main2"
		}), []want{{"edited", `{"default_branch":{"from":"main"},"description":{"from":null},"homepage":{"from":null},"topics":{"from":["go"]}}`, "acme/widgets", "octocat"}}},
		{"renamed by hand", edit(func(r *fake.Repo) { r.Name = "gizmos" }),
			[]want{{"renamed", `{"repository":{"name":{"from":"widgets"}}}`, "acme/gizmos", "octocat"}}},
		{"archived by hand", edit(func(r *fake.Repo) { r.Archived = true }), []want{{"archived", "", "acme/widgets", "octocat"}}},
		{"made private by hand", edit(func(r *fake.Repo) { r.Visibility = "private" }), []want{{"privatized", "", "acme/widgets", "octocat"}}},
		{"features alone send nothing", edit(func(r *fake.Repo) { r.HasWiki, r.HasIssues = false, false }), nil},
		{"renamed and archived: in order", edit(func(r *fake.Repo) { r.Name, r.Archived = "old", true }),
			[]want{{"renamed", `{"repository":{"name":{"from":"widgets"}}}`, "acme/old", "octocat"}, {"archived", "", "acme/old", "octocat"}}},
		{"deleted by hand", func(t *testing.T, s *fake.Server, _ string) {
			if err := s.DeleteRepo("acme", "widgets"); err != nil {
				t.Fatal(err)
			}
		}, []want{{"deleted", "", "acme/widgets", "octocat"}}},
		{"added by hand", func(t *testing.T, s *fake.Server, _ string) {
			if _, err := s.AddRepo(fake.NewRepo("acme", "fresh")); err != nil {
				t.Fatal(err)
			}
		}, []want{{"created", "", "acme/fresh", "octocat"}}},
		{"transferred by hand", func(t *testing.T, s *fake.Server, _ string) {
			if _, err := s.TransferRepo("acme", "widgets", "locked"); err != nil {
				t.Fatal(err)
			}
		}, []want{{"transferred", "", "locked/widgets", "octocat"}}},
		{"API: an update of two kinds", func(t *testing.T, _ *fake.Server, base string) {
			call(t, base, "PATCH", "/repos/acme/widgets", octocatToken, map[string]any{"visibility": "private", "description": "api"}).expect(t, http.StatusOK, "")
		}, []want{{"edited", `{"description":{"from":null}}`, "acme/widgets", "octocat"}, {"privatized", "", "acme/widgets", "octocat"}}},
		{"API: rename", apiPatch(map[string]any{"name": "renamed"}),
			[]want{{"renamed", `{"repository":{"name":{"from":"widgets"}}}`, "acme/renamed", "octocat"}}},
		{"API: archive", apiPatch(map[string]any{"archived": true}), []want{{"archived", "", "acme/widgets", "octocat"}}},
		{"API: an unchanged value sends nothing", apiPatch(map[string]any{"has_issues": true}), nil},
		{"API: topics", func(t *testing.T, _ *fake.Server, base string) {
			call(t, base, "PUT", "/repos/acme/widgets/topics", octocatToken, map[string]any{"names": []string{"go", "k8s"}}).expect(t, http.StatusOK, "")
		}, []want{{"edited", `{"topics":{"from":["go"]}}`, "acme/widgets", "octocat"}}},
		{"API: default branch renamed", func(t *testing.T, _ *fake.Server, base string) {
			call(t, base, "POST", "/repos/acme/widgets/branches/main/rename", octocatToken, map[string]any{"new_name": "trunk"}).expect(t, http.StatusCreated, "")
		}, []want{{"edited", `{"default_branch":{"from":"main"}}`, "acme/widgets", "octocat"}}},
		{"API: create by dev", func(t *testing.T, _ *fake.Server, base string) {
			call(t, base, "POST", "/orgs/acme/repos", devToken, map[string]any{"name": "made"}).expect(t, http.StatusCreated, "")
		}, []want{{"created", "", "acme/made", "dev"}}},
		{"API: delete", func(t *testing.T, _ *fake.Server, base string) {
			call(t, base, "DELETE", "/repos/acme/widgets", octocatToken, nil).expect(t, http.StatusNoContent, "")
		}, []want{{"deleted", "", "acme/widgets", "octocat"}}},
		{"API: a refused change sends nothing", func(t *testing.T, _ *fake.Server, base string) {
			call(t, base, "DELETE", "/repos/acme/widgets", devToken, nil).expect(t, http.StatusForbidden, "")
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, _ := start(t)
			rcv := newReceiver(t, 0)
			if _, err := s.AddWebhook(fake.Webhook{URL: rcv.srv.URL, Secret: hookSecret}); err != nil {
				t.Fatal(err)
			}
			rcv.wait(t, "ping", 1)
			tt.do(t, s, base)
			var got []received
			if len(tt.want) > 0 {
				got = rcv.wait(t, "repository", len(tt.want))
			}
			time.Sleep(50 * time.Millisecond) // nothing more comes
			if n := rcv.count("repository"); n != len(tt.want) {
				t.Fatalf("%d repository deliveries, want %d", n, len(tt.want))
			}
			for i, w := range tt.want {
				p := decode(t, got[i].body)
				repo, _ := p["repository"].(map[string]any)
				sender, _ := p["sender"].(map[string]any)
				if p["action"] != w.action || repo["full_name"] != w.name || sender["login"] != w.sender {
					t.Errorf("delivery %d: action %v, repository %v, sender %v; want %s, %s, %s", i, p["action"], repo["full_name"], sender["login"], w.action, w.name, w.sender)
				}
				if w.action == "transferred" {
					continue // its changes are checked in TestWebhookTransfer
				}
				changes, hasChanges := p["changes"]
				if w.changes == "" && hasChanges || w.changes != "" && jsonString(changes) != w.changes {
					t.Errorf("delivery %d (%s): changes %s, want %s", i, w.action, jsonString(changes), w.changes)
				}
			}
		})
	}
}

// TestWebhookHeaders checks every delivery header against GitHub's list,
// and both signatures.
func TestWebhookHeaders(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       []fake.Option
		enterprise string
	}{
		{"github.com", nil, ""},
		{"GitHub Enterprise Server", []fake.Option{fake.WithEnterprise(), fake.WithWebURL("https://ghe.example.com")}, "ghe.example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _ := start(t, tc.opts...)
			rcv := newReceiver(t, 0)
			hook, err := s.AddWebhook(fake.Webhook{URL: rcv.srv.URL, Secret: hookSecret, Org: "acme"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.EditRepo("acme", "widgets", func(r *fake.Repo) error { r.Description = "x"; return nil }); err != nil {
				t.Fatal(err)
			}
			d := rcv.wait(t, "repository", 1)[0]
			h := d.header
			acme := decode(t, d.body)["organization"].(map[string]any)
			want := map[string]string{
				"Content-Type": "application/json", "X-Github-Event": "repository",
				"X-Github-Hook-Id": jsonString(hook.ID), "X-Github-Hook-Installation-Target-Type": "organization",
				"X-Github-Hook-Installation-Target-Id": jsonString(acme["id"]),
				"X-Hub-Signature":                      "sha1=" + hex.EncodeToString(fake.SignSHA1([]byte(hookSecret), d.body)),
				"X-Hub-Signature-256":                  "sha256=" + hex.EncodeToString(fake.Sign([]byte(hookSecret), d.body)),
			}
			if tc.enterprise != "" {
				want["X-Github-Enterprise-Host"] = tc.enterprise
			}
			for k, v := range want {
				if got := h.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if tc.enterprise != "" && h.Get("X-GitHub-Enterprise-Version") == "" || tc.enterprise == "" && h.Get("X-GitHub-Enterprise-Host") != "" {
				t.Errorf("enterprise headers %q, %q", h.Get("X-GitHub-Enterprise-Host"), h.Get("X-GitHub-Enterprise-Version"))
			}
			if !strings.HasPrefix(h.Get("User-Agent"), "GitHub-Hookshot/") {
				t.Errorf("User-Agent = %q", h.Get("User-Agent"))
			}
			if len(h.Get("X-GitHub-Delivery")) != 36 {
				t.Errorf("X-GitHub-Delivery = %q, want a GUID", h.Get("X-GitHub-Delivery"))
			}
			mac, _ := hex.DecodeString(strings.TrimPrefix(h.Get("X-Hub-Signature-256"), "sha256="))
			if !hmac.Equal(mac, fake.Sign([]byte(hookSecret), d.body)) {
				t.Error("X-Hub-Signature-256 does not verify")
			}
		})
	}
}

// TestWebhookPayloadShapes validates the payloads against GitHub's
// OpenAPI description. The subset kept in ../shared has no webhook-*
// schemas, so the parts it does describe are checked against their REST
// schemas (repository, simple-user), and the rest field by field as
// https://docs.github.com/en/webhooks/webhook-events-and-payloads#repository
// lists them.
func TestWebhookPayloadShapes(t *testing.T) {
	doc := loadSpec(t)
	s, base, _ := start(t)
	rcv := newReceiver(t, 0)
	if _, err := s.AddWebhook(fake.Webhook{URL: rcv.srv.URL, Secret: hookSecret}); err != nil {
		t.Fatal(err)
	}
	call(t, base, "PATCH", "/repos/acme/widgets", octocatToken, map[string]any{"description": "x", "name": "w2", "archived": true}).expect(t, http.StatusOK, "")
	if _, err := s.EditRepo("acme", "w2", func(r *fake.Repo) error { r.Archived, r.Visibility = false, "private"; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TransferRepo("acme", "w2", "octocat"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRepo("octocat", "w2"); err != nil {
		t.Fatal(err)
	}
	// Out of acme: the personal repository of a user has no organization.
	if _, err := s.AddRepo(fake.NewRepo("octocat", "mine")); err != nil {
		t.Fatal(err)
	}
	got := rcv.wait(t, "repository", 8)
	var actions []string
	for _, d := range got {
		p := decode(t, d.body)
		actions = append(actions, p["action"].(string))
		allowed := []string{"action", "repository", "sender", "organization", "changes"}
		for k := range p {
			if !slices.Contains(allowed, k) {
				t.Errorf("%s: unexpected key %q", p["action"], k)
			}
		}
		for key, schema := range map[string]string{"repository": "repository", "sender": "simple-user"} {
			if err := doc.Components.Schemas[schema].Value.VisitJSON(p[key], openapi3.MultiErrors()); err != nil {
				t.Errorf("%s: %s is not a %s: %v", p["action"], key, schema, err)
			}
		}
		repo := p["repository"].(map[string]any)
		if _, ok := repo["permissions"]; ok {
			t.Errorf("%s: the repository carries a viewer's permissions", p["action"])
		}
		owner := repo["owner"].(map[string]any)
		if org, ok := p["organization"].(map[string]any); ok != (owner["type"] == "Organization") {
			t.Errorf("%s: organization %v for an owner of type %v", p["action"], org, owner["type"])
		} else if ok {
			for _, k := range []string{"login", "id", "node_id", "url", "repos_url", "events_url", "hooks_url", "issues_url", "members_url", "public_members_url", "avatar_url", "description"} {
				if _, has := org[k]; !has {
					t.Errorf("%s: organization lacks %s", p["action"], k)
				}
			}
		}
	}
	want := []string{"renamed", "edited", "archived", "unarchived", "privatized", "transferred", "deleted", "created"}
	if !reflect.DeepEqual(actions, want) {
		t.Errorf("actions %v, want %v", actions, want)
	}
}

// TestWebhookTransfer: changes.owner.from names the previous owner, as an
// organization or as a user.
func TestWebhookTransfer(t *testing.T) {
	s, _, _ := start(t)
	rcv := newReceiver(t, 0)
	if _, err := s.AddWebhook(fake.Webhook{URL: rcv.srv.URL}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TransferRepo("acme", "widgets", "octocat"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TransferRepo("octocat", "widgets", "locked"); err != nil {
		t.Fatal(err)
	}
	got := rcv.wait(t, "repository", 2)
	doc := loadSpec(t)
	for i, want := range []struct{ key, login string }{{"organization", "acme"}, {"user", "octocat"}} {
		p := decode(t, got[i].body)
		from := p["changes"].(map[string]any)["owner"].(map[string]any)["from"].(map[string]any)
		prev, ok := from[want.key].(map[string]any)
		if len(from) != 1 || !ok || prev["login"] != want.login {
			t.Errorf("transfer %d: changes.owner.from = %s, want {%q: %s}", i, jsonString(from), want.key, want.login)
		}
		if want.key == "user" {
			if err := doc.Components.Schemas["simple-user"].Value.VisitJSON(prev); err != nil {
				t.Errorf("changes.owner.from.user is not a simple-user: %v", err)
			}
		}
	}
	if r, ok := s.Repo("locked", "widgets"); !ok || len(r.CustomProperties) != 0 {
		t.Errorf("locked/widgets = %+v, %v", r, ok)
	}
	if _, err := s.TransferRepo("locked", "widgets", "nobody"); err == nil {
		t.Error("a transfer to no account succeeded")
	}
}

// TestWebhookSubscriptions: an organization webhook gets its organization's
// events only, and only the events it subscribes to; the star of Touch is
// not a repository event.
func TestWebhookSubscriptions(t *testing.T) {
	s, _, _ := start(t)
	acme, all, stars := newReceiver(t, 0), newReceiver(t, 0), newReceiver(t, 0)
	for _, h := range []fake.Webhook{{URL: acme.srv.URL, Org: "acme"}, {URL: all.srv.URL}, {URL: stars.srv.URL, Events: []string{"star"}}} {
		if _, err := s.AddWebhook(h); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddWebhook(fake.Webhook{URL: acme.srv.URL, Org: "nope"}); err == nil {
		t.Error("a webhook on an unknown organization was added")
	}
	if _, err := s.EditRepo("octocat", "personal", func(r *fake.Repo) error { r.Description = "mine"; return nil }); err != nil {
		t.Fatal(err)
	}
	widgets, _ := s.Repo("acme", "widgets")
	if err := s.Touch(widgets.ID); err != nil {
		t.Fatal(err)
	}
	all.wait(t, "repository", 1)
	star := stars.wait(t, "star", 1)[0]
	if p := decode(t, star.body); p["action"] != "created" || p["starred_at"] == nil {
		t.Errorf("star payload %s", star.body)
	}
	time.Sleep(50 * time.Millisecond)
	if acme.count("repository") != 0 || acme.count("star") != 0 || all.count("star") != 0 || stars.count("repository") != 0 {
		t.Errorf("deliveries: acme %d+%d, all star %d, stars repository %d; want none",
			acme.count("repository"), acme.count("star"), all.count("star"), stars.count("repository"))
	}
}

// TestWebhookNeverBlocksTheAPI: a receiver that does not answer holds up
// neither the API nor the knobs, and its deliveries fail after the
// delivery timeout, recorded.
func TestWebhookNeverBlocksTheAPI(t *testing.T) {
	s, base, _ := start(t)
	slow := newReceiver(t, time.Minute)
	if _, err := s.AddWebhook(fake.Webhook{URL: slow.srv.URL, Secret: hookSecret}); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	for i := range 5 {
		call(t, base, "PATCH", "/repos/acme/widgets", octocatToken, map[string]any{"description": strings.Repeat("x", i+1)}).expect(t, http.StatusOK, "")
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("5 updates took %s with a receiver that never answers", took)
	}
	deadline := time.Now().Add(3 * fake.DeliveryTimeout)
	for {
		ds := s.Deliveries()
		if len(ds) > 0 && ds[0].Error != "" {
			if ds[0].Status != 0 || ds[0].Event != "ping" {
				t.Errorf("first delivery %+v, want a ping without an answer", ds[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no delivery timed out: %+v", ds)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRedeliver sends a delivery again with the same GUID and body, as
// GitHub's "Redeliver" does.
func TestRedeliver(t *testing.T) {
	s, _, _ := start(t)
	rcv := newReceiver(t, 0)
	if _, err := s.AddWebhook(fake.Webhook{URL: rcv.srv.URL, Secret: hookSecret}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRepo("acme", "widgets"); err != nil {
		t.Fatal(err)
	}
	first := rcv.wait(t, "repository", 1)[0]
	var guid string
	for _, d := range s.Deliveries() {
		if d.Event == "repository" {
			guid = d.GUID
		}
	}
	if err := s.Redeliver(guid); err != nil {
		t.Fatal(err)
	}
	again := rcv.wait(t, "repository", 2)[1]
	if again.header.Get("X-GitHub-Delivery") != guid || first.header.Get("X-GitHub-Delivery") != guid || string(again.body) != string(first.body) ||
		again.header.Get("X-Hub-Signature-256") != first.header.Get("X-Hub-Signature-256") {
		t.Errorf("redelivery differs: %v %s", again.header, again.body)
	}
	if err := s.Redeliver("no-such-guid"); err == nil {
		t.Error("redelivering an unknown GUID succeeded")
	}
	ds := s.Deliveries()
	if last := ds[len(ds)-1]; !last.Redelivery || last.GUID != guid {
		t.Errorf("last delivery %+v, want the redelivery", last)
	}
}

// TestWebhookAdmin drives the webhook routes of /_fake/.
func TestWebhookAdmin(t *testing.T) {
	s, base, _ := start(t)
	rcv := newReceiver(t, 0)
	added := call(t, base, "POST", "/_fake/webhooks", "", map[string]any{"url": rcv.srv.URL, "secret": hookSecret, "org": "acme"})
	added.expect(t, http.StatusCreated, "")
	hook := added.json(t)
	if hook["secret"] != nil || hook["id"] == nil {
		t.Fatalf("added webhook %s", added.body)
	}
	if list := call(t, base, "GET", "/_fake/webhooks", "", nil); contains(list.body, hookSecret) || !contains(list.body, rcv.srv.URL) {
		t.Errorf("GET /_fake/webhooks = %s", list.body)
	}
	call(t, base, "POST", "/_fake/webhooks", "", map[string]any{"url": "ftp://x"}).expect(t, http.StatusBadRequest, "")
	call(t, base, "POST", "/_fake/repos/acme/widgets/transfer", "", map[string]any{"new_owner": "octocat"}).expect(t, http.StatusOK, "")
	rcv.wait(t, "repository", 1)
	var deliveries []fake.Delivery
	if err := json.Unmarshal(call(t, base, "GET", "/_fake/deliveries", "", nil).body, &deliveries); err != nil {
		t.Fatal(err)
	}
	if len(deliveries) != 2 || deliveries[1].Action != "transferred" || deliveries[1].Repository != "octocat/widgets" {
		t.Fatalf("deliveries %+v", deliveries)
	}
	call(t, base, "POST", "/_fake/deliveries/"+deliveries[1].GUID+"/redeliver", "", nil).expect(t, http.StatusAccepted, "")
	rcv.wait(t, "repository", 2)
	call(t, base, "POST", "/_fake/deliveries/nope/redeliver", "", nil).expect(t, http.StatusNotFound, "")
	call(t, base, "DELETE", "/_fake/webhooks/"+jsonString(hook["id"]), "", nil).expect(t, http.StatusNoContent, "")
	call(t, base, "DELETE", "/_fake/webhooks/"+jsonString(hook["id"]), "", nil).expect(t, http.StatusNotFound, "")
	call(t, base, "DELETE", "/_fake/deliveries", "", nil).expect(t, http.StatusNoContent, "")
	if len(s.Deliveries()) != 0 || len(s.Webhooks()) != 0 {
		t.Errorf("after the deletes: %d deliveries, %d webhooks", len(s.Deliveries()), len(s.Webhooks()))
	}
}

// TestWebhookURLs: payloads of API changes name the API the request used
// (the Enterprise prefix included); those of changes by hand name
// WithAPIURL.
func TestWebhookURLs(t *testing.T) {
	s, base, _ := start(t, fake.WithAPIURL("https://api.example.test/"))
	rcv := newReceiver(t, 0)
	if _, err := s.AddWebhook(fake.Webhook{URL: rcv.srv.URL}); err != nil {
		t.Fatal(err)
	}
	call(t, base, "PATCH", "/api/v3/repos/acme/widgets", octocatToken, map[string]any{"description": "api"}).expect(t, http.StatusOK, "")
	if _, err := s.EditRepo("acme", "widgets", func(r *fake.Repo) error { r.Description = "hand"; return nil }); err != nil {
		t.Fatal(err)
	}
	got := rcv.wait(t, "repository", 2)
	for i, want := range []string{strings.TrimSuffix(base, "/") + "/api/v3/repos/acme/widgets", "https://api.example.test/repos/acme/widgets"} {
		if u := decode(t, got[i].body)["repository"].(map[string]any)["url"]; u != want {
			t.Errorf("delivery %d: repository.url = %v, want %s", i, u, want)
		}
	}
}
