// Package reference locates the reference data kept beside the repository in
// ../shared: hook requests captured from a real Metacontroller, its CRDs, and
// recorded GitHub API exchanges with GitHub's OpenAPI description.
package reference

import (
	"bytes"
	"errors"
	"fmt"
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

// RepoRoot returns the root of this repository's checkout (see ModuleRoot);
// when that cannot be found, the directory two levels above this source file.
func RepoRoot() string {
	if root, err := ModuleRoot(); err == nil {
		return root
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// ModuleRoot returns the root directory of the hookops module checkout: from
// this source file's location when it is available (not under -trimpath), else
// by walking up from the working directory, which go test sets to the package.
func ModuleRoot() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		root := filepath.Join(filepath.Dir(file), "..", "..")
		if isModuleRoot(root) {
			return root, nil
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		if isModuleRoot(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find module root: no go.mod of github.com/hookops/hookops above the working directory")
		}
		dir = parent
	}
}

func isModuleRoot(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	return err == nil && bytes.HasPrefix(data, []byte("module github.com/hookops/hookops\n"))
}
