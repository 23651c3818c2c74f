package controlplane

import (
	"context"
	"testing"
)

// StartT starts a control plane for a test and stops it in t.Cleanup. It
// fails the test when the binaries cannot be built or the control plane does
// not come up; only -short skips it.
func StartT(t testing.TB) *ControlPlane {
	return StartTWith(t, Options{})
}

// StartTWith is StartT with options.
func StartTWith(t testing.TB, opts Options) *ControlPlane {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping: needs a kube-apiserver control plane (not run with -short)")
	}
	cp, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("start control plane: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("control plane logs:\n%s", cp.LogTails())
		}
		if err := cp.Stop(); err != nil {
			t.Errorf("stop control plane: %v", err)
		}
	})
	return cp
}
