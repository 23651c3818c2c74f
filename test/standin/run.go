package standin

import (
	"context"
	"errors"
	"fmt"
	"k8s.io/apimachinery/pkg/api/equality"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// item is a queued parent or target: parents[parent] names its type.
type item struct {
	parent          int
	namespace, name string
}

// runState is a controller's watch machinery while Run runs.
type runState struct {
	ctx       context.Context
	wg        *sync.WaitGroup
	queue     workqueue.TypedRateLimitingInterface[item]
	parents   []cache.SharedIndexInformer
	parentRes []apiResource

	mu       sync.Mutex
	watching map[schema.GroupVersionResource]bool
}

// SyncOnce runs one pass over the object namespace/name (namespace empty
// when cluster-scoped): customize when its answer for this generation is not
// known yet, then sync, or finalize when the object is being deleted or no
// longer selected, then the writes the answer asks for. It returns the hook's
// answer even when a later write fails. For a DecoratorController of several
// resource types the first type that has such an object is used.
func (c *Controller) SyncOnce(ctx context.Context, namespace, name string) (*Result, error) {
	for i := range c.parents {
		res, err := c.syncItem(ctx, nil, item{parent: i, namespace: namespace, name: name})
		if res != nil || err != nil {
			return res, err
		}
	}
	return nil, fmt.Errorf("standin: %s found no %s", c.name, objectKey(namespace, name))
}

// syncItem syncs one parent (or target); rs is Run's watch machinery, nil
// in SyncOnce.
func (c *Controller) syncItem(ctx context.Context, rs *runState, it item) (*Result, error) {
	if c.kind == kindComposite {
		return c.syncComposite(ctx, rs, it.namespace, it.name)
	}
	return c.syncDecorator(ctx, rs, it.parent, it.namespace, it.name)
}

// Run watches like Metacontroller until ctx ends: informers on parents (or
// targets), children (or attachments) and related objects feed a rate-limited
// workqueue per controller, drained by Options.Workers workers.
func (s *Standin) Run(ctx context.Context) error {
	if !s.running.TryLock() {
		return errors.New("standin: Run is already running")
	}
	defer s.running.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var err error
	s.setInformerSet(newInformerSet(ctx, &wg, s))
	defer s.setInformerSet(nil)
	for _, c := range s.controllers {
		if err = c.start(ctx, &wg); err != nil {
			break
		}
	}
	if err == nil {
		<-ctx.Done()
	}
	cancel()
	for _, c := range s.controllers {
		c.stop()
	}
	wg.Wait()
	return err
}

func (c *Controller) start(ctx context.Context, wg *sync.WaitGroup) error {
	rs := &runState{
		ctx: ctx,
		wg:  wg,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[item](c.s.opts.BackoffBase, c.s.opts.BackoffMax),
			workqueue.TypedRateLimitingQueueConfig[item]{Name: c.kind + "-" + c.name}),
		watching: map[schema.GroupVersionResource]bool{},
	}
	c.mu.Lock()
	c.run = rs
	c.mu.Unlock()

	var synced []cache.InformerSynced
	for i, rule := range c.parents {
		r, err := c.s.resources.byResource(rule.apiVersion, rule.resource)
		if err != nil {
			return fmt.Errorf("standin: %s: %w", c.name, err)
		}
		// The resync period applies to parents only, as in Metacontroller.
		inf := c.s.informer(r, c.resync)
		enqueue := func(obj any) { c.enqueue(rs, i, obj) }
		_, err = inf.AddEventHandlerWithResyncPeriod(cache.ResourceEventHandlerFuncs{
			AddFunc: enqueue,
			UpdateFunc: func(old, obj any) {
				if rule.ignoreStatus && onlyStatusChanged(old, obj) {
					return
				}
				enqueue(obj)
			},
			DeleteFunc: enqueue,
		}, c.resync)
		if err != nil {
			return fmt.Errorf("standin: %s: %w", c.name, err)
		}
		rs.parents, rs.parentRes = append(rs.parents, inf), append(rs.parentRes, r)
		synced = append(synced, inf.HasSynced)
		rs.runInformer(inf)
	}
	for _, rule := range c.children {
		r, err := c.s.resources.byResource(rule.apiVersion, rule.resource)
		if err != nil {
			return fmt.Errorf("standin: %s: %w", c.name, err)
		}
		inf := c.s.informerSet().get(r)
		onChild := func(obj any) { c.onChild(rs, obj) }
		_, err = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    onChild,
			UpdateFunc: func(old, cur any) { onChange(old, cur, onChild) },
			DeleteFunc: onChild,
		})
		if err != nil {
			return fmt.Errorf("standin: %s: %w", c.name, err)
		}
		synced = append(synced, inf.HasSynced)
	}
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return nil // stopped before the caches filled
	}
	for range c.s.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c.processNext(rs) {
			}
		}()
	}
	c.s.log.Info("controller running", "controller", c.name, "kind", c.kind)
	return nil
}

