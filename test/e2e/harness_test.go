package e2e

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/standin"
	"github.com/hookops/hookops/test/testkit"
)

// serial runs every scenario one after the other instead of in parallel:
// go test ./test/e2e -args -e2e.serial
var serial = flag.Bool("e2e.serial", false, "run the e2e scenarios one at a time")

// parallel lets a scenario run beside the others: each has its own
// namespace, GitHub user and token (so its own pacing and rate-limit
// budget), and the fake's faults are set on paths only its repositories use.
func parallel(t *testing.T) {
	if !*serial {
		t.Parallel()
	}
}

// timed logs how long a scenario took, for the report.
func timed(t *testing.T) {
	start := time.Now()
	t.Cleanup(func() { t.Logf("scenario took %s", time.Since(start).Round(100*time.Millisecond)) })
}

// kubectlOK runs kubectl and fails the test when it fails.
func (u *user) kubectlOK(args ...string) string {
	u.t.Helper()
	out, err := u.kubectl(args...)
	if err != nil {
		u.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// patch merge-patches a GitHubRepo with kubectl, as a user would.
func (u *user) patch(name, patch string) {
	u.t.Helper()
	u.kubectlOK("patch", "ghr", name, "-n", u.ns, "--type", "merge", "-p", patch)
}

// deleteRepos asks for the deletion of GitHubRepos without waiting for
// their finalizers.
func (u *user) deleteRepos(names ...string) {
	u.t.Helper()
	u.kubectlOK(append([]string{"delete", "ghr", "-n", u.ns, "--wait=false"}, names...)...)
}

// exists reports whether the GitHubRepo is still stored.
func (u *user) exists(name string) bool {
	_, err := u.dyn.Resource(ghrGVR).Namespace(u.ns).Get(testkit.Context(u.t), name, metav1.GetOptions{})
	return err == nil
}

// toRepo converts a GitHubRepo read through the dynamic client.
func toRepo(obj map[string]any) (*v1.GitHubRepo, error) {
	var r v1.GitHubRepo
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, &r); err != nil {
		return nil, fmt.Errorf("convert to GitHubRepo: %w", err)
	}
	return &r, nil
}

// hasCondition reports whether r has the condition at its current generation.
func hasCondition(r *v1.GitHubRepo, typ, status, reason string) bool {
	c := meta.FindStatusCondition(r.Status.Conditions, typ)
	return c != nil && string(c.Status) == status && c.Reason == reason && c.ObservedGeneration == r.Generation
}

// since keeps the requests at or after t.
func since(reqs []fake.Request, t time.Time) []fake.Request {
	var out []fake.Request
	for _, r := range reqs {
		if !r.Time.Before(t) {
			out = append(out, r)
		}
	}
	return out
}

// mutations keeps the mutating requests.
func mutations(reqs []fake.Request) []fake.Request {
	var out []fake.Request
	for _, r := range reqs {
		if fake.Mutating(r.Method) {
			out = append(out, r)
		}
	}
	return out
}

// faulted keeps the requests answered by an injected fault.
func faulted(reqs []fake.Request) []fake.Request {
	var out []fake.Request
	for _, r := range reqs {
		if r.Fault {
			out = append(out, r)
		}
	}
	return out
}

// repoRequests is every request of this user to one repository, by name
// (including sub-paths such as /topics) or by id, in the order they started.
func (u *user) repoRequests(name string, id int64) []fake.Request {
	bases := []string{"/repos/acme/" + name}
	if id != 0 {
		bases = append(bases, fmt.Sprintf("/repositories/%d", id))
	}
	var out []fake.Request
	for _, r := range u.requests(fake.RequestFilter{}) {
		if slices.ContainsFunc(bases, func(base string) bool { return r.Path == base || strings.HasPrefix(r.Path, base+"/") }) {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b fake.Request) int { return a.Time.Compare(b.Time) })
	return out
}

// reposCreated lists the fake's repositories this user created.
func (u *user) reposCreated() []fake.Repo {
	var out []fake.Repo
	for _, r := range env.GitHub.Repos() {
		if strings.EqualFold(r.CreatedBy, u.login) {
			out = append(out, r)
		}
	}
	return out
}

// hookCalls lists the stand-in's calls of one hook for one GitHubRepo.
func (u *user) hookCalls(name, hook string) []standin.Call {
	if env.Standin == nil {
		return nil
	}
	var out []standin.Call
	for _, c := range env.Standin.Calls() {
		if c.Parent == u.ns+"/"+name && c.Hook == hook {
			out = append(out, c)
		}
	}
	return out
}

func formatRequests(reqs []fake.Request) string {
	if len(reqs) == 0 {
		return "  (none)\n"
	}
	var b strings.Builder
	for _, r := range reqs {
		fmt.Fprintf(&b, "  %s %-6s %s -> %d", r.Time.Format("15:04:05.000"), r.Method, r.Path, r.Status)
		if r.NotModified {
			b.WriteString(" not-modified")
		}
		if r.Fault {
			b.WriteString(" fault")
		}
		if r.Limited != "" {
			b.WriteString(" limited:" + r.Limited)
		}
		fmt.Fprintf(&b, " remaining=%d\n", r.RateRemaining)
	}
	return b.String()
}

func formatCalls(calls []standin.Call) string {
	if len(calls) == 0 {
		return "  (none)\n"
	}
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "  %s %-9s %s -> %d in %s %s\n", c.Time.Format("15:04:05.000"), c.Hook, c.Parent, c.StatusCode, c.Duration.Round(time.Millisecond), c.Err)
	}
	return b.String()
}

