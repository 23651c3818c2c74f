package standin

import (
	"hash/fnv"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// appliedCache remembers what was last applied to each child, so that a
// sync whose desired child has not changed, and whose child nobody else
// has changed since, sends nothing. It is Metacontroller's lastUpdatedCache
// (pkg/controller/common/manage_children.go, isCacheInvalid): the entry
// holds when the UID and the hash of the applied object are the same, and
// the generation is too, or the resourceVersion for kinds without one
// (ConfigMaps and Secrets).
type appliedCache struct{ m sync.Map }

type applied struct {
	hash            uint64
	uid             types.UID
	generation      int64
	resourceVersion string
}

func appliedKey(r apiResource, obj *unstructured.Unstructured) string {
	return r.gvr.String() + " " + objectKey(obj.GetNamespace(), obj.GetName())
}

func appliedHash(data []byte) uint64 {
	h := fnv.New64a()
	h.Write(data)
	return h.Sum64()
}

// current reports whether applying data to observed would change nothing
// that this stand-in wrote last.
func (c *appliedCache) current(key string, data []byte, observed *unstructured.Unstructured) bool {
	v, ok := c.m.Load(key)
	if !ok || observed == nil {
		return false
	}
	a := v.(applied)
	if a.uid != observed.GetUID() || a.hash != appliedHash(data) {
		return false
	}
	if observed.GetGeneration() == 0 {
		return a.resourceVersion == observed.GetResourceVersion()
	}
	return a.generation == observed.GetGeneration()
}

// store records what was applied and the object the API server answered.
func (c *appliedCache) store(key string, data []byte, written metav1.Object) {
	c.m.Store(key, applied{
		hash:            appliedHash(data),
		uid:             written.GetUID(),
		generation:      written.GetGeneration(),
		resourceVersion: written.GetResourceVersion(),
	})
}

func (c *appliedCache) forget(key string) { c.m.Delete(key) }
