// Package policy tests the admission policies in manifests/policy/, each on
// its own engine: Kyverno's CLI, Gatekeeper's gator and OPA for the Rego, and
// a real kube-apiserver for the ValidatingAdmissionPolicy. The CLIs are built
// from Go modules at pinned versions by tools.sh and cached outside the repo.
package policy

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookops/hookops/test/reference"
	"github.com/hookops/hookops/test/testkit"
)

// tool returns the path of a policy-engine CLI (kyverno, gator or opa). A
// tool that cannot be built fails the test: only -short skips.
func tool(t *testing.T, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("skipping: needs the %s CLI (not run with -short)", name)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(testkit.Within(t, 30*time.Minute), "bash", filepath.Join(repoRoot(t), "test", "policy", "tools.sh"), name)
	cmd.Stdout = &stdout
	// Build progress is streamed because a cold build takes minutes.
	cmd.Stderr = io.MultiWriter(os.Stderr, &stderr)
	if err := cmd.Run(); err != nil {
		t.Fatalf("build %s with tools.sh: %v\n%s", name, err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	return lines[len(lines)-1]
}

// run runs a CLI in dir and fails the test, with its output, if it exits
// non-zero.
func run(t *testing.T, dir, bin string, args ...string) string {
	t.Helper()
	out, err := command(t, dir, bin, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return out
}

// command runs a CLI in dir and returns its combined output.
func command(t *testing.T, dir, bin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(testkit.Context(t), bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := reference.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}
