package githubrepo

import (
	"time"
)

// Backoff bounds. The schedule for ordinary failures is
// min(5s·2^(n−1), 5m) with ±10% jitter, n being consecutive failures.
const (
	baseDelay      = 5 * time.Second
	maxDelay       = 5 * time.Minute
	secondaryDelay = time.Minute
	maxSecondary   = 15 * time.Minute
	// heldRecheck is how often a deletion held by the deletion guard is
	// looked at again.
	heldRecheck = 10 * time.Minute
)

// retryDelay says when to try again after a failure; failures counts the
// consecutive failures including this one and jitter is uniform in [0, 1).
func retryDelay(f *failure, failures int32, now time.Time, jitter float64) time.Duration {
	switch {
	case !f.resetAt.IsZero():
		// The primary budget refills at reset; one second of slack covers clock skew.
		return max(f.resetAt.Sub(now)+time.Second, time.Second)
	case f.secondary:
		d := min(exponential(secondaryDelay, failures), maxSecondary)
		return max(d, f.retryAfter)
	}
	d := min(exponential(baseDelay, failures), maxDelay)
	return time.Duration(float64(d) * (0.9 + 0.2*jitter))
}

func exponential(base time.Duration, n int32) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 20 {
		n = 20
	}
	return base << (n - 1)
}
