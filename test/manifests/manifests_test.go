// Package manifests_test proves that what users install with
// `kubectl apply -k manifests/` builds, agrees with the Go API types, and
// applies cleanly to a real kube-apiserver: the GitHubRepo CRD is
// established, defaults and validation behave as documented, and the status
// subresource and printer columns work.
package manifests_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	githubv1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/controlplane"
	"github.com/hookops/hookops/test/reference"
	"github.com/hookops/hookops/test/testkit"
)

const crdName = githubv1.Resource + "." + githubv1.Group

var (
	ghrResource = schema.GroupVersionResource{Group: githubv1.Group, Version: githubv1.Version, Resource: githubv1.Resource}
	crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
)

// manifestsDir returns <repo>/manifests.
func manifestsDir(elem ...string) string {
	return filepath.Join(append([]string{reference.RepoRoot(), "manifests"}, elem...)...)
}

// TestManifestsOnControlPlane installs hookops the way a user does (after
// Metacontroller's CRDs), applies the samples and checks what the apiserver
// makes of them.
func TestManifestsOnControlPlane(t *testing.T) {
	k := newKubectl(t) // before the control plane: a missing kubectl fails fast
	cp := controlplane.StartT(t)
	k.kubeconfig = cp.KubeconfigPath
	dyn := dynamic.NewForConfigOrDie(cp.Config)

	mcCRDs := reference.Path(t, "metacontroller", "crds-v4.17.2.yaml")
	if err := controlplane.Apply(testkit.Context(t), cp.Config, mcCRDs, filepath.Join("testdata", "cert-manager-crds.yaml")); err != nil {
		t.Fatalf("apply Metacontroller's and cert-manager's CRDs: %v", err)
	}

	// The install must be warning-free. The hookops-system namespace has
	// pod-security.kubernetes.io/warn: restricted, so this also proves the
	// Deployment's Pods pass the restricted Pod Security Standard.
	out := k.must(t, "apply", "-k", manifestsDir())
	built := writeBuild(t, k, manifestsDir())
	names := k.must(t, "get", "-f", built, "-o", "name")
	for _, want := range []string{
		"namespace/hookops-system",
		"customresourcedefinition.apiextensions.k8s.io/" + crdName,
		"serviceaccount/hookops",
		"service/hookops",
		"deployment.apps/hookops",
		"deployment.apps/hookops-github-webhooks",
		"clusterrole.rbac.authorization.k8s.io/hookops-github-webhooks",
		"validatingadmissionpolicy.admissionregistration.k8s.io/githubrepo-github-webhooks",
		"poddisruptionbudget.policy/hookops",
		"compositecontroller.metacontroller.k8s.io/githubrepo",
	} {
		if !slices.Contains(strings.Fields(names), want) {
			t.Errorf("after kubectl apply -k manifests/, %s does not exist; kubectl get -f said:\n%s\napply said:\n%s", want, names, out)
		}
	}
	if err := testkit.WaitEstablished(testkit.Within(t, time.Minute), dyn, crdName); err != nil {
		t.Fatal(err)
	}
	k.must(t, "apply", "-k", manifestsDir("samples"))

	t.Run("reapplying changes nothing", func(t *testing.T) {
		// kubectl diff exits 1 when the live objects differ from what
		// applying again would give (e.g. a value the apiserver rewrites).
		if stdout, stderr, err := k.run(t, "diff", "-k", manifestsDir()); err != nil {
			t.Errorf("kubectl diff -k manifests/ after applying it: %v\n%s%s", err, stdout, stderr)
		}
	})
	t.Run("CRD is established with its names", func(t *testing.T) { testCRDNames(t, dyn, k) })
	t.Run("sample reads back with defaults", func(t *testing.T) { testSampleDefaults(t, dyn) })
	t.Run("invalid GitHubRepos are rejected", func(t *testing.T) { testValidation(t, dyn, k) })
	t.Run("init cannot change once set", func(t *testing.T) { testInitImmutable(t, dyn) })
	t.Run("template cannot change once set", func(t *testing.T) { testTemplateImmutable(t, dyn) })
	t.Run("status subresource round-trips every field", func(t *testing.T) { testStatusRoundTrip(t, dyn) })
	t.Run("printer columns", func(t *testing.T) { testPrinterColumns(t, dyn, k) })
	t.Run("a release applies", func(t *testing.T) { testRelease(t, k) })
	t.Run("the webhook receiver may do exactly what its ClusterRole says", func(t *testing.T) { testReceiverRBAC(t, cp.Config) })
	t.Run("the webhook receiver may change only its annotation", func(t *testing.T) { testReceiverAdmission(t, cp.Config) })
}

