package policy

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestKyverno runs kyverno test (kyverno/kyverno-test.yaml) for the shipped
// ClusterPolicy, and kyverno apply for what kyverno test cannot assert: the
// messages, and that other kinds are left alone.
func TestKyverno(t *testing.T) {
	t.Parallel()
	kyverno := tool(t, "kyverno")
	dir := filepath.Join(repoRoot(t), "test", "policy")
	policy := filepath.Join("..", "..", "manifests", "policy", "kyverno", "clusterpolicy.yaml")

	t.Run("kyverno test", func(t *testing.T) {
		out := run(t, dir, kyverno, "test", "kyverno", "--detailed-results", "--remove-color")
		t.Logf("kyverno test:\n%s", out)
	})

	t.Run("messages", func(t *testing.T) {
		for file, want := range map[string]string{
			"other-namespace.yaml": `spec.credentialsSecretRef.namespace is "team-b", but a GitHubRepo may only use a Secret ` +
				`in its own namespace "team-a": move the Secret to "team-a" and drop the namespace field`,
			"v1alpha1-annotation-other-namespace.yaml": `annotation github.hookops.dev/v1-spec sets credentialsSecretRef.namespace to "team-b", ` +
				`but a GitHubRepo may only use a Secret in its own namespace "team-a": move the Secret to "team-a" and remove the namespace from the annotation`,
		} {
			out, err := command(t, dir, kyverno, "apply", policy, "--resource", filepath.Join("testdata", file), "--remove-color")
			if err == nil || !strings.Contains(out, want) {
				t.Errorf("kyverno apply to %s: want it to fail with %q, got error %v:\n%s", file, want, err, out)
			}
		}
	})

	t.Run("other kinds untouched", func(t *testing.T) {
		out := run(t, dir, kyverno, "apply", policy, "--remove-color",
			"--resource", filepath.Join("testdata", "other-group.yaml"),
			"--resource", filepath.Join("testdata", "configmap.yaml"))
		if !strings.Contains(out, "pass: 0, fail: 0, warn: 0, error: 0, skip: 0") {
			t.Errorf("kyverno apply to a GitHubRepo of another group and a ConfigMap: want no results at all, got:\n%s", out)
		}
	})
}
