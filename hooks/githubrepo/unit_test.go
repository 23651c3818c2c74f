package githubrepo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/budget"
	"github.com/hookops/hookops/hooks/metacontroller"
)

func ptr[T any](v T) *T { return &v }

func TestDiff(t *testing.T) {
	observed := func() *github.Repository {
		return &github.Repository{
			Name: ptr("widgets"), Visibility: ptr("private"), Description: ptr("old"), Homepage: ptr(""),
			Topics: []string{"go", "k8s"}, HasIssues: ptr(true), HasWiki: ptr(true), DefaultBranch: ptr("main"),
		}
	}
	cases := []struct {
		name  string
		spec  v1.GitHubRepoSpec
		repo  func(*github.Repository)
		check func(t *testing.T, p plan)
	}{
		{"unset fields are not managed", v1.GitHubRepoSpec{}, nil, func(t *testing.T, p plan) {
			if !p.empty() {
				t.Errorf("plan = %+v, want empty", p)
			}
		}},
		{"only what differs is patched", v1.GitHubRepoSpec{Description: ptr("new"), Visibility: ptr(v1.Private), Features: &v1.Features{Issues: ptr(true), Wiki: ptr(false)}}, nil, func(t *testing.T, p plan) {
			want := &github.Repository{Description: ptr("new"), HasWiki: ptr(false)}
			if p.patch == nil || github.Stringify(p.patch) != github.Stringify(want) {
				t.Errorf("patch = %v, want %v", github.Stringify(p.patch), github.Stringify(want))
			}
		}},
		{"clearing a description is a change", v1.GitHubRepoSpec{Description: ptr("")}, nil, func(t *testing.T, p plan) {
			if p.patch == nil || p.patch.Description == nil || *p.patch.Description != "" {
				t.Errorf("patch = %v", github.Stringify(p.patch))
			}
		}},
		{"topics compare as a set", v1.GitHubRepoSpec{Topics: ptr([]string{"k8s", "go", "go"})}, nil, func(t *testing.T, p plan) {
			if p.topics != nil {
				t.Errorf("topics = %v, want unchanged", *p.topics)
			}
		}},
		{"an empty topic list is managed", v1.GitHubRepoSpec{Topics: ptr([]string{})}, nil, func(t *testing.T, p plan) {
			if p.topics == nil || len(*p.topics) != 0 {
				t.Errorf("topics = %v, want []", p.topics)
			}
		}},
		{"rename", v1.GitHubRepoSpec{}, func(r *github.Repository) { r.Name = ptr("old-name") }, func(t *testing.T, p plan) {
			if p.patch == nil || p.patch.GetName() != "widgets" {
				t.Errorf("patch = %v", github.Stringify(p.patch))
			}
		}},
		{"unarchive first", v1.GitHubRepoSpec{Archived: ptr(false)}, func(r *github.Repository) { r.Archived = ptr(true) }, func(t *testing.T, p plan) {
			if !p.unarchive || p.archive {
				t.Errorf("plan = %+v", p)
			}
		}},
		{"archive last", v1.GitHubRepoSpec{Archived: ptr(true), Description: ptr("x")}, nil, func(t *testing.T, p plan) {
			if p.unarchive || !p.archive || p.patch == nil || p.patch.Archived != nil {
				t.Errorf("plan = %+v", p)
			}
		}},
		{"visibility falls back on private", v1.GitHubRepoSpec{Visibility: ptr(v1.Public)}, func(r *github.Repository) { r.Visibility = nil; r.Private = ptr(false) }, func(t *testing.T, p plan) {
			if !p.empty() {
				t.Errorf("plan = %+v", p)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := observed()
			if c.repo != nil {
				c.repo(r)
			}
			c.check(t, diff(&c.spec, "widgets", r))
		})
	}
}

func TestRetryDelay(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	plain := newFailure(v1.ReasonGitHubUnavailable, "down")
	cases := []struct {
		name     string
		f        *failure
		n        int32
		jitter   float64
		min, max time.Duration
	}{
		{"first failure", plain, 1, 0.5, 5 * time.Second, 5 * time.Second},
		{"grows", plain, 3, 0.5, 20 * time.Second, 20 * time.Second},
		{"capped", plain, 12, 0.5, 5 * time.Minute, 5 * time.Minute},
		{"jitter low", plain, 2, 0, 9 * time.Second, 9 * time.Second},
		{"jitter high", plain, 2, 0.999, 10900 * time.Millisecond, 11 * time.Second},
		{"primary limit waits for reset", &failure{resetAt: now.Add(90 * time.Second)}, 1, 0.5, 91 * time.Second, 91 * time.Second},
		{"reset in the past", &failure{resetAt: now.Add(-time.Minute)}, 1, 0.5, time.Second, time.Second},
		{"secondary without Retry-After", &failure{secondary: true}, 1, 0.5, time.Minute, time.Minute},
		{"secondary grows", &failure{secondary: true}, 3, 0.5, 4 * time.Minute, 4 * time.Minute},
		{"secondary honours Retry-After", &failure{secondary: true, retryAfter: 10 * time.Minute}, 1, 0.5, 10 * time.Minute, 10 * time.Minute},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := retryDelay(c.f, c.n, now, c.jitter)
			if d < c.min || d > c.max {
				t.Errorf("delay = %s, want in [%s, %s]", d, c.min, c.max)
			}
		})
	}
}

