// Package testkit is what the tests that run on a control plane share:
// every wait in them is bounded, so that a broken or overloaded control
// plane fails a test instead of hanging the run.
package testkit

import (
	"context"
	"testing"
	"time"
)

// APITimeout bounds one API call or one kubectl command. It is generous,
// so that it holds with every control-plane package running at once on two
// busy cores, and finite, so that a wedged kube-apiserver fails the test.
const APITimeout = time.Minute

// Context is the context of one API call of t: it ends after APITimeout.
// It does not derive from t.Context(), which ends before t's cleanups run,
// so cleanups may use it too.
func Context(t testing.TB) context.Context { return Within(t, APITimeout) }

// Within is a context for a step of t that makes many calls: it ends after d.
func Within(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
