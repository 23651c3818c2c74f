package standin

import (
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"

	"github.com/hookops/hookops/test/controlplane"
)

// apiResource is what discovery says about one resource.
type apiResource struct {
	gvr        schema.GroupVersionResource
	apiVersion string
	kind       string
	namespaced bool
	hasStatus  bool
}

// resourceCache answers discovery questions from the control plane's REST
// mapper, resetting it once when a resource is missing because CRDs come
// and go in tests. Answers are kept for discoveryInterval, as
// Metacontroller keeps what discovery said between refreshes: every
// related object's event asks about every parent's rules, and the REST
// mapper is far too slow to ask each time.
type resourceCache struct {
	mapper *controlplane.RESTMapper
	now    func() time.Time

	mu    sync.Mutex
	found map[resourceQuery]foundResource
}

// discoveryInterval is Metacontroller's default --discovery-interval.
const discoveryInterval = 30 * time.Second

type resourceQuery struct{ apiVersion, name string }

type foundResource struct {
	r  apiResource
	at time.Time
}

func newResourceCache(client discovery.DiscoveryInterface) *resourceCache {
	return &resourceCache{mapper: controlplane.NewRESTMapper(client), now: time.Now, found: map[resourceQuery]foundResource{}}
}

// byResource finds a resource by its plural name, e.g. ("v1", "configmaps").
func (rc *resourceCache) byResource(apiVersion, resource string) (apiResource, error) {
	return rc.remembered(resourceQuery{apiVersion, resource}, func() (apiResource, error) { return rc.lookUpResource(apiVersion, resource) })
}

// byKind finds a resource by its kind, e.g. ("v1", "ConfigMap").
func (rc *resourceCache) byKind(apiVersion, kind string) (apiResource, error) {
	return rc.remembered(resourceQuery{apiVersion, "kind:" + kind}, func() (apiResource, error) { return rc.lookUpKind(apiVersion, kind) })
}

// remembered answers q from what was found within discoveryInterval, or
// by lookup. Misses are not kept: the resource may appear any moment.
func (rc *resourceCache) remembered(q resourceQuery, lookup func() (apiResource, error)) (apiResource, error) {
	rc.mu.Lock()
	f, ok := rc.found[q]
	rc.mu.Unlock()
	if ok && rc.now().Sub(f.at) < discoveryInterval {
		return f.r, nil
	}
	r, err := lookup()
	if err != nil {
		return r, err
	}
	rc.mu.Lock()
	rc.found[q] = foundResource{r: r, at: rc.now()}
	rc.mu.Unlock()
	return r, nil
}

func (rc *resourceCache) lookUpResource(apiVersion, resource string) (apiResource, error) {
	return rc.find(apiVersion, resource, func(gv schema.GroupVersion) (*meta.RESTMapping, error) {
		gvk, err := rc.mapper.KindFor(gv.WithResource(resource))
		if err != nil {
			return nil, err
		}
		m, err := rc.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		// The mapper also knows singular names; a rule names the plural.
		if err == nil && m.Resource.Resource != resource {
			return nil, &meta.NoResourceMatchError{PartialResource: gv.WithResource(resource)}
		}
		return m, err
	})
}

func (rc *resourceCache) lookUpKind(apiVersion, kind string) (apiResource, error) {
	return rc.find(apiVersion, kind, func(gv schema.GroupVersion) (*meta.RESTMapping, error) {
		return rc.mapper.RESTMapping(gv.WithKind(kind).GroupKind(), gv.Version)
	})
}

// find maps with lookup, asking discovery afresh once when it fails.
func (rc *resourceCache) find(apiVersion, what string, lookup func(schema.GroupVersion) (*meta.RESTMapping, error)) (apiResource, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return apiResource{}, fmt.Errorf("resource %s in %s: %w", what, apiVersion, err)
	}
	m, err := lookup(gv)
	if err != nil {
		rc.mapper.Reset()
		m, err = lookup(gv)
	}
	if err != nil {
		return apiResource{}, fmt.Errorf("the server has no resource %s in %s: %w", what, apiVersion, err)
	}
	hasStatus, err := rc.hasSubresource(apiVersion, m.Resource.Resource+"/status")
	if err != nil {
		return apiResource{}, err
	}
	return apiResource{
		gvr:        m.Resource,
		apiVersion: apiVersion,
		kind:       m.GroupVersionKind.Kind,
		namespaced: m.Scope.Name() == meta.RESTScopeNameNamespace,
		hasStatus:  hasStatus,
	}, nil
}

// hasSubresource reports whether discovery lists name (such as
// "widgets/status") in apiVersion; a mapping does not say.
func (rc *resourceCache) hasSubresource(apiVersion, name string) (bool, error) {
	list, err := rc.mapper.Discovery.ServerResourcesForGroupVersion(apiVersion)
	if err != nil {
		return false, fmt.Errorf("discover %s: %w", apiVersion, err)
	}
	for _, r := range list.APIResources {
		if r.Name == name {
			return true, nil
		}
	}
	return false, nil
}

// client returns a client for r, scoped to namespace when r is namespaced
// and namespace is not empty.
func (s *Standin) client(r apiResource, namespace string) dynamic.ResourceInterface {
	return s.dyn.Resource(r.gvr).Namespace(scope(r, namespace))
}

// applier is a client for server-side applies: the same request, but the
// API server answers with the object's metadata alone, which is all the
// stand-in reads of it (appliedCache). Decoding every applied object whole
// cost the stand-in a tenth of its CPU in the mirror benchmark, CPU the
// API server on the same machine would otherwise have.
func (s *Standin) applier(r apiResource, namespace string) metadata.ResourceInterface {
	return s.meta.Resource(r.gvr).Namespace(scope(r, namespace))
}

// scope is the namespace a request about r is made in: none for a
// cluster-scoped resource, and none (every namespace) when empty.
func scope(r apiResource, namespace string) string {
	if !r.namespaced {
		return ""
	}
	return namespace
}
