package ghwebhook

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
)

// newInformer watches every GitHubRepo of the cluster through the dynamic
// client. It is what client-go's dynamicinformer builds, without that
// package: it imports the typed informers of every Kubernetes API, which
// would add several MiB to the resident memory of the hook server binary
// this receiver shares.
func newInformer(client dynamic.Interface) cache.SharedIndexInformer {
	repos := client.Resource(githubRepos)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return repos.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return repos.Watch(ctx, o)
		},
	}
	return cache.NewSharedIndexInformerWithOptions(cache.ToListWatcherWithWatchListSemantics(lw, client), &unstructured.Unstructured{},
		cache.SharedIndexInformerOptions{Indexers: indexers(), ObjectDescription: githubRepos.String()})
}