// testRelease builds a release as `make release-manifests` does (with
// made-up digests: the images have their own test) and applies it with a
// server-side dry run over the install: every object passes the API
// server's validation and admission, and no image is left on a tag.
func testRelease(t *testing.T, k *kubectl) {
	out := t.TempDir()
	digest := func(c string) string { return "sha256:" + strings.Repeat(c, 64) }
	cmd := exec.CommandContext(testkit.Context(t), filepath.Join(manifestsDir("release"), "release.sh"),
		out, "v0.0.0-test", "registry.example/acme", digest("a"), digest("b"))
	files, err := cmd.Output()
	if err != nil {
		t.Fatalf("release.sh: %v", err)
	}
	for _, f := range strings.Fields(string(files)) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if image, ok := strings.CutPrefix(strings.TrimSpace(line), "image: "); ok && !strings.HasPrefix(image, "registry.example/acme/") || strings.Contains(line, "image: ") && !strings.Contains(line, "@sha256:") {
				t.Errorf("%s: %q is not pinned by digest to the release registry", filepath.Base(f), strings.TrimSpace(line))
			}
		}
		k.must(t, "apply", "--dry-run=server", "-f", f)
	}
	if len(strings.Fields(string(files))) != 2 {
		t.Errorf("release.sh wrote %q, want the hookops and clientgo-mirror manifests", files)
	}
}

func testCRDNames(t *testing.T, dyn dynamic.Interface, k *kubectl) {
	crd, err := dyn.Resource(crdResource).Get(testkit.Context(t), crdName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get CRD: %v", err)
	}
	for _, typ := range []string{"Established", "NamesAccepted"} {
		if got := testkit.ConditionStatus(crd, typ); got != "True" {
			t.Errorf("CRD condition %s = %q, want True", typ, got)
		}
	}
	accepted, _, _ := unstructured.NestedMap(crd.Object, "status", "acceptedNames")
	want := map[string]any{
		"kind": "GitHubRepo", "listKind": "GitHubRepoList", "plural": "githubrepos", "singular": "githubrepo",
		"shortNames": []any{"ghr"}, "categories": []any{"hookops"},
	}
	if !reflect.DeepEqual(accepted, want) {
		t.Errorf("CRD acceptedNames = %v, want %v", accepted, want)
	}
	if scope, _, _ := unstructured.NestedString(crd.Object, "spec", "scope"); scope != "Namespaced" {
		t.Errorf("CRD scope = %q, want Namespaced", scope)
	}

	// A user finds the sample by short name and by category.
	for _, args := range [][]string{
		{"get", "ghr", "-n", "team-a", "-o", "name"},
		{"get", "hookops", "-n", "team-a", "-o", "name"},
	} {
		if out := k.must(t, args...); !strings.Contains(out, "githubrepo.github.hookops.dev/widgets") {
			t.Errorf("kubectl %s does not list the sample widgets:\n%s", strings.Join(args, " "), out)
		}
	}

	// Descriptions reach users through kubectl explain (OpenAPI v3, which
	// the apiserver publishes for a new CRD a moment after it is established).
	var explain string
	err = wait.PollUntilContextTimeout(t.Context(), 500*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		stdout, _, err := k.run(t, "explain", "githubrepos.spec.deletionPolicy")
		explain = stdout
		return err == nil && strings.Contains(stdout, "Orphan"), nil
	})
	if err != nil {
		t.Errorf("kubectl explain githubrepos.spec.deletionPolicy does not show the field's description: %v\n%s", err, explain)
	}
}

