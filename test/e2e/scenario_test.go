package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
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

// kubectl runs kubectl against the stack, as a user would.
func (u *user) kubectl(args ...string) (string, error) {
	cmd := exec.Command("kubectl", append([]string{"--kubeconfig", env.ControlPlane.KubeconfigPath}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (u *user) kubectlApply(manifest string) {
	u.t.Helper()
	cmd := exec.Command("kubectl", "--kubeconfig", env.ControlPlane.KubeconfigPath, "apply", "-f", "-")
	cmd.Stdin = strings.NewReader(manifest)
	if out, err := cmd.CombinedOutput(); err != nil {
		u.t.Fatalf("kubectl apply: %v\n%s\n%s", err, out, manifest)
	}
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
	obj, err := u.dyn.Resource(ghrGVR).Namespace(u.ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		u.t.Fatalf("get ghr %s: %v", name, err)
	}
	var r v1.GitHubRepo
	b, _ := json.Marshal(obj.Object)
	if err := json.Unmarshal(b, &r); err != nil {
		u.t.Fatal(err)
	}
	return &r
}

// waitFor polls the GitHubRepo until cond holds.
func (u *user) waitFor(name, what string, within time.Duration, cond func(r *v1.GitHubRepo) bool) *v1.GitHubRepo {
	u.t.Helper()
	deadline := time.Now().Add(within)
	for {
		r := u.get(name)
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			b, _ := json.MarshalIndent(r.Status, "", "  ")
			u.t.Fatalf("ghr %s/%s: %s not reached within %s; status:\n%s", u.ns, name, what, within, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitCondition waits for a condition with the given status and reason.
func (u *user) waitCondition(name, typ, status, reason string, within time.Duration) *v1.GitHubRepo {
	u.t.Helper()
	return u.waitFor(name, typ+"="+status+"/"+reason, within, func(r *v1.GitHubRepo) bool {
		c := meta.FindStatusCondition(r.Status.Conditions, typ)
		return c != nil && string(c.Status) == status && c.Reason == reason && c.ObservedGeneration == r.Generation
	})
}

func (u *user) requests(f fake.RequestFilter) []fake.Request {
	f.User = u.login
	return env.GitHub.Requests(f)
}

func (u *user) waitGone(name string, within time.Duration) {
	u.t.Helper()
	deadline := time.Now().Add(within)
	for {
		_, err := u.dyn.Resource(ghrGVR).Namespace(u.ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return
		}
		if time.Now().After(deadline) {
			u.t.Fatalf("ghr %s/%s still exists after %s", u.ns, name, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
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
	cm, err := u.kube.CoreV1().ConfigMaps(u.ns).Get(context.Background(), "widgets-github", metav1.GetOptions{})
	if err != nil || cm.Data["repoID"] != fmt.Sprint(r.Status.RepoID) {
		t.Errorf("record ConfigMap = %v, %v", cm, err)
	}
}
