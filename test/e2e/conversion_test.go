package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/conversion"
	"github.com/hookops/hookops/test/testkit"
)

var ghrV1alpha1 = schema.GroupVersionResource{Group: v1.Group, Version: "v1alpha1", Resource: v1.Resource}

// The CRD serves v1alpha1 and v1, converted by the hook server's /convert,
// which kube-apiserver calls over TLS. These steps run one after the other
// (and before the parallel scenarios), since one of them takes the webhook away.
func TestConversionThroughTheAPIServer(t *testing.T) {
	timed(t)
	u := newUser(t, "c1")
	// Registered after newUser's teardown, so it runs first: whatever step
	// fails, the scenarios after this one find the webhook and the storage
	// version as they were.
	t.Cleanup(u.restoreCRD)
	u.secret()

	t.Run("create as v1alpha1, read as v1", func(t *testing.T) {
		u := u.in(t)
		out := u.kubectlApply(fmt.Sprintf(`apiVersion: github.hookops.dev/v1alpha1
kind: GitHubRepo
metadata: {name: legacy, namespace: %s, labels: {team: a}}
spec: {organization: acme, repoName: c1-legacy, private: true, description: from the old API, tokenSecretName: gh-token}
`, u.ns))
		if !strings.Contains(out, "github.hookops.dev/v1alpha1 GitHubRepo is deprecated") {
			t.Errorf("kubectl did not show the deprecation warning:\n%s", out)
		}
		r := u.get("legacy")
		s := r.Spec
		if s.Owner != "acme" || s.Name != "c1-legacy" || s.Visibility == nil || *s.Visibility != v1.Private ||
			s.Description == nil || *s.Description != "from the old API" || s.CredentialsSecretRef.Name != "gh-token" ||
			s.CredentialsSecretRef.Key != "token" || r.Labels["team"] != "a" {
			t.Errorf("read as v1: %+v labels %v", s, r.Labels)
		}
	})

	t.Run("the hooks work for it", func(t *testing.T) {
		u := u.in(t)
		r := u.waitCondition("legacy", v1.ConditionReady, "True", v1.ReasonAvailable, 30*time.Second)
		repo, ok := env.GitHub.RepoByID(r.Status.RepoID)
		if !ok || repo.FullName() != "acme/c1-legacy" || repo.Visibility != "private" {
			t.Errorf("repository %+v (found %v)", repo, ok)
		}
	})

	t.Run("patch as v1, read as v1alpha1", func(t *testing.T) {
		u := u.in(t)
		u.patch("legacy", `{"spec":{"visibility":"public","topics":["go"]}}`)
		old := u.getVersion(ghrV1alpha1, "legacy")
		if p, _, _ := unstructured.NestedBool(old.Object, "spec", "private"); p {
			t.Errorf("v1alpha1 spec.private = true after visibility public: %v", old.Object["spec"])
		}
		if ann := old.GetAnnotations()[conversion.SpecAnnotation]; !strings.Contains(ann, `"topics":["go"]`) {
			t.Errorf("v1-only fields not kept in %s: %q", conversion.SpecAnnotation, ann)
		}
		if _, found, _ := unstructured.NestedFieldNoCopy(old.Object, "status", "repoID"); !found {
			t.Error("status lost in conversion")
		}
		// And back: nothing was lost on the way.
		if r := u.get("legacy"); r.Spec.Topics == nil || strings.Join(*r.Spec.Topics, ",") != "go" {
			t.Errorf("v1 topics = %v", r.Spec.Topics)
		}
	})

	t.Run("list a mix", func(t *testing.T) {
		u := u.in(t)
		u.repo("modern", "  name: c1-modern\n")
		for _, gvr := range []schema.GroupVersionResource{ghrGVR, ghrV1alpha1} {
			list, err := u.dyn.Resource(gvr).Namespace(u.ns).List(testkit.Context(t), metav1.ListOptions{})
			if err != nil {
				t.Fatalf("list as %s: %v", gvr.Version, err)
			}
			if len(list.Items) != 2 {
				t.Errorf("list as %s: %d items, want 2", gvr.Version, len(list.Items))
			}
			for _, it := range list.Items {
				if it.GetAPIVersion() != v1.Group+"/"+gvr.Version {
					t.Errorf("list as %s returned %s", gvr.Version, it.GetAPIVersion())
				}
			}
		}
	})

	t.Run("webhook down: a clear error and nothing written", func(t *testing.T) {
		u := u.in(t)
		u.setConversionURL("https://127.0.0.1:1/convert", false)
		defer u.setConversionURL(env.ConvertURL, true)
		out, err := u.applyErr(fmt.Sprintf(`apiVersion: github.hookops.dev/v1alpha1
kind: GitHubRepo
metadata: {name: while-down, namespace: %s}
spec: {organization: acme, tokenSecretName: gh-token}
`, u.ns))
		if err == nil || !strings.Contains(out, "conversion webhook") {
			t.Errorf("apply while the webhook is down: err %v, output:\n%s", err, out)
		}
		if u.exists("while-down") {
			t.Error("an object was written while the webhook was down")
		}
	})

	t.Run("storage migration", func(t *testing.T) {
		u := u.in(t)
		// An object written while v1alpha1 was the storage version, as in a
		// cluster that started on an older release.
		u.setStorage("v1alpha1")
		u.repo("stored-old", "  name: c1-stored-old\n")
		u.setStorage("v1")
		if stored := u.storedVersions(); !strings.Contains(stored, "v1alpha1") {
			t.Fatalf("storedVersions = %s, want v1alpha1 among them", stored)
		}

		u.migrate()
		if stored := u.storedVersions(); stored != `["v1"]` {
			t.Errorf("storedVersions = %s, want [\"v1\"]", stored)
		}
		if after := u.get("stored-old"); after.Spec.Name != "c1-stored-old" {
			t.Errorf("spec.name after the migration = %q, want c1-stored-old", after.Spec.Name)
		}
		// Whether the migration or a resync's status write rewrote
		// stored-old first does not matter: nothing may be left at v1alpha1.
		if !u.storedAsV1("stored-old") {
			t.Error("stored-old is still stored as v1alpha1 after the migration")
		}
	})
}

