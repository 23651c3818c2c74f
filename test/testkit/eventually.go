package testkit

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// Interval is how often Eventually checks.
const Interval = 100 * time.Millisecond

// Eventually checks every Interval until check reports true; after within,
// t fails with what the last check said.
func Eventually(t testing.TB, within time.Duration, what string, check func() (bool, string)) {
	t.Helper()
	EventuallyEvery(t, within, Interval, what, check)
}

// EventuallyEvery is Eventually checking every interval.
func EventuallyEvery(t testing.TB, within, interval time.Duration, what string, check func() (bool, string)) {
	t.Helper()
	var detail string
	// Not t.Context(): it ends before t's cleanups, which wait too.
	err := wait.PollUntilContextTimeout(context.Background(), interval, within, true, func(context.Context) (bool, error) {
		var ok bool
		ok, detail = check()
		return ok, nil
	})
	if err != nil {
		t.Fatalf("%s: not reached within %s\n%s", what, within, detail)
	}
}
