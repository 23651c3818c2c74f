package standin

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/lru"
)

// encodings keeps the JSON of the objects sent to hooks, by uid and
// resourceVersion. Every sync of a Namespace sends every source and every
// ConfigMap of the namespace, and most of them have not changed since the
// last sync: encoding each version once, rather than once per request, saves
// most of what building a request costs, CPU the API server on the same
// machine would otherwise lose.
type encodings struct{ cache *lru.Cache }

type encodingKey struct {
	uid             types.UID
	resourceVersion string
}

// maxEncodings is enough for every object of a few thousand namespaces'
// syncs to be found again in the next round.
const maxEncodings = 16384

func newEncodings() *encodings { return &encodings{cache: lru.New(maxEncodings)} }

// encode returns o's JSON. The bytes are shared: callers only read them.
func (e *encodings) encode(o *unstructured.Unstructured) (json.RawMessage, error) {
	k := encodingKey{o.GetUID(), o.GetResourceVersion()}
	if k.uid == "" || k.resourceVersion == "" {
		return json.Marshal(o.Object)
	}
	if b, ok := e.cache.Get(k); ok {
		return b.(json.RawMessage), nil
	}
	b, err := json.Marshal(o.Object)
	if err != nil {
		return nil, err
	}
	e.cache.Add(k, json.RawMessage(b))
	return b, nil
}