func testSampleDefaults(t *testing.T, dyn dynamic.Interface) {
	obj, err := dyn.Resource(ghrResource).Namespace("team-a").Get(testkit.Context(t), "widgets", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get sample GitHubRepo team-a/widgets: %v", err)
	}
	for _, tc := range []struct {
		path []string
		want string
	}{
		{[]string{"spec", "credentialsSecretRef", "key"}, "token"},
		// Written in the sample, so not defaulted but kept.
		{[]string{"spec", "owner"}, "acme"},
		{[]string{"spec", "credentialsSecretRef", "name"}, "gh-token"},
	} {
		got, found, err := unstructured.NestedString(obj.Object, tc.path...)
		if err != nil || !found || got != tc.want {
			t.Errorf("%s = %q (found %t, err %v), want %q", strings.Join(tc.path, "."), got, found, err, tc.want)
		}
	}
	// Optional fields without a default stay unset: unset means "not
	// managed", so the apiserver must not invent a value for them.
	for _, path := range [][]string{
		{"spec", "name"}, {"spec", "visibility"}, {"spec", "deletionPolicy"}, {"spec", "homepage"}, {"spec", "archived"}, {"spec", "defaultBranch"},
		{"spec", "adoptExisting"}, {"spec", "features", "projects"}, {"spec", "features", "discussions"},
		{"spec", "credentialsSecretRef", "namespace"}, {"status"},
	} {
		if v, found, _ := unstructured.NestedFieldNoCopy(obj.Object, path...); found {
			t.Errorf("%s = %v, want it unset (no default)", strings.Join(path, "."), v)
		}
	}
	// The stored object decodes into the Go type without unknown fields.
	var repo githubv1.GitHubRepo
	decodeStrict(t, obj.Object, &repo)
	if repo.Spec.Visibility != nil || repo.Spec.DeletionPolicy != "" {
		t.Errorf("decoded spec.visibility = %v, deletionPolicy = %q: want both unset, as no default may manage a field on GitHub", repo.Spec.Visibility, repo.Spec.DeletionPolicy)
	}
}

