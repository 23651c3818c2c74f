package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/testkit"
)

var ghrGVR = schema.GroupVersionResource{Group: v1.Group, Version: v1.Version, Resource: v1.Resource}

// user is one scenario's namespace, GitHub account and token.
type user struct {
	t     *testing.T
	ns    string
	login string
	token string
	kube  kubernetes.Interface
	dyn   dynamic.Interface
}

func newUser(t *testing.T, id string) *user {
	t.Helper()
	// The test's own reads must not queue behind client-go's default
	// 5 requests a second.
	cfg := rest.CopyConfig(env.ControlPlane.Config)
	cfg.QPS, cfg.Burst = 50, 100
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	u := &user{t: t, ns: "e2e-" + id, login: "user-" + id, token: "token-" + id, kube: kube, dyn: dyn}
	u.kubectlApply(fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n", u.ns))
	t.Cleanup(func() {
		if t.Failed() {
			u.dump()
		}
		u.teardown()
	})
	return u
}

// in is u for a subtest: its failures go to t, the subtest's own test.
func (u *user) in(t *testing.T) *user {
	c := *u
	c.t = t
	return &c
}

// kubectl runs kubectl against the stack, as a user would.
func (u *user) kubectl(args ...string) (string, error) {
	return u.kubectlIn("", args...)
}

// kubectlIn runs kubectl with stdin, if not empty, as its input.
func (u *user) kubectlIn(stdin string, args ...string) (string, error) {
	return testkit.Kubectl(env.ControlPlane.KubeconfigPath, stdin, args...)
}

// applyErr applies a manifest with kubectl and returns what it printed.
func (u *user) applyErr(manifest string) (string, error) {
	return u.kubectlIn(manifest, "apply", "-f", "-")
}

// kubectlApply applies a manifest and fails the test when kubectl fails.
func (u *user) kubectlApply(manifest string) string {
	u.t.Helper()
	out, err := u.applyErr(manifest)
	if err != nil {
		u.t.Fatalf("kubectl apply: %v\n%s\n%s", err, out, manifest)
	}
	return out
}

// secret applies the token Secret, pointing at the fake GitHub.
func (u *user) secret() {
	u.t.Helper()
	u.kubectlApply(fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: gh-token, namespace: %s}
stringData: {token: %s, baseURL: "%s"}
`, u.ns, u.token, env.GitHubURL))
}

// repo applies a GitHubRepo named name with the given spec lines (YAML, indented by 2).
func (u *user) repo(name, spec string) {
	u.t.Helper()
	u.kubectlApply(fmt.Sprintf(`apiVersion: github.hookops.dev/v1
kind: GitHubRepo
metadata: {name: %s, namespace: %s}
spec:
  owner: acme
  credentialsSecretRef: {name: gh-token}
%s`, name, u.ns, spec))
}

func (u *user) get(name string) *v1.GitHubRepo {
	u.t.Helper()
	obj, err := u.dyn.Resource(ghrGVR).Namespace(u.ns).Get(testkit.Context(u.t), name, metav1.GetOptions{})
	if err != nil {
		u.t.Fatalf("get ghr %s: %v", name, err)
	}
	r, err := toRepo(obj.Object)
	if err != nil {
		u.t.Fatalf("ghr %s: %v", name, err)
	}
	return r
}

// waitPoll is how often waitFor and waitGone look at the GitHubRepo.
const waitPoll = 200 * time.Millisecond

// waitFor polls the GitHubRepo until cond holds.
func (u *user) waitFor(name, what string, within time.Duration, cond func(r *v1.GitHubRepo) bool) *v1.GitHubRepo {
	u.t.Helper()
	var r *v1.GitHubRepo
	testkit.EventuallyEvery(u.t, within, waitPoll, fmt.Sprintf("ghr %s/%s: %s", u.ns, name, what), func() (bool, string) {
		r = u.get(name)
		if cond(r) {
			return true, ""
		}
		b, _ := json.MarshalIndent(r.Status, "", "  ")
		return false, fmt.Sprintf("status:\n%s", b)
	})
	return r
}

// waitCondition waits for a condition with the given status and reason.
func (u *user) waitCondition(name, typ, status, reason string, within time.Duration) *v1.GitHubRepo {
	u.t.Helper()
	return u.waitFor(name, typ+"="+status+"/"+reason, within, func(r *v1.GitHubRepo) bool {
		return hasCondition(r, typ, status, reason)
	})
}

func (u *user) requests(f fake.RequestFilter) []fake.Request {
	f.User = u.login
	return env.GitHub.Requests(f)
}

// waitGone polls until the GitHubRepo is no longer stored.
func (u *user) waitGone(name string, within time.Duration) {
	u.t.Helper()
	testkit.EventuallyEvery(u.t, within, waitPoll, fmt.Sprintf("ghr %s/%s gone", u.ns, name), func() (bool, string) {
		return !u.exists(name), fmt.Sprintf("ghr %s/%s still exists", u.ns, name)
	})
}

// Scenario 1: a Secret and a GitHubRepo → Ready; exactly one repository
// with the spec's settings; kubectl shows the printer columns.
func TestApplyGitHubRepo(t *testing.T) {
	u := newUser(t, "s1")
	u.secret()
	u.repo("widgets", `  name: s1-widgets
  visibility: public
  description: Widgets for everyone
  topics: [go, kubernetes]
  features: {issues: true, wiki: false}
`)
	r := u.waitCondition("widgets", v1.ConditionReady, "True", v1.ReasonAvailable, 30*time.Second)
	repo, ok := env.GitHub.RepoByID(r.Status.RepoID)
	if !ok {
		t.Fatalf("fake GitHub has no repository %d", r.Status.RepoID)
	}
	if repo.FullName() != "acme/s1-widgets" || repo.Visibility != "public" || repo.Description != "Widgets for everyone" ||
		strings.Join(repo.Topics, ",") != "go,kubernetes" || !repo.HasIssues || repo.HasWiki {
		t.Errorf("repository = %+v", repo)
	}
	if n := len(u.requests(fake.RequestFilter{Method: "POST"})); n != 1 {
		t.Errorf("%d create requests, want 1", n)
	}
	out, err := u.kubectl("get", "ghr", "-n", u.ns)
	if err != nil {
		t.Fatal(err, out)
	}
	header := strings.Fields(strings.SplitN(out, "\n", 2)[0])
	if strings.Join(header, " ") != "NAME REPO VISIBILITY READY SYNCED AGE" {
		t.Errorf("kubectl get ghr header = %v", header)
	}
	if !strings.Contains(out, "acme/s1-widgets") || !strings.Contains(out, "True") {
		t.Errorf("kubectl get ghr:\n%s", out)
	}
	cm, err := u.kube.CoreV1().ConfigMaps(u.ns).Get(testkit.Context(t), "widgets-github", metav1.GetOptions{})
	if err != nil || cm.Data["repoID"] != fmt.Sprint(r.Status.RepoID) {
		t.Errorf("record ConfigMap = %v, %v", cm, err)
	}
}