// crdPickup bounds the wait for kube-apiserver to serve a changed CRD. It
// rebuilds the CRD's handler asynchronously and reports nothing when it is
// done, so the wait is generous: on two cores busy with every control-plane
// package, it took up to half a minute.
const crdPickup = 3 * time.Minute

// restoreCRD puts the conversion webhook and the storage version back as the
// stack installed them, and waits until kube-apiserver converts again. It
// reports problems without stopping, so that the cleanups after it run.
func (u *user) restoreCRD() {
	out, err := u.kubectl("patch", "crd", "githubrepos.github.hookops.dev", "--type=json", "-p",
		`[{"op":"replace","path":"/spec/conversion/webhook/clientConfig/url","value":"`+env.ConvertURL+`"},`+
			`{"op":"replace","path":"/spec/versions/0/storage","value":true},{"op":"replace","path":"/spec/versions/1/storage","value":false}]`)
	if err != nil {
		u.t.Errorf("restore the CRD: %v\n%s", err, out)
		return
	}
	deadline := time.Now().Add(crdPickup)
	for {
		err := u.converts()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			u.t.Errorf("conversion still fails %s after restoring the CRD: %v", crdPickup, err)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// setStorage makes one served version the storage version, and waits until
// kube-apiserver writes with it. With the webhook unreachable, creating a
// v1 object fails exactly when the storage version is v1alpha1 (it would
// need converting), which tells the two apart without noise.
func (u *user) setStorage(version string) {
	u.t.Helper()
	// versions[0] is v1, versions[1] is v1alpha1 in manifests/crds.
	v1Storage := version == "v1"
	u.kubectlOK("patch", "crd", "githubrepos.github.hookops.dev", "--type=json", "-p", fmt.Sprintf(
		`[{"op":"replace","path":"/spec/versions/0/storage","value":%t},{"op":"replace","path":"/spec/versions/1/storage","value":%t}]`,
		v1Storage, !v1Storage))
	u.setConversionURL("https://127.0.0.1:1/convert", false)
	defer u.setConversionURL(env.ConvertURL, true)
	probe := 0
	testkit.Eventually(u.t, crdPickup, "storage version "+version, func() (bool, string) {
		probe++
		name := fmt.Sprintf("probe-%s-%d", version, probe)
		out, err := u.applyErr(fmt.Sprintf("apiVersion: github.hookops.dev/v1\nkind: GitHubRepo\nmetadata: {name: %s, namespace: %s}\nspec: {owner: acme, deletionPolicy: Orphan, credentialsSecretRef: {name: gh-token}}\n", name, u.ns))
		if err == nil {
			u.deleteRepos(name)
		}
		return (err == nil) == v1Storage, out
	})
}

func (u *user) storedVersions() string {
	u.t.Helper()
	return u.kubectlOK("get", "crd", "githubrepos.github.hookops.dev", "-o", "jsonpath={.status.storedVersions}")
}

// migrate is the README's storage migration, run with kubectl: an empty
// patch rewrites each object at the storage version (the stored bytes
// change, so the apiserver writes), then v1alpha1 leaves storedVersions.
func (u *user) migrate() {
	u.t.Helper()
	list := u.kubectlOK("get", "githubrepos.v1.github.hookops.dev", "-A", "-o",
		`jsonpath={range .items[*]}{.metadata.namespace} {.metadata.name}{"\n"}{end}`)
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		ns, name, _ := strings.Cut(line, " ")
		u.kubectlOK("patch", "githubrepos.v1.github.hookops.dev", "-n", ns, name, "--type=merge", "-p", "{}")
	}
	u.kubectlOK("patch", "crd", "githubrepos.github.hookops.dev", "--subresource=status", "--type=merge",
		"-p", `{"status":{"storedVersions":["v1"]}}`)
}

// storedAsV1 reports whether an object is stored as v1: an empty patch
// pinned to the current resourceVersion writes nothing when the stored
// bytes are already what v1 storage would write, and rewrites (new
// resourceVersion) an object stored as v1alpha1. A write by someone else
// in between is a conflict, and the check is made again.
func (u *user) storedAsV1(name string) bool {
	u.t.Helper()
	for range 10 {
		rv := u.get(name).ResourceVersion
		patch := fmt.Sprintf(`{"metadata":{"resourceVersion":%q}}`, rv)
		obj, err := u.dyn.Resource(ghrGVR).Namespace(u.ns).Patch(testkit.Context(u.t), name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
		switch {
		case apierrors.IsConflict(err):
			continue
		case err != nil:
			u.t.Fatalf("patch %s: %v", name, err)
		}
		return obj.GetResourceVersion() == rv
	}
	u.t.Fatalf("%s kept changing; cannot tell how it is stored", name)
	return false
}

func (u *user) getVersion(gvr schema.GroupVersionResource, name string) *unstructured.Unstructured {
	u.t.Helper()
	obj, err := u.dyn.Resource(gvr).Namespace(u.ns).Get(testkit.Context(u.t), name, metav1.GetOptions{})
	if err != nil {
		u.t.Fatalf("get %s as %s: %v", name, gvr.Version, err)
	}
	return obj
}

// setConversionURL points the CRD's conversion webhook somewhere else and
// waits until kube-apiserver converts through it (or fails to).
func (u *user) setConversionURL(url string, working bool) {
	u.t.Helper()
	u.kubectlOK("patch", "crd", "githubrepos.github.hookops.dev", "--type=json", "-p",
		`[{"op":"replace","path":"/spec/conversion/webhook/clientConfig/url","value":"`+url+`"}]`)
	testkit.Eventually(u.t, crdPickup, "the apiserver to use "+url, func() (bool, string) {
		err := u.converts()
		return (err == nil) == working, fmt.Sprint(err)
	})
}

// converts lists the namespace's GitHubRepos as both versions: whatever
// version each object is stored in, one of the two lists needs the webhook.
// Reading one object as one version would not do: a status write by the
// controller can store it in that very version while the webhook still
// works, and then reading it needs no conversion at all.
func (u *user) converts() error {
	for _, gvr := range []schema.GroupVersionResource{ghrGVR, ghrV1alpha1} {
		if _, err := u.dyn.Resource(gvr).Namespace(u.ns).List(testkit.Context(u.t), metav1.ListOptions{}); err != nil {
			return err
		}
	}
	return nil
}