func secret(data map[string]string) metacontroller.Object {
	enc := map[string]any{}
	for k, v := range data {
		enc[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	return metacontroller.Object{"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "gh-token", "namespace": "team-a"}, "data": enc}
}

// GitHub answers a spent primary limit with 403 or 429 and remaining 0; a
// secondary limit with 403 or 429 and its own message.
// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
func TestClassifyRateLimits(t *testing.T) {
	reset := time.Now().Add(20 * time.Minute).Truncate(time.Second)
	answer := func(code int, msg string, kv ...string) error {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return &github.ErrorResponse{Response: &http.Response{StatusCode: code, Header: h, Request: &http.Request{Method: "POST", URL: &url.URL{}}}, Message: msg}
	}
	for _, c := range []struct {
		name      string
		err       error
		primary   bool
		secondary bool
		word      string
	}{
		{"429, remaining 0: primary", answer(429, "API rate limit exceeded for user ID 1.", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10)), true, false, "primary"},
		{"429 secondary message", answer(429, "You have exceeded a secondary rate limit.", "Retry-After", "30"), false, true, "secondary"},
		{"429 without anything", answer(429, ""), false, true, "secondary"},
		{"403 secondary message", answer(403, "You have exceeded a secondary rate limit."), false, true, "secondary"},
		{"the budget's own", &budget.LimitedError{Until: reset, Limit: "80 content-creating requests per 1m0s"}, false, false, "80 content-creating"},
		{"GitHub said, through the budget", &budget.LimitedError{Until: reset, Limit: "GitHub's secondary rate limit", GitHub: true}, false, false, "GitHub's secondary rate limit holds"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := classify(c.err, "create the repository")
			if f.reason != v1.ReasonRateLimited || f.secondary != c.secondary || (c.primary && !f.resetAt.Equal(reset)) || !strings.Contains(f.message, c.word) {
				t.Errorf("failure %+v, want RateLimited (primary %v, secondary %v) saying %q", f, c.primary, c.secondary, c.word)
			}
		})
	}
}

// Failures without an answer GitHub gave say what happened: no answer in
// time, no connection, or an answer that could not be read.
func TestClassifyUnanswered(t *testing.T) {
	var shape error = &json.UnmarshalTypeError{Value: "array", Field: "custom_properties", Type: reflect.TypeFor[string]()}
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), "GitHub did not answer in time while trying to read"},
		{"connection refused", errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), "GitHub could not be reached while trying to read"},
		{"unreadable body", fmt.Errorf("decode: %w", shape), "GitHub's answer could not be read while trying to read"},
		{"not JSON", fmt.Errorf("decode: %w", json.Unmarshal([]byte("<html>"), new(any))), "GitHub's answer could not be read while trying to read"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := classify(c.err, "read the repository")
			if f.reason != v1.ReasonGitHubUnavailable || !strings.Contains(f.message, c.want) {
				t.Errorf("failure %+v, want GitHubUnavailable saying %q", f, c.want)
			}
		})
	}
}

