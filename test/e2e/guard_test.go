package e2e

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/testkit"
)

// TestNamespaceSweepIsHeld deletes a namespace of 8 GitHubRepos, all with
// the deletion policy Delete. The deletion guard, at its defaults (5
// deletions a credential in 10 minutes), lets 5 repositories go and holds
// 3, which stay held until each is confirmed as its status says. The
// labelled credentials Secret outlives the GitHubRepos that need it; then
// the namespace goes.
func TestNamespaceSweepIsHeld(t *testing.T) {
	parallel(t)
	timed(t)
	u := newUser(t, "g1")
	u.kubectlApply(fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: gh-token
  namespace: %s
  labels: {%s: "true"}
stringData: {token: %s, baseURL: "%s"}
`, u.ns, v1.LabelCredentials, u.token, env.GitHubURL))
	var names []string
	for i := range 8 {
		names = append(names, fmt.Sprintf("r%d", i))
		u.repo(names[i], fmt.Sprintf("  name: g1-r%d\n", i))
	}
	ids := map[string]int64{}
	for _, name := range names {
		ids[name] = u.waitCondition(name, v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, time.Minute).Status.RepoID
	}
	testkit.Eventually(t, 30*time.Second, "the credentials Secret held by the credentials controller", func() (bool, string) {
		s, err := u.kube.CoreV1().Secrets(u.ns).Get(testkit.Context(t), "gh-token", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return slices.Contains(s.Finalizers, "metacontroller.io/decoratorcontroller-githubrepo-credentials"), fmt.Sprintf("finalizers %v", s.Finalizers)
	})

	swept := time.Now()
	u.kubectlOK("delete", "namespace", u.ns, "--wait=false")
	deleted := func() []string {
		var out []string
		for _, name := range names {
			if _, ok := env.GitHub.RepoByID(ids[name]); !ok {
				out = append(out, name)
			}
		}
		return out
	}
	held := map[string]string{} // name → the condition's message
	testkit.Eventually(t, 2*time.Minute, "5 repositories deleted and 3 held", func() (bool, string) {
		list, err := u.dyn.Resource(ghrGVR).Namespace(u.ns).List(testkit.Context(t), metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		clear(held)
		for _, item := range list.Items {
			r, err := toRepo(item.Object)
			if err != nil {
				return false, err.Error()
			}
			if c := meta.FindStatusCondition(r.Status.Conditions, v1.ConditionError); c != nil && c.Reason == v1.ReasonDeletionGuard {
				held[r.Name] = c.Message
			}
		}
		return len(deleted()) == 5 && len(held) == 3, fmt.Sprintf("deleted %v, held %v", deleted(), held)
	})
	t.Logf("5 deleted and 3 held %s after the namespace was deleted", time.Since(swept).Round(100*time.Millisecond))

	// Held stays held: the GitHubRepos are resynced every 5s.
	time.Sleep(12 * time.Second)
	if got := deleted(); len(got) != 5 {
		t.Fatalf("held deletions went on unconfirmed: deleted %v", got)
	}
	if _, err := u.kube.CoreV1().Secrets(u.ns).Get(testkit.Context(t), "gh-token", metav1.GetOptions{}); err != nil {
		t.Fatalf("the credentials Secret is gone while GitHubRepos need it: %v", err)
	}

	// Each held GitHubRepo's message names the command that confirms it.
	confirm := regexp.MustCompile(`kubectl annotate githubrepo \S+ -n \S+ \S+=true`)
	for name, msg := range held {
		cmd := confirm.FindString(msg)
		if cmd == "" {
			t.Fatalf("%s: the message does not say how to confirm: %q", name, msg)
		}
		u.kubectlOK(strings.Fields(cmd)[1:]...)
	}
	testkit.Eventually(t, 2*time.Minute, "every repository deleted and the namespace gone", func() (bool, string) {
		_, err := u.kube.CoreV1().Namespaces().Get(testkit.Context(t), u.ns, metav1.GetOptions{})
		return len(deleted()) == 8 && apierrors.IsNotFound(err), fmt.Sprintf("deleted %v; namespace: %v", deleted(), err)
	})
}
