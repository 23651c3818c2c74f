package standin

import (
	"context"
	"fmt"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
)

// informerSet holds one informer per resource type for the children,
// attachments and related objects of every controller while Run runs, as
// Metacontroller's shared informer factory does, and syncs read those
// types from its stores instead of listing them from the API server.
type informerSet struct {
	ctx context.Context
	wg  *sync.WaitGroup
	s   *Standin

	mu sync.Mutex
	m  map[schema.GroupVersionResource]cache.SharedIndexInformer
}

func newInformerSet(ctx context.Context, wg *sync.WaitGroup, s *Standin) *informerSet {
	return &informerSet{ctx: ctx, wg: wg, s: s, m: map[schema.GroupVersionResource]cache.SharedIndexInformer{}}
}

// get returns the running informer for r, starting it the first time; nil
// once Run has ended.
func (is *informerSet) get(r apiResource) cache.SharedIndexInformer {
	if is == nil {
		return nil
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	if inf, ok := is.m[r.gvr]; ok {
		return inf
	}
	inf := dynamicinformer.NewFilteredDynamicInformer(is.s.dyn, r.gvr, metav1.NamespaceAll, 0,
		cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc, controllerIndex: controllerUID, labelKeyIndex: labelKeys}, nil).Informer()
	is.m[r.gvr] = inf
	is.wg.Add(1)
	go func() {
		defer is.wg.Done()
		inf.RunWithContext(is.ctx)
	}()
	return inf
}

// synced returns r's informer once its store is filled, or nil.
func (is *informerSet) synced(r apiResource) cache.SharedIndexInformer {
	if is == nil {
		return nil
	}
	is.mu.Lock()
	inf := is.m[r.gvr]
	is.mu.Unlock()
	if inf == nil || !inf.HasSynced() {
		return nil
	}
	return inf
}

// list returns the objects of type r in namespace (all namespaces when
// empty) that sel selects: from the informer's store while Run runs and
// the store is filled, from the API server otherwise (SyncOnce, which tests
// call right after writing). Objects from the store are shared with it:
// syncs only read them (the hooks get them encoded).
func (s *Standin) list(ctx context.Context, r apiResource, namespace string, sel labels.Selector) ([]*unstructured.Unstructured, error) {
	if inf := s.informerSet().synced(r); inf != nil {
		return fromStore(inf.GetIndexer(), namespace, sel)
	}
	list, err := s.client(r, namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, err
	}
	out := make([]*unstructured.Unstructured, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

func fromStore(idx cache.Indexer, namespace string, sel labels.Selector) ([]*unstructured.Unstructured, error) {
	objs, err := candidates(idx, namespace, sel)
	if err != nil {
		return nil, fmt.Errorf("informer store: %w", err)
	}
	return matching(objs, namespace, sel), nil
}

// matching keeps the objects from a store in namespace (all when empty)
// that sel selects.
func matching(objs []any, namespace string, sel labels.Selector) []*unstructured.Unstructured {
	everything := sel.Empty()
	var out []*unstructured.Unstructured
	for _, o := range objs {
		u, ok := o.(*unstructured.Unstructured)
		if ok && (namespace == "" || u.GetNamespace() == namespace) && (everything || sel.Matches(labelsOf(u))) {
			out = append(out, u)
		}
	}
	return out
}

// candidates narrows the store to the fewest objects that can match:
// those of the namespace, or those carrying a label key the selector
// requires, whichever are fewer. A cluster-wide selector of labelled
// sources would otherwise read the labels of every object of the type,
// copies included, on every sync of every namespace.
func candidates(idx cache.Indexer, namespace string, sel labels.Selector) ([]any, error) {
	var objs []any
	narrowed := namespace != ""
	if narrowed {
		var err error
		if objs, err = idx.ByIndex(cache.NamespaceIndex, namespace); err != nil {
			return nil, err
		}
	}
	reqs, _ := sel.Requirements()
	for _, r := range reqs {
		switch r.Operator() {
		case selection.Equals, selection.DoubleEquals, selection.In, selection.Exists, selection.GreaterThan, selection.LessThan:
			withKey, err := idx.ByIndex(labelKeyIndex, r.Key())
			if err != nil {
				return nil, err
			}
			if !narrowed || len(withKey) < len(objs) {
				objs, narrowed = withKey, true
			}
		}
	}
	if !narrowed {
		return idx.List(), nil
	}
	return objs, nil
}

// labelKeyIndex files objects by each of their label keys (see candidates).
const labelKeyIndex = "label-key"

func labelKeys(obj any) ([]string, error) {
	o, ok := obj.(metav1.Object)
	if !ok {
		return nil, nil
	}
	l := o.GetLabels()
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	return keys, nil
}

// controllerIndex files objects by the uid of their controller, as
// Metacontroller's informers do, so that a parent's children are found
// without reading every object of their type: under a cluster-scoped
// parent such as a Namespace, that is every object in the cluster.
const controllerIndex = "controller-uid"

func controllerUID(obj any) ([]string, error) {
	o, ok := obj.(metav1.Object)
	if !ok {
		return nil, nil
	}
	if ref := metav1.GetControllerOfNoCopy(o); ref != nil {
		return []string{string(ref.UID)}, nil
	}
	return nil, nil
}

// controlled returns the objects of type r in namespace (all when empty)
// whose controller is owner and that sel selects, from the informer's
// index while Run runs, as list does otherwise.
func (s *Standin) controlled(ctx context.Context, r apiResource, namespace string, owner types.UID, sel labels.Selector) ([]*unstructured.Unstructured, error) {
	if inf := s.informerSet().synced(r); inf != nil {
		found, err := inf.GetIndexer().ByIndex(controllerIndex, string(owner))
		if err != nil {
			return nil, fmt.Errorf("informer store: %w", err)
		}
		return matching(found, namespace, sel), nil
	}
	all, err := s.list(ctx, r, namespace, sel)
	if err != nil {
		return nil, err
	}
	var objs []*unstructured.Unstructured
	for _, u := range all {
		if ref := metav1.GetControllerOf(u); ref != nil && ref.UID == owner {
			objs = append(objs, u)
		}
	}
	return objs, nil
}

func (s *Standin) informerSet() *informerSet {
	s.informersMu.Lock()
	defer s.informersMu.Unlock()
	return s.informers
}

func (s *Standin) setInformerSet(is *informerSet) {
	s.informersMu.Lock()
	defer s.informersMu.Unlock()
	s.informers = is
}
