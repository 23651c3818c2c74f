package e2e

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/stack"
	"github.com/hookops/hookops/test/testkit"
)

// driftDeadline is how soon after GitHub's event a change made by hand must
// be put back.
const driftDeadline = 5 * time.Second

// Drift reported by GitHub's repository events is put back within 5 s,
// while the controller resyncs only hourly: the webhook receiver annotates
// the GitHubRepo and Metacontroller syncs it at once.
//
// The shared stack resyncs every GitHubRepo every 5 s, so drift there is put
// back within about 5 s with or without events, and a measurement there
// could not tell which brought the correction. This scenario runs on an
// installation of its own that resyncs once an hour (the hook server's
// --resync-interval=1h, and resyncPeriodSeconds 3600 in place of the
// stack's 5 s), so nothing but an event can bring a sync within the
// measurement, and each correction is also tied to its
// delivery: the receiver answered it "triggered". As a control, a change
// GitHub sends no event for (a feature switched on) is not put back.
// The receiver runs as its ServiceAccount, under the shipped RBAC and
// admission policy. A delivery with a bad signature and a replayed
// delivery must then bring nothing: no write of the GitHubRepo (its
// resourceVersion stays) and no request to GitHub.
func TestWebhookDriftIsPutBack(t *testing.T) {
	parallel(t)
	timed(t)
	s, kubectl := startInstallation(t, stack.Options{Webhooks: true, ResyncPeriodSeconds: 3600, HookArgs: []string{"--resync-interval=1h"}})
	dyn := dynamic.NewForConfigOrDie(s.ControlPlane.Config)
	kubectl(fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata: {name: team-w}
---
apiVersion: v1
kind: Secret
metadata: {name: gh-token, namespace: team-w}
stringData: {token: fake-token, baseURL: %q}
---
apiVersion: github.hookops.dev/v1
kind: GitHubRepo
metadata: {name: hooked, namespace: team-w}
spec:
  owner: acme
  visibility: private
  description: Kept in line by events
  topics: [drift, webhooks]
  features: {wiki: false}
  archived: false
  credentialsSecretRef: {name: gh-token}
`, s.GitHubURL), "apply", "-f", "-")
	get := func() *v1.GitHubRepo {
		t.Helper()
		obj, err := dyn.Resource(ghrGVR).Namespace("team-w").Get(testkit.Context(t), "hooked", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r, err := toRepo(obj.Object)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	testkit.Eventually(t, time.Minute, "the repository created and Synced", func() (bool, string) {
		r := get()
		return hasCondition(r, v1.ConditionSynced, "True", v1.ReasonReconcileSuccess) && r.Status.RepoID != 0, formatStatus(r)
	})
	id := get().Status.RepoID
	matches := func() (bool, string) {
		repo, ok := s.GitHub.RepoByID(id)
		return ok && repo.Name == "hooked" && repo.Description == "Kept in line by events" && repo.Visibility == "private" &&
			!repo.Archived && !repo.HasWiki && sortedTopics(repo.Topics) == "drift,webhooks", fmt.Sprintf("%+v", repo)
	}
	quiet(t, s)

	for _, tc := range []struct {
		name, action string
		edit         func(*fake.Repo)
	}{
		{"description changed", "edited", func(r *fake.Repo) { r.Description = "changed by hand" }},
		{"archived", "archived", func(r *fake.Repo) { r.Archived = true }},
		{"renamed", "renamed", func(r *fake.Repo) { r.Name = "hooked-by-hand" }},
		{"made public", "publicized", func(r *fake.Repo) { r.Visibility = "public" }},
		{"topics replaced", "edited", func(r *fake.Repo) { r.Topics = []string{"manual"} }},
	} {
		edited := time.Now()
		if _, err := s.GitHub.EditRepo("acme", "hooked", func(r *fake.Repo) error { tc.edit(r); return nil }); err != nil {
			t.Fatal(err)
		}
		testkit.EventuallyEvery(t, driftDeadline, 20*time.Millisecond, tc.name+": drift put back within "+driftDeadline.String(), matches)
		fixed := time.Since(edited)
		d := deliveryOf(t, s, tc.action, edited)
		if d.Status != http.StatusOK || !strings.Contains(d.Response, `"triggered"`) {
			t.Errorf("%s: the %s delivery was answered %d %q, want 200 triggered", tc.name, tc.action, d.Status, d.Response)
		}
		// The fake changes the repository before it logs the request, once
		// answered, so the write may show a moment after its effect.
		var fix time.Time
		testkit.EventuallyEvery(t, driftDeadline, 20*time.Millisecond, tc.name+": the drift put back by a write to GitHub", func() (bool, string) {
			fix = firstWrite(s.GitHub.Requests(fake.RequestFilter{}), edited)
			return !fix.IsZero(), "no write to GitHub since the edit"
		})
		t.Logf("%s: delivery answered %s after the edit, first write to GitHub after %s, drift put back after %s",
			tc.name, d.Delivered.Sub(edited).Round(time.Millisecond), fix.Sub(edited).Round(time.Millisecond), fixed.Round(time.Millisecond))
		quiet(t, s)
	}
	// The control: GitHub sends no repository event for a change of
	// features, and with the hourly resync nothing else brings a sync, so
	// this drift stays. The corrections above came from the events.
	if _, err := s.GitHub.EditRepo("acme", "hooked", func(r *fake.Repo) error { r.HasWiki = true; return nil }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(driftDeadline)
	if repo, _ := s.GitHub.RepoByID(id); !repo.HasWiki {
		t.Errorf("a change GitHub sends no event for was put back within %s: something other than the events syncs", driftDeadline)
	}

	if guid := get().Annotations[v1.AnnotationGitHubEvent]; !slices.ContainsFunc(s.GitHub.Deliveries(), func(d fake.Delivery) bool { return d.GUID == guid }) {
		t.Errorf("annotation %s = %q names no delivery of the fake", v1.AnnotationGitHubEvent, guid)
	}

	// The last repository delivery, which was handled: the model of a forgery
	// and the one to replay.
	var last fake.Delivery
	for _, d := range s.GitHub.Deliveries() {
		if d.Event == "repository" && d.Status == http.StatusOK {
			last = d
		}
	}
	t.Run("bad signature triggers nothing", func(t *testing.T) {
		header := last.Header.Clone()
		header.Set("X-GitHub-Delivery", "forged-0000-0000-0000-000000000001")
		header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(fake.Sign([]byte("a guess"), last.Payload)))
		status, body := post(t, s.WebhookURL, header, last.Payload)
		if status != http.StatusUnauthorized || !strings.Contains(body, `"error"`) {
			t.Fatalf("forged delivery answered %d %s, want 401 with an error", status, body)
		}
		nothingHappens(t, s, get)
	})
	t.Run("replayed delivery triggers nothing", func(t *testing.T) {
		// A copy of the delivery from outside, with its valid signature...
		status, body := post(t, s.WebhookURL, last.Header, last.Payload)
		if status != http.StatusOK || !strings.Contains(body, "duplicate") {
			t.Fatalf("replayed delivery answered %d %s, want 200 duplicate", status, body)
		}
		// ... and GitHub's own "Redeliver", which keeps the GUID.
		if err := s.GitHub.Redeliver(last.GUID); err != nil {
			t.Fatal(err)
		}
		testkit.Eventually(t, 10*time.Second, "the redelivery answered", func() (bool, string) {
			ds := s.GitHub.Deliveries()
			r := ds[len(ds)-1]
			return r.Redelivery && r.GUID == last.GUID && r.Status != 0, fmt.Sprintf("%+v", r)
		})
		if ds := s.GitHub.Deliveries(); !strings.Contains(ds[len(ds)-1].Response, "duplicate") {
			t.Errorf("redelivery answered %d %q, want duplicate", ds[len(ds)-1].Status, ds[len(ds)-1].Response)
		}
		nothingHappens(t, s, get)
	})
	metrics := httpGet(t, s.ReceiverURL+"/metrics")
	for _, want := range []string{`outcome="unauthorized"} 1`, `outcome="duplicate"} 2`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("receiver metrics lack %s:\n%s", want, grepLines(metrics, "hookops_github_webhook_deliveries_total"))
		}
	}
}

// quiet waits until the installation is idle: no request to GitHub and no
// delivery for a second (the hook's own writes send events, whose syncs
// find nothing to do).
func quiet(t *testing.T, s *stack.Stack) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var last time.Time
		later := func(ts ...time.Time) {
			for _, x := range ts {
				if x.After(last) {
					last = x
				}
			}
		}
		for _, r := range s.GitHub.Requests(fake.RequestFilter{}) {
			later(r.Time)
		}
		for _, d := range s.GitHub.Deliveries() {
			later(d.Time, d.Delivered)
		}
		if time.Since(last) > time.Second {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still busy after 30s; last activity at %s", last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// nothingHappens checks for 3 s that the GitHubRepo is not written and
// nothing is sent to GitHub: with an hourly resync, nothing should.
func nothingHappens(t *testing.T, s *stack.Stack, get func() *v1.GitHubRepo) {
	t.Helper()
	rv, start := get().ResourceVersion, time.Now()
	time.Sleep(3 * time.Second)
	if got := get().ResourceVersion; got != rv {
		t.Errorf("the GitHubRepo was written (resourceVersion %s -> %s)", rv, got)
	}
	if reqs := since(s.GitHub.Requests(fake.RequestFilter{}), start); len(reqs) > 0 {
		t.Errorf("GitHub was called:\n%s", formatRequests(reqs))
	}
}

// deliveryOf is the first delivery of a repository event with action made
// at or after t, once it was answered.
func deliveryOf(t *testing.T, s *stack.Stack, action string, after time.Time) fake.Delivery {
	t.Helper()
	var found fake.Delivery
	testkit.Eventually(t, 10*time.Second, "the "+action+" delivery answered", func() (bool, string) {
		for _, d := range s.GitHub.Deliveries() {
			if d.Event == "repository" && d.Action == action && !d.Time.Before(after) && !d.Redelivery {
				found = d
				return d.Status != 0 || d.Error != "", fmt.Sprintf("%+v", d)
			}
		}
		return false, "no delivery yet"
	})
	return found
}

// firstWrite is when the first write to GitHub after t started.
func firstWrite(reqs []fake.Request, after time.Time) time.Time {
	for _, r := range mutations(since(reqs, after)) {
		return r.Time
	}
	return time.Time{}
}

func post(t *testing.T, url string, header http.Header, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(testkit.Context(t), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(testkit.Context(t), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grepLines(text, substr string) string {
	var out []string
	for line := range strings.Lines(text) {
		if strings.Contains(line, substr) {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return strings.Join(out, "\n")
}
