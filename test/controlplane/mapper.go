package controlplane

import (
	"fmt"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// RESTMapper maps kinds to resources and back from the API server's
// discovery, kept in memory. CRDs come and go while tests run: Reset drops
// the cache, so that the next question reads discovery afresh.
type RESTMapper struct {
	*restmapper.DeferredDiscoveryRESTMapper
	// Discovery is the cache the mapper answers from, for what a mapping
	// does not say (such as a resource's subresources); Reset empties it.
	Discovery discovery.CachedDiscoveryInterface
}

// NewRESTMapper returns a RESTMapper over the discovery client dc.
func NewRESTMapper(dc discovery.DiscoveryInterface) *RESTMapper {
	cached := memory.NewMemCacheClient(dc)
	return &RESTMapper{DeferredDiscoveryRESTMapper: restmapper.NewDeferredDiscoveryRESTMapper(cached), Discovery: cached}
}

// NewRESTMapperForConfig is NewRESTMapper for the API server of cfg.
func NewRESTMapperForConfig(cfg *rest.Config) (*RESTMapper, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	return NewRESTMapper(dc), nil
}
