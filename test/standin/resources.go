package standin

import (
	"fmt"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
)

// apiResource is what discovery says about one resource.
type apiResource struct {
	gvr        schema.GroupVersionResource
	apiVersion string
	kind       string
	namespaced bool
	hasStatus  bool
}

// resourceCache answers discovery questions, refreshing a group version
// once when a resource is missing because CRDs come and go in tests.
type resourceCache struct {
	client discovery.DiscoveryInterface
	mu     sync.Mutex
	lists  map[string]*metav1.APIResourceList
}

func newResourceCache(client discovery.DiscoveryInterface) *resourceCache {
	return &resourceCache{client: client, lists: map[string]*metav1.APIResourceList{}}
}

// byResource finds a resource by its plural name, e.g. ("v1", "configmaps").
func (rc *resourceCache) byResource(apiVersion, resource string) (apiResource, error) {
	return rc.find(apiVersion, func(r metav1.APIResource) bool { return r.Name == resource }, resource)
}

// byKind finds a resource by its kind, e.g. ("v1", "ConfigMap").
func (rc *resourceCache) byKind(apiVersion, kind string) (apiResource, error) {
	return rc.find(apiVersion, func(r metav1.APIResource) bool { return r.Kind == kind }, kind)
}

func (rc *resourceCache) find(apiVersion string, match func(metav1.APIResource) bool, what string) (apiResource, error) {
	for _, refresh := range []bool{false, true} {
		list, err := rc.list(apiVersion, refresh)
		if err != nil {
			if refresh {
				return apiResource{}, err
			}
			continue
		}
		for _, r := range list.APIResources {
			if strings.Contains(r.Name, "/") || !match(r) {
				continue
			}
			gv, err := schema.ParseGroupVersion(apiVersion)
			if err != nil {
				return apiResource{}, fmt.Errorf("resource %s in %s: %w", what, apiVersion, err)
			}
			return apiResource{
				gvr:        gv.WithResource(r.Name),
				apiVersion: apiVersion,
				kind:       r.Kind,
				namespaced: r.Namespaced,
				hasStatus:  hasSubresource(list, r.Name+"/status"),
			}, nil
		}
	}
	return apiResource{}, fmt.Errorf("the server has no resource %s in %s", what, apiVersion)
}

func (rc *resourceCache) list(apiVersion string, refresh bool) (*metav1.APIResourceList, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if l, ok := rc.lists[apiVersion]; ok && !refresh {
		return l, nil
	}
	l, err := rc.client.ServerResourcesForGroupVersion(apiVersion)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", apiVersion, err)
	}
	rc.lists[apiVersion] = l
	return l, nil
}

func hasSubresource(list *metav1.APIResourceList, name string) bool {
	for _, r := range list.APIResources {
		if r.Name == name {
			return true
		}
	}
	return false
}

// client returns a client for r, scoped to namespace when r is namespaced
// and namespace is not empty.
func (s *Standin) client(r apiResource, namespace string) dynamic.ResourceInterface {
	if r.namespaced && namespace != "" {
		return s.dyn.Resource(r.gvr).Namespace(namespace)
	}
	return s.dyn.Resource(r.gvr)
}