func testValidation(t *testing.T, dyn dynamic.Interface, k *kubectl) {
	const ns = "validation"
	k.must(t, "create", "namespace", ns)
	base := sampleRepo(t)
	topics := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = fmt.Sprintf("topic-%d", i)
		}
		return out
	}
	set := func(value any, path ...string) func(map[string]any) {
		return func(obj map[string]any) {
			if err := unstructured.SetNestedField(obj, value, path...); err != nil {
				panic(err)
			}
		}
	}
	unset := func(path ...string) func(map[string]any) {
		return func(obj map[string]any) { unstructured.RemoveNestedField(obj, path...) }
	}
	cases := []struct {
		name   string
		mutate []func(map[string]any)
		// want holds substrings of the apiserver's message; none means the
		// object must be accepted.
		want []string
	}{
		{name: "sample as written", want: nil},
		{name: "bad name pattern", mutate: fn(set("my repo", "spec", "name")),
			want: []string{`spec.name: Invalid value: "my repo"`, `should match '^[A-Za-z0-9._-]{1,100}$'`}},
		{name: "name too long", mutate: fn(set(strings.Repeat("a", 101), "spec", "name")),
			want: []string{"spec.name: Invalid value", "should match"}},
		{name: "name is ..", mutate: fn(set("..", "spec", "name")),
			want: []string{`spec.name: Invalid value: "..": GitHub does not allow a repository named "." or ".."`}},
		{name: "metadata.name too long for a repository name", mutate: fn(set(strings.Repeat("w", 101), "metadata", "name")),
			want: []string{"spec.name: Invalid value", "longer than GitHub's limit of 100 characters: set spec.name"}},
		{name: "long metadata.name with spec.name", mutate: fn(set(strings.Repeat("w", 102), "metadata", "name"), set("widgets", "spec", "name")),
			want: nil},
		{name: "21 topics", mutate: fn(set(topics(21), "spec", "topics")),
			want: []string{"spec.topics: Too many: 21: must have at most 20 items"}},
		{name: "20 topics", mutate: fn(set(topics(20), "spec", "topics")), want: nil},
		{name: "bad topic", mutate: fn(set([]any{"go", "Go_Lang"}, "spec", "topics")),
			want: []string{`spec.topics[1]: Invalid value: "Go_Lang"`, "should match '^[a-z0-9][a-z0-9-]{0,49}$'"}},
		{name: "duplicate topic", mutate: fn(set([]any{"go", "go"}, "spec", "topics")),
			want: []string{`spec.topics[1]: Duplicate value: "go"`}},
		{name: "bad visibility", mutate: fn(set("secret", "spec", "visibility")),
			want: []string{`spec.visibility: Unsupported value: "secret": supported values: "public", "private", "internal"`}},
		{name: "missing owner", mutate: fn(unset("spec", "owner")),
			want: []string{"spec.owner: Required value"}},
		{name: "empty owner", mutate: fn(set("", "spec", "owner")),
			want: []string{"spec.owner", "should be at least 1 chars long"}},
		{name: "bad owner login", mutate: fn(set("-acme", "spec", "owner")),
			want: []string{`spec.owner: Invalid value: "-acme"`, "should match"}},
		{name: "bad deletionPolicy", mutate: fn(set("Keep", "spec", "deletionPolicy")),
			want: []string{`spec.deletionPolicy: Unsupported value: "Keep": supported values: "Delete", "Archive", "Orphan"`}},
		{name: "description too long", mutate: fn(set(strings.Repeat("d", 351), "spec", "description")),
			want: []string{"spec.description: Too long: may not be more than 350"}},
		{name: "missing credentialsSecretRef", mutate: fn(unset("spec", "credentialsSecretRef")),
			want: []string{"spec.credentialsSecretRef: Required value"}},
		{name: "missing credentialsSecretRef.name", mutate: fn(unset("spec", "credentialsSecretRef", "name")),
			want: []string{"spec.credentialsSecretRef.name: Required value"}},
		{name: "wrong type", mutate: fn(set("yes", "spec", "archived")),
			want: []string{`spec.archived: Invalid value: "string": spec.archived in body must be of type boolean`}},
		// GitHub's combination rules for merge settings (docs: "Update a
		// repository", and the three merge-commit and four squash-commit
		// defaults of the repository settings page).
		{name: "every merge method off", mutate: fn(set(false, "spec", "allowMergeCommit"), set(false, "spec", "allowSquashMerge"), set(false, "spec", "allowRebaseMerge")),
			want: []string{"cannot all be false: GitHub needs at least one way to merge"}},
		{name: "two merge methods off", mutate: fn(set(false, "spec", "allowMergeCommit"), set(false, "spec", "allowRebaseMerge")), want: nil},
		{name: "squash message without title", mutate: fn(set("PR_BODY", "spec", "squashMergeCommitMessage")),
			want: []string{"set squashMergeCommitTitle and squashMergeCommitMessage together"}},
		{name: "squash commit-or-PR title with PR body", mutate: fn(set("COMMIT_OR_PR_TITLE", "spec", "squashMergeCommitTitle"), set("PR_BODY", "spec", "squashMergeCommitMessage")),
			want: []string{"squashMergeCommitTitle COMMIT_OR_PR_TITLE goes only with squashMergeCommitMessage COMMIT_MESSAGES"}},
		{name: "squash default message", mutate: fn(set("COMMIT_OR_PR_TITLE", "spec", "squashMergeCommitTitle"), set("COMMIT_MESSAGES", "spec", "squashMergeCommitMessage")), want: nil},
		{name: "squash PR title and description", mutate: fn(set("PR_TITLE", "spec", "squashMergeCommitTitle"), set("PR_BODY", "spec", "squashMergeCommitMessage")), want: nil},
		{name: "merge title without message", mutate: fn(set("PR_TITLE", "spec", "mergeCommitTitle")),
			want: []string{"set mergeCommitTitle and mergeCommitMessage together"}},
		{name: "merge message title with PR body", mutate: fn(set("MERGE_MESSAGE", "spec", "mergeCommitTitle"), set("PR_BODY", "spec", "mergeCommitMessage")),
			want: []string{"GitHub allows three merge commit defaults"}},
		{name: "merge PR title twice", mutate: fn(set("PR_TITLE", "spec", "mergeCommitTitle"), set("PR_TITLE", "spec", "mergeCommitMessage")),
			want: []string{"GitHub allows three merge commit defaults"}},
		{name: "merge default message", mutate: fn(set("MERGE_MESSAGE", "spec", "mergeCommitTitle"), set("PR_TITLE", "spec", "mergeCommitMessage")), want: nil},
		{name: "bad squash title", mutate: fn(set("TITLE", "spec", "squashMergeCommitTitle"), set("BLANK", "spec", "squashMergeCommitMessage")),
			want: []string{`spec.squashMergeCommitTitle: Unsupported value: "TITLE"`}},
		{name: "template without name", mutate: fn(set(map[string]any{"owner": "acme"}, "spec", "template")),
			want: []string{"spec.template.name: Required value"}},
		{name: "custom properties of both shapes", mutate: fn(set(map[string]any{"team": "platform", "langs": []any{"go", "rego"}}, "spec", "customProperties")), want: nil},
		{name: "push protection without secret scanning", mutate: fn(set(map[string]any{"secretScanning": "disabled", "secretScanningPushProtection": "enabled"}, "spec", "securityAndAnalysis")),
			want: []string{"secretScanningPushProtection cannot be enabled while secretScanning is disabled"}},
		{name: "bad feature status", mutate: fn(set("on", "spec", "securityAndAnalysis", "secretScanning")),
			want: []string{`spec.securityAndAnalysis.secretScanning: Unsupported value: "on": supported values: "enabled", "disabled"`}},
		{name: "security updates without alerts", mutate: fn(set("enabled", "spec", "securityAndAnalysis", "dependabotSecurityUpdates"), set(false, "spec", "vulnerabilityAlerts")),
			want: []string{"dependabotSecurityUpdates cannot be enabled while vulnerabilityAlerts is false"}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := base.DeepCopy()
			obj.SetNamespace(ns)
			obj.SetName(fmt.Sprintf("case-%d", i))
			for _, m := range tc.mutate {
				m(obj.Object)
			}
			_, err := dyn.Resource(ghrResource).Namespace(ns).Create(testkit.Context(t), obj, metav1.CreateOptions{})
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("create: %v, want it accepted", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("create was accepted, want it rejected with %q", tc.want)
			}
			if !apierrors.IsInvalid(err) {
				t.Fatalf("create: %v, want an Invalid (422) error", err)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("rejection message lacks %q:\n%v", want, err)
				}
			}
		})
	}
}