func (c *Controller) stop() {
	c.mu.Lock()
	rs := c.run
	c.run = nil
	c.mu.Unlock()
	if rs != nil {
		rs.queue.ShutDown()
	}
}

func (s *Standin) informer(r apiResource, resync time.Duration) cache.SharedIndexInformer {
	return dynamicinformer.NewFilteredDynamicInformer(s.dyn, r.gvr, metav1.NamespaceAll, resync, cache.Indexers{}, nil).Informer()
}

func (rs *runState) runInformer(inf cache.SharedIndexInformer) {
	rs.wg.Add(1)
	go func() {
		defer rs.wg.Done()
		inf.RunWithContext(rs.ctx)
	}()
}

// onChange ignores updates that change nothing, which is what relists and
// resyncs of children and related objects deliver.
func onChange(old, cur any, handle func(any)) {
	o, ok1 := old.(*unstructured.Unstructured)
	n, ok2 := cur.(*unstructured.Unstructured)
	if ok1 && ok2 && o.GetResourceVersion() == n.GetResourceVersion() {
		return
	}
	handle(cur)
}

func unwrap(obj any) (*unstructured.Unstructured, bool) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	u, ok := obj.(*unstructured.Unstructured)
	return u, ok
}

// enqueue queues a parent (or target) of type parents[i], if the controller
// handles it.
func (c *Controller) enqueue(rs *runState, i int, obj any) {
	u, ok := unwrap(obj)
	if !ok || !c.wants(c.parents[i], u) {
		return
	}
	rs.queue.Add(item{parent: i, namespace: u.GetNamespace(), name: u.GetName()})
}

// onChild queues the parent that controls a changed child, if it is one of ours.
func (c *Controller) onChild(rs *runState, obj any) {
	child, ok := unwrap(obj)
	if !ok {
		return
	}
	ref := metav1.GetControllerOf(child)
	if ref == nil {
		return
	}
	for i, r := range rs.parentRes {
		if parentGroup(ref.APIVersion) != r.gvr.Group || ref.Kind != r.kind {
			continue
		}
		namespace := ""
		if r.namespaced {
			namespace = child.GetNamespace()
		}
		if p, ok := rs.cachedParent(i, namespace, ref.Name); ok && p.GetUID() == ref.UID {
			c.enqueue(rs, i, p)
		}
	}
}

// cachedParent is the parent (or target) of type parents[i] in its
// informer's store, shared with it: only read.
func (rs *runState) cachedParent(i int, namespace, name string) (*unstructured.Unstructured, bool) {
	obj, exists, err := rs.parents[i].GetStore().GetByKey(objectKey(namespace, name))
	if err != nil || !exists {
		return nil, false
	}
	u, ok := obj.(*unstructured.Unstructured)
	return u, ok
}

