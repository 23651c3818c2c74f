package standin

import (
	"encoding/json"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// encodings keeps the JSON of the objects sent to hooks, by uid and
// resourceVersion. Every sync of a Namespace sends every source and every
// ConfigMap of the namespace, and most of them have not changed since the
// last sync: encoding each version once, rather than once per request, saves
// most of what building a request costs, CPU the API server on the same
// machine would otherwise lose. Two generations of entries bound it.
type encodings struct {
	mu        sync.Mutex
	cur, prev map[encodingKey]json.RawMessage
}

type encodingKey struct {
	uid             types.UID
	resourceVersion string
}

// encodingsPerGeneration is large enough for every object of a few thousand
// namespaces' syncs to be found again in the next round.
const encodingsPerGeneration = 8192

// encode returns o's JSON. The bytes are shared: callers only read them.
func (e *encodings) encode(o *unstructured.Unstructured) (json.RawMessage, error) {
	k := encodingKey{o.GetUID(), o.GetResourceVersion()}
	if k.uid == "" || k.resourceVersion == "" {
		return json.Marshal(o.Object)
	}
	if b, ok := e.lookup(k); ok {
		return b, nil
	}
	b, err := json.Marshal(o.Object)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.store(k, b)
	return b, nil
}

func (e *encodings) lookup(k encodingKey) (json.RawMessage, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if b, ok := e.cur[k]; ok {
		return b, true
	}
	b, ok := e.prev[k]
	if ok {
		e.store(k, b)
	}
	return b, ok
}

// store adds an entry, starting a new generation when the current one is
// full; the caller holds mu.
func (e *encodings) store(k encodingKey, b json.RawMessage) {
	if e.cur == nil || len(e.cur) >= encodingsPerGeneration {
		e.prev, e.cur = e.cur, make(map[encodingKey]json.RawMessage, encodingsPerGeneration)
	}
	e.cur[k] = b
}