// fn makes a list of mutations read like a single argument in the table.
func fn(fs ...func(map[string]any)) []func(map[string]any) { return fs }

func testInitImmutable(t *testing.T, dyn dynamic.Interface) {
	ctx := testkit.Context(t)
	client := dyn.Resource(ghrResource).Namespace("team-a")
	obj := sampleRepo(t)
	obj.SetName("init-immutable")
	obj, err := client.Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}

	changed := obj.DeepCopy()
	_ = unstructured.SetNestedField(changed.Object, "apache-2.0", "spec", "init", "licenseTemplate")
	_, err = client.Update(ctx, changed, metav1.UpdateOptions{})
	const want = "spec.init: Invalid value: init is used only when the repository is created and cannot be changed afterwards"
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), want) {
		t.Errorf("changing spec.init.licenseTemplate: err = %v, want Invalid with %q", err, want)
	}

	// Other fields still change, and init may be dropped.
	other := obj.DeepCopy()
	_ = unstructured.SetNestedField(other.Object, "changed", "spec", "description")
	unstructured.RemoveNestedField(other.Object, "spec", "init")
	if _, err := client.Update(ctx, other, metav1.UpdateOptions{}); err != nil {
		t.Errorf("changing spec.description and dropping spec.init: %v, want it accepted", err)
	}
}

func testTemplateImmutable(t *testing.T, dyn dynamic.Interface) {
	ctx := testkit.Context(t)
	client := dyn.Resource(ghrResource).Namespace("team-a")
	obj := sampleRepo(t)
	obj.SetName("template-immutable")
	unstructured.RemoveNestedField(obj.Object, "spec", "init")
	_ = unstructured.SetNestedMap(obj.Object, map[string]any{"owner": "acme", "name": "service-template"}, "spec", "template")
	obj, err := client.Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	changed := obj.DeepCopy()
	_ = unstructured.SetNestedField(changed.Object, "other-template", "spec", "template", "name")
	_, err = client.Update(ctx, changed, metav1.UpdateOptions{})
	const want = "spec.template: Invalid value: template is used only when the repository is created and cannot be changed afterwards"
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), want) {
		t.Errorf("changing spec.template.name: err = %v, want Invalid with %q", err, want)
	}
}