func TestReadCredentials(t *testing.T) {
	repo := func(ref v1.SecretKeyRef) *v1.GitHubRepo {
		r := &v1.GitHubRepo{Spec: v1.GitHubRepoSpec{CredentialsSecretRef: ref}}
		r.Namespace = "team-a"
		return r
	}
	related := func(s metacontroller.Object) metacontroller.ObjectMap {
		return metacontroller.ObjectMap{"Secret.v1": {"gh-token": s}}
	}
	cases := []struct {
		name    string
		ref     v1.SecretKeyRef
		related metacontroller.ObjectMap
		reason  string
		base    string
	}{
		{"ok", v1.SecretKeyRef{Name: "gh-token"}, related(secret(map[string]string{"token": "t0ken"})), "", ""},
		{"custom key", v1.SecretKeyRef{Name: "gh-token", Key: "pat"}, related(secret(map[string]string{"pat": "t0ken"})), "", ""},
		{"enterprise", v1.SecretKeyRef{Name: "gh-token"}, related(secret(map[string]string{"token": "t", "baseURL": "https://ghe.example/api/v3"})), "", "https://ghe.example/api/v3/"},
		{"bad base URL", v1.SecretKeyRef{Name: "gh-token"}, related(secret(map[string]string{"token": "t", "baseURL": "ghe.example"})), v1.ReasonInvalidSpec, ""},
		{"other namespace", v1.SecretKeyRef{Name: "gh-token", Namespace: "team-b"}, related(secret(map[string]string{"token": "t"})), v1.ReasonCrossNamespaceSecretRef, ""},
		{"own namespace spelled out", v1.SecretKeyRef{Name: "gh-token", Namespace: "team-a"}, related(secret(map[string]string{"token": "t"})), "", ""},
		{"missing secret", v1.SecretKeyRef{Name: "gh-token"}, metacontroller.ObjectMap{}, v1.ReasonSecretNotFound, ""},
		{"missing key", v1.SecretKeyRef{Name: "gh-token"}, related(secret(map[string]string{"other": "t"})), v1.ReasonSecretKeyMissing, ""},
		{"empty token", v1.SecretKeyRef{Name: "gh-token"}, related(secret(map[string]string{"token": " \n"})), v1.ReasonSecretKeyMissing, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			creds, f := readCredentials(repo(c.ref), c.related)
			switch {
			case c.reason == "" && f != nil:
				t.Fatalf("failure %s: %s", f.reason, f.message)
			case c.reason != "" && (f == nil || f.reason != c.reason):
				t.Fatalf("failure = %+v, want reason %s", f, c.reason)
			case c.reason == "" && creds.baseURL != c.base:
				t.Errorf("baseURL = %q, want %q", creds.baseURL, c.base)
			}
			if f != nil && strings.Contains(f.message, "t0ken") {
				t.Errorf("message leaks the token: %s", f.message)
			}
		})
	}
}

func TestCredentialsNeverPrintTheToken(t *testing.T) {
	c := credentials{token: "ghp_supersecret", baseURL: "https://ghe/api/v3/"}
	for _, s := range []string{c.String(), c.GoString(), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), c.id()} {
		if strings.Contains(s, "supersecret") {
			t.Errorf("%q shows the token", s)
		}
	}
	app := credentials{app: &appCredentials{id: 7, privateKey: []byte("-----BEGIN RSA PRIVATE KEY-----\nsecretkey\n")}}
	for _, s := range []string{app.String(), app.GoString(), fmt.Sprintf("%v %+v %#v %s", app, app, app, app), app.id()} {
		if strings.Contains(s, "secretkey") || strings.Contains(s, "PRIVATE") {
			t.Errorf("%q shows the App's key", s)
		}
	}
}

func TestCustomize(t *testing.T) {
	parent := func(ref map[string]any) metacontroller.Object {
		return metacontroller.Object{"apiVersion": v1.APIVersion, "kind": v1.Kind,
			"metadata": map[string]any{"name": "widgets", "namespace": "team-a"},
			"spec":     map[string]any{"owner": "acme", "credentialsSecretRef": ref}}
	}
	h := New(nil)
	resp, err := h.Customize(context.Background(), &metacontroller.CustomizeRequest{Parent: parent(map[string]any{"name": "gh-token"})})
	if err != nil {
		t.Fatal(err)
	}
	rules := resp.RelatedResources
	if len(rules) != 1 || rules[0].Resource != "secrets" || rules[0].Namespace != "team-a" || len(rules[0].Names) != 1 || rules[0].Names[0] != "gh-token" {
		t.Errorf("rules = %+v, want exactly Secret team-a/gh-token", rules)
	}
	resp, _ = h.Customize(context.Background(), &metacontroller.CustomizeRequest{Parent: parent(map[string]any{"name": "gh-token", "namespace": "team-b"})})
	if len(resp.RelatedResources) != 0 {
		t.Errorf("a cross-namespace reference asked for %+v", resp.RelatedResources)
	}
}
