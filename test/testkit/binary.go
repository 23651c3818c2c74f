package testkit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hookops/hookops/test/process"
	"github.com/hookops/hookops/test/reference"
)

// built holds the binaries Build made, by package, in one directory per
// test binary: each command builds once however many tests start it.
var built struct {
	sync.Mutex
	dir  string
	bins map[string]string
}

// Build builds the command pkg of this module (such as "./server") as name,
// once per test binary. CleanBuilds removes what it built.
func Build(t testing.TB, name, pkg string) string {
	t.Helper()
	bin, err := build(name, pkg)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func build(name, pkg string) (string, error) {
	built.Lock()
	defer built.Unlock()
	if bin, ok := built.bins[pkg]; ok {
		return bin, nil
	}
	if built.dir == "" {
		dir, err := os.MkdirTemp("", "hookops-test-bin-")
		if err != nil {
			return "", fmt.Errorf("directory for built binaries: %w", err)
		}
		built.dir, built.bins = dir, map[string]string{}
	}
	bin := filepath.Join(built.dir, name)
	if err := process.Build(context.Background(), reference.RepoRoot(), pkg, bin); err != nil {
		return "", err
	}
	built.bins[pkg] = bin
	return bin, nil
}

// CleanBuilds removes the binaries Build made; TestMain calls it after the
// tests ran, since they outlive any one test.
func CleanBuilds() {
	built.Lock()
	defer built.Unlock()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	built.dir, built.bins = "", nil
}

// Start runs bin with args until t ends; its output goes to <dir>/<name>.log.
func Start(t testing.TB, dir, name, bin string, args ...string) *process.Process {
	t.Helper()
	p, err := process.Start(dir, name, nil, bin, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(0) })
	return p
}
