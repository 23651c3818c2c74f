package testkit

import (
	"context"
	"os/exec"
	"strings"
	"time"
)

// Kubectl runs kubectl against kubeconfig with stdin (if not empty) as its
// input, bounded by APITimeout both on the client and as a process.
func Kubectl(kubeconfig, stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), APITimeout)
	defer cancel()
	cmd := KubectlCommand(ctx, kubeconfig, append([]string{"--request-timeout", (APITimeout - 5*time.Second).String()}, args...)...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// KubectlCommand is kubectl against kubeconfig (none when empty), killed
// when ctx ends; the caller wires its input and output.
func KubectlCommand(ctx context.Context, kubeconfig string, args ...string) *exec.Cmd {
	if kubeconfig != "" {
		args = append([]string{"--kubeconfig", kubeconfig}, args...)
	}
	cmd := exec.CommandContext(ctx, "kubectl", args...)
	// A kubectl killed with children still holding its output must not
	// block Wait.
	cmd.WaitDelay = 5 * time.Second
	return cmd
}