// fullStatus returns a status with every field set, and fails the test if
// the Go type gained a field this function does not set.
func fullStatus(t *testing.T, generation int64) githubv1.GitHubRepoStatus {
	t.Helper()
	at := metav1.NewTime(time.Date(2026, 11, 24, 10, 30, 0, 0, time.UTC))
	cond := func(typ string, status metav1.ConditionStatus, reason, message string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: message, LastTransitionTime: at, ObservedGeneration: generation}
	}
	s := githubv1.GitHubRepoStatus{
		ObservedGeneration: generation,
		Conditions: []metav1.Condition{
			cond(githubv1.ConditionReady, metav1.ConditionTrue, githubv1.ReasonAvailable, "repository exists"),
			cond(githubv1.ConditionSynced, metav1.ConditionFalse, githubv1.ReasonReconcileError, "GitHub said 403"),
			cond(githubv1.ConditionError, metav1.ConditionTrue, githubv1.ReasonRateLimited, "primary rate limit exhausted until 11:00"),
		},
		Host:                "api.github.com",
		RepoID:              9_007_199_254_740_993, // beyond float64 precision: must survive as an int64
		NodeID:              "R_kgDOabc",
		Origin:              githubv1.OriginCreated,
		DeletionPolicy:      githubv1.DeletionDelete,
		Claim:               "prod/team-a/widgets/6f1ed002-ab55-9585-9014-ebf0951522d9",
		CreateAttemptTime:   &at,
		FullName:            "acme/widgets",
		HTMLURL:             "https://github.com/acme/widgets",
		CloneURL:            "https://github.com/acme/widgets.git",
		SSHURL:              "git@github.com:acme/widgets.git",
		DefaultBranch:       "main",
		Visibility:          "private",
		ETag:                `W/"6f1ed002ab5595859014ebf0951522d9"`,
		LastSyncTime:        &at,
		ConsecutiveFailures: 3,
		RetryTime:           &metav1.Time{Time: at.Add(40 * time.Second)},
		RateLimit:           &githubv1.RateLimit{Limit: 5000, Remaining: 7, Reset: metav1.NewTime(at.Add(30 * time.Minute))},
		ManagedSettings:     []string{"allowSquashMerge", "customProperties.team", "description"},
	}
	requireAllSet(t, "status", reflect.ValueOf(s))
	return s
}

// requireAllSet fails if any field of a struct (recursively, through
// pointers, slices and nested structs other than metav1.Time) is zero.
func requireAllSet(t *testing.T, path string, v reflect.Value) {
	t.Helper()
	switch {
	case v.IsZero():
		t.Fatalf("test bug: %s is not set; fullStatus must set every status field", path)
	case v.Kind() == reflect.Pointer:
		requireAllSet(t, path, v.Elem())
	case v.Kind() == reflect.Slice:
		for i := range v.Len() {
			requireAllSet(t, fmt.Sprintf("%s[%d]", path, i), v.Index(i))
		}
	case v.Kind() == reflect.Struct && v.Type() != reflect.TypeFor[metav1.Time]():
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				requireAllSet(t, path+"."+jsonName(f), v.Field(i))
			}
		}
	}
}

func testStatusRoundTrip(t *testing.T, dyn dynamic.Interface) {
	ctx := testkit.Context(t)
	client := dyn.Resource(ghrResource).Namespace("team-a")
	obj := sampleRepo(t)
	obj.SetName("status-round-trip")
	obj, err := client.Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	generation := obj.GetGeneration()

	want := fullStatus(t, generation)
	wantMap, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&want)
	if err != nil {
		t.Fatal(err)
	}
	obj.Object["status"] = wantMap
	// A spec change sent to the status subresource must be ignored.
	_ = unstructured.SetNestedField(obj.Object, "sent via status", "spec", "description")
	if _, err := client.UpdateStatus(ctx, obj, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update status with every field set: %v", err)
	}

	got, err := client.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get after status update: %v", err)
	}
	if d := jsonDiff(t, want, got.Object["status"]); d != "" {
		t.Errorf("status does not round-trip:\n%s", d)
	}
	var repo githubv1.GitHubRepo
	decodeStrict(t, got.Object, &repo)
	if repo.Status.RepoID != want.RepoID {
		t.Errorf("decoded status.repoID = %d, want %d", repo.Status.RepoID, want.RepoID)
	}
	if d, _, _ := unstructured.NestedString(got.Object, "spec", "description"); d == "sent via status" {
		t.Errorf("the status subresource changed spec.description to %q", d)
	}
	if got.GetGeneration() != generation {
		t.Errorf("metadata.generation = %d after a status update, want %d unchanged", got.GetGeneration(), generation)
	}

	// Status sent to the main resource must be ignored.
	_ = unstructured.SetNestedField(got.Object, "someone/else", "status", "fullName")
	if _, err := client.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update main resource: %v", err)
	}
	again, err := client.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if name, _, _ := unstructured.NestedString(again.Object, "status", "fullName"); name != want.FullName {
		t.Errorf("an update of the main resource changed status.fullName to %q, want %q kept", name, want.FullName)
	}

	// A status the schema rejects, so a broken hook response is visible.
	bad := again.DeepCopy()
	conds, _, _ := unstructured.NestedSlice(bad.Object, "status", "conditions")
	conds[0].(map[string]any)["status"] = "Maybe"
	_ = unstructured.SetNestedSlice(bad.Object, conds, "status", "conditions")
	_, err = client.UpdateStatus(ctx, bad, metav1.UpdateOptions{})
	if wantMsg := `status.conditions[0].status: Unsupported value: "Maybe"`; !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), wantMsg) {
		t.Errorf("status with condition status Maybe: err = %v, want Invalid with %q", err, wantMsg)
	}
}

