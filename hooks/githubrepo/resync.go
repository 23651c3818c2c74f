package githubrepo

import (
	"hash/fnv"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// resyncSpread is how far, either way, an object's resync interval is
// moved from ResyncEvery.
const resyncSpread = 0.1

// steadyResync says when an object that is in line should be looked at
// again: ResyncEvery, moved by up to ±10% by a hash of its uid. A
// controller-wide resync period makes Metacontroller sync every object at
// once (its informer hands them all over together), which at 10,000
// objects is minutes of full load and latency every period. With an
// interval of its own, each object comes back on its own beat, so that
// even objects first synced together (a start) drift apart, and the load is
// the same at every moment. The uid, not a random draw, keeps responses
// the same for the same request.
func (h *Hooks) steadyResync(uid types.UID) time.Duration {
	if h.ResyncEvery <= 0 {
		return 0
	}
	f := fnv.New64a()
	f.Write([]byte(uid))
	u := float64(f.Sum64()>>11) / (1 << 53) // uniform in [0, 1)
	return time.Duration(float64(h.ResyncEvery) * (1 - resyncSpread + 2*resyncSpread*u)).Round(time.Second)
}
