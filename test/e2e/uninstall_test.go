package e2e

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookops/hookops/test/reference"
	"github.com/hookops/hookops/test/stack"
	"github.com/hookops/hookops/test/testkit"
)

// The README's uninstall sequence, run as written on an installation of
// its own: afterwards hookops is gone and every repository it managed still
// exists on GitHub, with nothing but its claim removed.
func TestUninstallKeepsRepositories(t *testing.T) {
	parallel(t)
	timed(t)
	script := readmeBlock(t, "**Uninstalling without deleting any repository.**")
	s, kubectl := startInstallation(t, stack.Options{})
	manifest := fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata: {name: team-u}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: gh-token, namespace: team-u, labels: {github.hookops.dev/credentials: \"true\"}}\nstringData: {token: fake-token, baseURL: %q}\n", s.GitHubURL)
	for _, r := range []struct{ name, policy string }{{"kept-default", ""}, {"kept-delete", "Delete"}, {"kept-archive", "Archive"}} {
		policy := ""
		if r.policy != "" {
			policy = ", deletionPolicy: " + r.policy
		}
		manifest += fmt.Sprintf("---\napiVersion: github.hookops.dev/v1\nkind: GitHubRepo\nmetadata: {name: %s, namespace: team-u}\nspec: {owner: acme, credentialsSecretRef: {name: gh-token}%s}\n", r.name, policy)
	}
	kubectl(manifest, "apply", "-f", "-")
	testkit.Eventually(t, 2*time.Minute, "three repositories Ready", func() (bool, string) {
		out := kubectl("", "get", "ghr", "-n", "team-u", "-o", `jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status} {end}`)
		return strings.Count(out, "True") == 3, out
	})

	testkit.Eventually(t, time.Minute, "the credentials Secret held while GitHubRepos use it", func() (bool, string) {
		out := kubectl("", "get", "secret", "gh-token", "-n", "team-u", "-o", "jsonpath={.metadata.finalizers}")
		return strings.Contains(out, "githubrepo-credentials"), out
	})

	// A cluster installed as the README says has cert-manager's CRDs
	// (manifests/ holds a Certificate); the local stack does without.
	kubectl("", "apply", "-f", filepath.Join(reference.RepoRoot(), "test", "manifests", "testdata", "cert-manager-crds.yaml"))
	cmd := exec.CommandContext(testkit.Within(t, 5*time.Minute), "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = reference.RepoRoot()
	cmd.Env = append(os.Environ(), "KUBECONFIG="+s.ControlPlane.KubeconfigPath)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the README's uninstall: %v\n%s", err, out)
	}
	if out, err := testkit.Kubectl(s.ControlPlane.KubeconfigPath, "", "get", "crd", "githubrepos.github.hookops.dev"); err == nil {
		t.Errorf("the CRD is still there:\n%s", out)
	}
	// The credentials Secret is free to go: nothing holds it any more.
	if out, err := testkit.Kubectl(s.ControlPlane.KubeconfigPath, "", "delete", "secret", "gh-token", "-n", "team-u", "--timeout=30s"); err != nil {
		t.Errorf("delete the credentials Secret after uninstalling: %v\n%s", err, out)
	}
	repos := s.GitHub.Repos()
	if len(repos) != 3 {
		t.Fatalf("repositories after uninstalling: %v", repos)
	}
	for _, r := range repos {
		if r.Archived || r.CustomProperties["hookops-claim"] != nil {
			t.Errorf("%s after uninstalling: archived %v, claim %v", r.FullName(), r.Archived, r.CustomProperties["hookops-claim"])
		}
	}
}

// readmeBlock is the first ```sh block after the line that starts with
// marker in the README, so that what the test runs is what users read.
func readmeBlock(t *testing.T, marker string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(reference.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(data), "\n"+marker)
	if !ok {
		t.Fatalf("README has no %q", marker)
	}
	_, block, ok := strings.Cut(after, "```sh\n")
	if !ok {
		t.Fatalf("README has no sh block after %q", marker)
	}
	block, _, _ = strings.Cut(block, "```")
	return block
}

// startInstallation starts a hookops installation of its own beside the
// shared one (control plane, hook server and the same kind of
// Metacontroller; its own fake GitHub unless opts names one; a 5 s resync
// unless opts gives one), stopped when t ends, and returns a kubectl for it
// that fails t on error.
func startInstallation(t *testing.T, opts stack.Options) (*stack.Stack, func(stdin string, args ...string) string) {
	t.Helper()
	opts.ResyncPeriodSeconds, opts.MetacontrollerBin = cmp.Or(opts.ResyncPeriodSeconds, 5), os.Getenv("METACONTROLLER_BIN")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := stack.Start(ctx, opts)
	if err != nil {
		t.Fatalf("start another installation: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(s.Logs())
		}
		if err := s.Stop(); err != nil {
			t.Errorf("stop the other installation: %v", err)
		}
	})
	return s, func(stdin string, args ...string) string {
		t.Helper()
		out, err := testkit.Kubectl(s.ControlPlane.KubeconfigPath, stdin, args...)
		if err != nil {
			t.Fatalf("kubectl %v: %v\n%s", args, err, out)
		}
		return out
	}
}
