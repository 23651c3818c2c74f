package controlplane

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/hookops/hookops/test/reference"
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
	root, err := reference.ModuleRoot()
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
