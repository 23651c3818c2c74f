package controlplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// BinDirEnv names a directory with prebuilt etcd, kube-apiserver and
// kube-controller-manager binaries; when set, nothing is built.
const BinDirEnv = "HOOKOPS_CONTROLPLANE_BIN"

var binaryNames = []string{"etcd", "kube-apiserver", "kube-controller-manager"}

// Binaries returns the directory holding the control-plane binaries, building
// them with build.sh on first use (minutes) and answering from its cache after.
func Binaries(ctx context.Context) (string, error) {
	if dir := os.Getenv(BinDirEnv); dir != "" {
		if err := checkBinaries(dir); err != nil {
			return "", fmt.Errorf("%s=%s: %w", BinDirEnv, dir, err)
		}
		return dir, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	script := filepath.Join(root, "test", "controlplane", "build.sh")
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Stdout = &stdout
	// Build progress is streamed because a cold build takes minutes.
	cmd.Stderr = io.MultiWriter(os.Stderr, &stderr)
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build control plane with %s: %w\n%s", script, err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	dir := lines[len(lines)-1]
	return dir, checkBinaries(dir)
}

func checkBinaries(dir string) error {
	for _, name := range binaryNames {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("control plane binary: %w", err)
		}
		if fi.Mode()&0o111 == 0 {
			return fmt.Errorf("control plane binary %s is not executable", filepath.Join(dir, name))
		}
	}
	return nil
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
