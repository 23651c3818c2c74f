package githubrepo

import (
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// Objects synced together (all of them, when Metacontroller starts) must
// come back spread over the whole ±10% band, each on the same beat every
// time, so that their later syncs do not meet again.
func TestSteadyResyncSpreadsObjects(t *testing.T) {
	h := &Hooks{ResyncEvery: 5 * time.Minute}
	const n = 2000
	lo, hi := 270*time.Second, 330*time.Second
	buckets := make([]int, 6) // 10 s each across [270 s, 330 s)
	for i := range n {
		uid := types.UID(fmt.Sprintf("8d3c1f2e-%04d-4b1a-9c55-0a1b2c3d4e5f", i))
		d := h.steadyResync(uid)
		if d < lo || d > hi {
			t.Fatalf("steadyResync(%s) = %s, want within [%s, %s]", uid, d, lo, hi)
		}
		if again := h.steadyResync(uid); again != d {
			t.Fatalf("steadyResync(%s) = %s then %s, want the same", uid, d, again)
		}
		buckets[min(int((d-lo)/(10*time.Second)), 5)]++
	}
	for i, c := range buckets {
		if c < n/6*7/10 || c > n/6*13/10 {
			t.Errorf("bucket %d holds %d of %d resyncs, want about %d: %v", i, c, n, n/6, buckets)
		}
	}
	if d := (&Hooks{}).steadyResync("x"); d != 0 {
		t.Errorf("with no ResyncEvery: %s, want 0 (the controller's resync period)", d)
	}
}