func testPrinterColumns(t *testing.T, dyn dynamic.Interface, k *kubectl) {
	ctx := testkit.Context(t)
	client := dyn.Resource(ghrResource).Namespace("team-a")
	obj := sampleRepo(t)
	obj.SetName("columns")
	_ = unstructured.SetNestedField(obj.Object, "public", "spec", "visibility")
	obj, err := client.Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	status := fullStatus(t, obj.GetGeneration())
	status.FullName, status.HTMLURL, status.Visibility = "acme/columns", "https://github.com/acme/columns", "public"
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&status)
	if err != nil {
		t.Fatal(err)
	}
	obj.Object["status"] = m
	if _, err := client.UpdateStatus(ctx, obj, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update status: %v", err)
	}

	for _, tc := range []struct {
		args    []string
		columns []string
		row     map[string]string
	}{
		{
			args:    []string{"get", "ghr", "-n", "team-a"},
			columns: []string{"NAME", "REPO", "VISIBILITY", "READY", "SYNCED", "AGE"},
			row:     map[string]string{"NAME": "columns", "REPO": "acme/columns", "VISIBILITY": "public", "READY": "True", "SYNCED": "False"},
		},
		{
			args:    []string{"get", "ghr", "-n", "team-a", "-o", "wide"},
			columns: []string{"NAME", "REPO", "VISIBILITY", "READY", "SYNCED", "REASON", "URL", "AGE"},
			row: map[string]string{"NAME": "columns", "REPO": "acme/columns", "VISIBILITY": "public", "READY": "True", "SYNCED": "False",
				"REASON": githubv1.ReasonRateLimited, "URL": "https://github.com/acme/columns"},
		},
	} {
		cmd := "kubectl " + strings.Join(tc.args, " ")
		out := k.must(t, tc.args...)
		header, rows := parseTable(t, out)
		if !slices.Equal(header, tc.columns) {
			t.Errorf("%s: columns = %v, want %v\n%s", cmd, header, tc.columns, out)
			continue
		}
		row, ok := rows[tc.row["NAME"]]
		if !ok {
			t.Errorf("%s: no row for %s\n%s", cmd, tc.row["NAME"], out)
			continue
		}
		for col, want := range tc.row {
			if row[col] != want {
				t.Errorf("%s: %s of %s = %q, want %q\n%s", cmd, col, tc.row["NAME"], row[col], want, out)
			}
		}
		if row["AGE"] == "" {
			t.Errorf("%s: AGE of %s is empty\n%s", cmd, tc.row["NAME"], out)
		}
		// The sample has no status yet: its status columns are empty, not an error.
		if w, ok := rows["widgets"]; !ok || w["VISIBILITY"] != "" || w["REPO"] != "" {
			t.Errorf("%s: row of widgets = %v, want no visibility and no repo yet\n%s", cmd, w, out)
		}
	}
}

// parseTable splits kubectl's table output into its header and its rows by
// NAME. Cells are cut at the header's column offsets, because an empty
// cell is printed as blanks.
func parseTable(t *testing.T, out string) ([]string, map[string]map[string]string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 {
		t.Fatalf("empty table")
	}
	header := strings.Fields(lines[0])
	starts := make([]int, len(header))
	from := 0
	for i, h := range header {
		idx := strings.Index(lines[0][from:], h)
		starts[i] = from + idx
		from = starts[i] + len(h)
	}
	rows := map[string]map[string]string{}
	for _, line := range lines[1:] {
		row := map[string]string{}
		for i, h := range header {
			end := len(line)
			if i+1 < len(starts) {
				end = min(starts[i+1], len(line))
			}
			if starts[i] < end {
				row[h] = strings.TrimSpace(line[starts[i]:end])
			}
		}
		rows[row["NAME"]] = row
	}
	return header, rows
}

