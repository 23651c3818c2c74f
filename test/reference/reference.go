// Package reference locates the reference data kept beside the repository in
// ../shared: hook requests captured from a real Metacontroller, its CRDs, and
// recorded GitHub API exchanges with GitHub's OpenAPI description.
package reference

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Path returns the path of elem under the shared directory. The directory is
// HOOKOPS_SHARED_DIR when set, else the "shared" directory beside the
// repository checkout. A missing file fails the test: reference data that
// cannot be found must never turn into a silently skipped check.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{Dir()}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("reference data %s is missing (set HOOKOPS_SHARED_DIR to the shared directory): %v", p, err)
	}
	return p
}

// Dir returns the shared directory (see Path).
func Dir() string {
	if d := os.Getenv("HOOKOPS_SHARED_DIR"); d != "" {
		return d
	}
	return filepath.Join(RepoRoot(), "..", "shared")
}

// RepoRoot returns the root of this repository's checkout.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