func formatStatus(r *v1.GitHubRepo) string {
	b, _ := json.MarshalIndent(r.Status, "  ", "  ")
	return fmt.Sprintf("  generation %d, deletionTimestamp %v, finalizers %v\n  %s\n", r.Generation, r.DeletionTimestamp, r.Finalizers, b)
}

// dump prints what a failed scenario needs to be understood: the status of
// each GitHubRepo of the namespace, this user's GitHub requests and the
// stand-in's hook calls for the namespace (the most recent ones).
func (u *user) dump() {
	var b strings.Builder
	// A failing control plane must not hang the report.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	list, err := u.dyn.Resource(ghrGVR).Namespace(u.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		fmt.Fprintf(&b, "list GitHubRepos: %v\n", err)
	} else {
		for _, item := range list.Items {
			// The test has failed already; a conversion error goes into
			// the report, so that the rest of it and the teardown still run.
			r, err := toRepo(item.Object)
			if err != nil {
				fmt.Fprintf(&b, "GitHubRepo %s/%s: %v\n", u.ns, item.GetName(), err)
				continue
			}
			fmt.Fprintf(&b, "GitHubRepo %s/%s:\n%s", u.ns, r.Name, formatStatus(r))
		}
	}
	const tail = 60
	reqs := u.requests(fake.RequestFilter{})
	fmt.Fprintf(&b, "GitHub requests of %s (%d, last %d):\n%s", u.login, len(reqs), tail, formatRequests(reqs[max(0, len(reqs)-tail):]))
	if env.Standin != nil {
		var calls []standin.Call
		for _, c := range env.Standin.Calls() {
			if strings.HasPrefix(c.Parent, u.ns+"/") {
				calls = append(calls, c)
			}
		}
		fmt.Fprintf(&b, "hook calls for %s (%d, last %d):\n%s", u.ns, len(calls), tail, formatCalls(calls[max(0, len(calls)-tail):]))
	}
	u.t.Log("\n" + b.String())
}

// teardown removes the scenario's GitHubRepos without going through the
// operator: each is deleted and its finalizer dropped, so that no finalize
// hook runs and the scenarios that follow do not share the stand-in's
// workers (and its resyncs) with objects they know nothing of. The fake's
// repositories stay; no scenario looks at another's.
func (u *user) teardown() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := u.dyn.Resource(ghrGVR).Namespace(u.ns)
	list, err := client.List(ctx, metav1.ListOptions{})
	if err != nil {
		u.t.Logf("teardown: list GitHubRepos: %v", err)
		return
	}
	for _, item := range list.Items {
		if err := client.Delete(ctx, item.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			u.t.Logf("teardown: delete %s: %v", item.GetName(), err)
		}
		_, err := client.Patch(ctx, item.GetName(), types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			u.t.Logf("teardown: drop the finalizer of %s: %v", item.GetName(), err)
		}
	}
}