// sampleRepo returns the GitHubRepo of manifests/samples, as written.
func sampleRepo(t *testing.T) *unstructured.Unstructured {
	t.Helper()
	objs, err := controlplane.ReadObjects(manifestsDir("samples", "githubrepo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.GetKind() == githubv1.Kind {
			return o
		}
	}
	t.Fatalf("manifests/samples/githubrepo.yaml holds no %s", githubv1.Kind)
	return nil
}

// decodeStrict converts an object into a Go type, failing the test on
// fields the type does not have (names match exactly, not case-insensitively
// as in encoding/json). It reports whether the conversion succeeded.
func decodeStrict(t *testing.T, from map[string]any, into any) bool {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(from, into, true); err != nil {
		u := unstructured.Unstructured{Object: from}
		t.Errorf("%s %s does not convert to %T: %v", u.GetKind(), u.GetName(), into, err)
		return false
	}
	return true
}

// jsonDiff compares two values by their JSON form and returns both when they
// differ. Numbers are compared exactly (as json.Number), not as float64.
func jsonDiff(t *testing.T, want, got any) string {
	t.Helper()
	w, ws, err := normJSON(want)
	if err != nil {
		t.Fatal(err)
	}
	g, gs, err := normJSON(got)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(w, g) {
		return ""
	}
	return "want:\n" + ws + "\ngot:\n" + gs
}

// normJSON returns v as generic JSON values (numbers as json.Number) and
// indented.
func normJSON(v any) (any, string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, "", err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, "", err
	}
	pretty, err := json.MarshalIndent(out, "", "  ")
	return out, string(pretty), err
}

// kubectl runs /usr/bin/kubectl (or kubectl from PATH) against the control
// plane, with its own discovery cache.
type kubectl struct {
	path, kubeconfig, cacheDir string
}

func newKubectl(t *testing.T) *kubectl {
	t.Helper()
	path := "/usr/bin/kubectl"
	if _, err := os.Stat(path); err != nil {
		if path, err = exec.LookPath("kubectl"); err != nil {
			t.Fatalf("kubectl is needed (it builds the kustomizations users apply): not at /usr/bin/kubectl nor on PATH")
		}
	}
	return &kubectl{path: path, cacheDir: t.TempDir()}
}

func (k *kubectl) run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	full := append([]string{"--cache-dir=" + k.cacheDir}, args...)
	if k.kubeconfig != "" {
		full = append([]string{"--kubeconfig=" + k.kubeconfig}, full...)
	}
	cmd := exec.CommandContext(testkit.Context(t), k.path, full...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if err != nil {
		err = fmt.Errorf("kubectl %s: %w", strings.Join(args, " "), err)
	}
	return o.String(), e.String(), err
}

// must runs kubectl and fails the test on an error or on any warning (the
// apiserver's deprecation, PodSecurity and validation warnings all reach
// users as "Warning: ..." on stderr).
func (k *kubectl) must(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, err := k.run(t, args...)
	return checkRun(t, args, stdout, stderr, err)
}

// checkRun is must's verdict on one kubectl run.
func checkRun(t *testing.T, args []string, stdout, stderr string, err error) string {
	t.Helper()
	if err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	if strings.Contains(stderr, "Warning:") {
		t.Errorf("kubectl %s printed warnings:\n%s", strings.Join(args, " "), stderr)
	}
	return stdout
}

// builds holds the successful kubectl kustomize runs by directory: the
// manifests do not change while the tests run, and several tests build the
// same directories.
var builds = struct {
	sync.Mutex
	byDir map[string]kubectlRun
}{byDir: map[string]kubectlRun{}}

type kubectlRun struct{ stdout, stderr string }

// kustomize is k.must(t, "kustomize", dir), running kubectl only once per
// directory in a test binary.
func (k *kubectl) kustomize(t *testing.T, dir string) string {
	t.Helper()
	dir = filepath.Clean(dir)
	builds.Lock()
	b, ok := builds.byDir[dir]
	var err error
	if !ok {
		b.stdout, b.stderr, err = k.run(t, "kustomize", dir)
		if err == nil {
			builds.byDir[dir] = b
		}
	}
	builds.Unlock()
	return checkRun(t, []string{"kustomize", dir}, b.stdout, b.stderr, err)
}

// writeBuild runs kubectl kustomize on dir and writes the result to a file.
func writeBuild(t *testing.T, k *kubectl, dir string) string {
	t.Helper()
	out := k.kustomize(t, dir)
	path := filepath.Join(t.TempDir(), "built.yaml")
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