// watchRelated starts watching a related resource type the first time a
// customize answer asks for it, while Run runs.
func (c *Controller) watchRelated(r apiResource) {
	c.mu.Lock()
	rs := c.run
	c.mu.Unlock()
	if rs == nil {
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.watching[r.gvr] {
		return
	}
	rs.watching[r.gvr] = true
	inf := c.s.informerSet().get(r)
	if inf == nil {
		return
	}
	onRelated := func(obj any) { c.onRelated(rs, obj) }
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    onRelated,
		UpdateFunc: func(old, cur any) { onChange(old, cur, func(any) { c.onRelated(rs, old, cur) }) },
		DeleteFunc: onRelated,
	})
	if err != nil {
		c.s.log.Error("watch related objects", "controller", c.name, "resource", r.gvr.String(), "error", err)
	}
}

// onRelated queues every parent whose customize answer selects one of objs
// (for an update, the old or the new state). Like Metacontroller it asks
// every parent, selected or not, calling customize where it has no answer.
func (c *Controller) onRelated(rs *runState, objs ...any) {
	var related []relatedObject
	for _, obj := range objs {
		if u, ok := unwrap(obj); ok {
			related = append(related, identify(u))
		}
	}
	for i, inf := range rs.parents {
		for _, obj := range inf.GetStore().List() {
			parent, ok := obj.(*unstructured.Unstructured)
			if ok && c.relatedTo(rs.ctx, parent, rs.parentRes[i], related) {
				c.enqueue(rs, i, parent)
			}
		}
	}
}

func (c *Controller) relatedTo(ctx context.Context, parent *unstructured.Unstructured, parentRes apiResource, related []relatedObject) bool {
	e, err := c.customize(ctx, parent)
	if err != nil {
		return false // the parent's own resync will ask again
	}
	for _, rule := range e.rules {
		r, err := rule.resource(c.s.resources)
		if err != nil {
			continue
		}
		for _, obj := range related {
			if ok, _ := selects(e.version, rule, parent, parentRes, obj, r); ok {
				return true
			}
		}
	}
	return false
}

// processNext handles one queued item. A 429 is retried after Retry-After
// without counting as a failure; other failures back off exponentially; a
// requested resyncAfterSeconds is queued whatever happened after the hook.
func (c *Controller) processNext(rs *runState) bool {
	it, quit := rs.queue.Get()
	if quit {
		return false
	}
	defer rs.queue.Done(it)
	res, err := c.syncItem(rs.ctx, rs, it)
	if res != nil && res.resyncAfter > 0 {
		rs.queue.AddAfter(it, res.resyncAfter)
	}
	var tooMany *TooManyRequestsError
	switch {
	case errors.As(err, &tooMany):
		rs.queue.AddAfter(it, tooMany.RetryAfter)
	case err != nil:
		if rs.ctx.Err() == nil {
			c.s.log.Error("sync failed", "controller", c.name, "object", objectKey(it.namespace, it.name), "error", err)
		}
		rs.queue.AddRateLimited(it)
	default:
		rs.queue.Forget(it)
	}
	return true
}

// onlyStatusChanged reports whether an update changed nothing but status
// (and the bookkeeping that comes with any write). A resync delivers the
// same object twice and still counts as a change, so resyncs go through.
func onlyStatusChanged(old, cur any) bool {
	o, ok1 := old.(*unstructured.Unstructured)
	c, ok2 := cur.(*unstructured.Unstructured)
	if !ok1 || !ok2 || o.GetResourceVersion() == c.GetResourceVersion() {
		return false
	}
	strip := func(u *unstructured.Unstructured) map[string]any {
		m := u.DeepCopy().Object
		delete(m, "status")
		unstructured.RemoveNestedField(m, "metadata", "resourceVersion")
		unstructured.RemoveNestedField(m, "metadata", "managedFields")
		return m
	}
	return equality.Semantic.DeepEqual(strip(o), strip(c))
}
