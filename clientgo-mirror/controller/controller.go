// Package controller is the client-go implementation of the mirror: shared
// informers on sources, copies and Namespaces feed a rate-limited workqueue
// keyed by source, and workers bring each source's copies in line with what
// the planning package (github.com/hookops/hookops/mirror) decides.
//
// Copies are found through a watch filtered by their label, never through
// memory, so a copy left by a source that was deleted while the controller
// was down is seen at start and removed. Objects without that label are
// never updated or deleted; the controller only learns of one when a create
// is refused, and then reports it as a conflict.
package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"

	"github.com/hookops/hookops/mirror"
)

// FieldManager names the controller in managedFields.
const FieldManager = "clientgo-mirror"

// byName indexes ConfigMaps and Secrets by name: the sources that compete
// for a name, and the copies of that name in every namespace.
const byName = "name"

// Options configures a Controller. The zero value is usable.
type Options struct {
	// Workers sync sources in parallel; default 2.
	Workers int
	// WritesPerSync is how many copies of one source are written at once;
	// default 8. A source's steps are in different namespaces, so they are
	// independent, and writing them one by one would leave the API server
	// idle between round trips.
	WritesPerSync int
	// Resync replays every source to the workqueue; default 10 minutes. It
	// is a safety net only: every change that matters is watched.
	Resync time.Duration
	// ConflictRecheck is how soon a source blocked by an object that is not
	// a copy looks again; default 30 seconds. Such objects are not watched
	// (the watches are filtered by the mirror's labels), so this is how a
	// conflict heals once the object goes.
	ConflictRecheck time.Duration
	// Recorder receives conflict Events; default: discarded.
	Recorder record.EventRecorder
	// Registerer takes the controller's metrics and its workqueue's; nil:
	// not registered (the workqueue reports to client-go's global provider).
	Registerer prometheus.Registerer
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.WritesPerSync <= 0 {
		o.WritesPerSync = 8
	}
	if o.Resync <= 0 {
		o.Resync = 10 * time.Minute
	}
	if o.ConflictRecheck <= 0 {
		o.ConflictRecheck = 30 * time.Second
	}
	if o.Recorder == nil {
		o.Recorder = &record.FakeRecorder{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Controller mirrors sources into the namespaces that accept them.
type Controller struct {
	kinds map[mirror.Kind]kindClient
	opts  Options
	log   *slog.Logger

	factories []informers.SharedInformerFactory
	synced    []cache.InformerSynced
	sources   map[mirror.Kind]cache.Indexer
	copies    map[mirror.Kind]cache.Indexer
	nsLister  corelisters.NamespaceLister

	queue   workqueue.TypedRateLimitingInterface[mirror.Ref]
	metrics *metrics
	written writtenSummaries // copies annotations not yet seen in the cache

	ran atomic.Bool // Run shuts the queue down, so it runs once
}

// New sets up the informers and the workqueue; nothing runs until
// StartInformers or Run is called.
func New(client kubernetes.Interface, opts Options) (*Controller, error) {
	opts = opts.withDefaults()
	var queueProvider workqueue.MetricsProvider
	if opts.Registerer != nil {
		qm, err := newQueueMetrics(opts.Registerer)
		if err != nil {
			return nil, err
		}
		queueProvider = qm
	}
	c := &Controller{
		kinds:   kindClients(client),
		opts:    opts,
		log:     opts.Logger,
		sources: map[mirror.Kind]cache.Indexer{},
		copies:  map[mirror.Kind]cache.Indexer{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(rateLimiter(),
			workqueue.TypedRateLimitingQueueConfig[mirror.Ref]{Name: "mirror", MetricsProvider: queueProvider}),
	}
	var err error
	if c.metrics, err = newMetrics(opts.Registerer); err != nil {
		return nil, err
	}
	sources := labelled(client, mirror.LabelEnabled, opts.Resync)
	copies := labelled(client, mirror.LabelCopy, 0)
	cluster := informers.NewSharedInformerFactory(client, 0)
	c.factories = []informers.SharedInformerFactory{sources, copies, cluster}

	for _, kind := range kinds {
		k := c.kinds[kind]
		onSource := handlers(func(obj any) { c.onSource(k, obj) }, false)
		if c.sources[kind], err = c.watch(k.informer(sources), onSource); err != nil {
			return nil, err
		}
		onCopy := handlers(func(obj any) { c.onCopy(k, obj) }, true)
		if c.copies[kind], err = c.watch(k.informer(copies), onCopy); err != nil {
			return nil, err
		}
	}
	nsInformer := cluster.Core().V1().Namespaces()
	if _, err := c.watch(nsInformer.Informer(), cache.ResourceEventHandlerFuncs{
		AddFunc:    c.onNamespace,
		UpdateFunc: c.onNamespaceUpdate,
		DeleteFunc: c.onNamespace,
	}); err != nil {
		return nil, err
	}
	c.nsLister = nsInformer.Lister()
	return c, nil
}

// rateLimiter retries a failing source after 5ms doubling up to a minute
// (client-go's default goes on to 16 minutes, too long for copies people
// wait for), within an overall 10 retries a second.
func rateLimiter() workqueue.TypedRateLimiter[mirror.Ref] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[mirror.Ref](5*time.Millisecond, time.Minute),
		&workqueue.TypedBucketRateLimiter[mirror.Ref]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
	)
}

// labelled is an informer factory whose watches only see objects carrying
// label: "true", so the controller never caches Secrets that are not the
// mirror's business.
func labelled(client kubernetes.Interface, label string, resync time.Duration) informers.SharedInformerFactory {
	return informers.NewSharedInformerFactoryWithOptions(client, resync,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = label + "=true" }))
}

// watch registers handlers and the name index on an informer, and drops
// managedFields from what it caches: they are most of an object's size and
// never read here.
func (c *Controller) watch(inf cache.SharedIndexInformer, h cache.ResourceEventHandler) (cache.Indexer, error) {
	if err := inf.AddIndexers(cache.Indexers{byName: func(obj any) ([]string, error) {
		m, err := meta.Accessor(obj)
		if err != nil {
			return nil, err
		}
		return []string{m.GetName()}, nil
	}}); err != nil {
		return nil, fmt.Errorf("index informer: %w", err)
	}
	if err := inf.SetTransform(func(obj any) (any, error) {
		if m, err := meta.Accessor(obj); err == nil {
			m.SetManagedFields(nil)
		}
		return obj, nil
	}); err != nil {
		return nil, fmt.Errorf("transform informer: %w", err)
	}
	reg, err := inf.AddEventHandler(h)
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	c.synced = append(c.synced, reg.HasSynced)
	return inf.GetIndexer(), nil
}

// handlers calls fn with the object of every event. Sources want every
// update, resyncs included (they are the safety net); copies only real
// changes, with the old state too, since a copy's annotation may have named
// another source before.
func handlers(fn func(obj any), copies bool) cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: fn,
		UpdateFunc: func(old, cur any) {
			if copies {
				o, _ := meta.Accessor(old)
				n, _ := meta.Accessor(cur)
				if o != nil && n != nil && o.GetResourceVersion() == n.GetResourceVersion() {
					return
				}
				fn(old)
			}
			fn(cur)
		},
		DeleteFunc: fn,
	}
}

// StartInformers starts the watches; they run until ctx ends. Running them
// before Run (on a replica waiting for leadership) makes a failover quick.
func (c *Controller) StartInformers(ctx context.Context) {
	for _, f := range c.factories {
		f.Start(ctx.Done())
	}
}

// HasSynced reports whether every watch has filled its cache.
func (c *Controller) HasSynced() bool {
	for _, s := range c.synced {
		if !s() {
			return false
		}
	}
	return true
}

// Shutdown waits for the watches to stop, after the context given to
// StartInformers ended.
func (c *Controller) Shutdown() {
	for _, f := range c.factories {
		f.Shutdown()
	}
}

// Run starts the watches if needed, waits for their caches and syncs
// sources with Options.Workers workers until ctx ends. It returns once the
// workers have finished what they were doing. It can be called once.
func (c *Controller) Run(ctx context.Context) error {
	if !c.ran.CompareAndSwap(false, true) {
		return errors.New("the controller has run already")
	}
	defer c.queue.ShutDown()
	c.StartInformers(ctx)
	c.log.InfoContext(ctx, "waiting for caches")
	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.synced...) {
		return nil // stopped before the caches filled
	}
	c.log.InfoContext(ctx, "mirroring", "workers", c.opts.Workers)
	var wg sync.WaitGroup
	for range c.opts.Workers {
		wg.Go(func() {
			for c.processNext(ctx) {
			}
		})
	}
	<-ctx.Done()
	c.queue.ShutDown()
	wg.Wait()
	return nil
}

// processNext syncs one source. A failure is retried with backoff; a
// success forgets the failures.
func (c *Controller) processNext(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	err := c.sync(ctx, key)
	c.metrics.sync(err)
	if err == nil {
		c.queue.Forget(key)
		return true
	}
	if ctx.Err() == nil {
		c.log.ErrorContext(ctx, "sync failed; retrying", "source", key.String(), "retries", c.queue.NumRequeues(key), "err", err)
	}
	c.queue.AddRateLimited(key)
	return true
}

// sourcesNamed returns the current sources of one kind and name.
func (c *Controller) sourcesNamed(kind mirror.Kind, name string) ([]mirror.Source, error) {
	objs, err := c.sources[kind].ByIndex(byName, name)
	if err != nil {
		return nil, fmt.Errorf("list sources named %s: %w", name, err)
	}
	var out []mirror.Source
	for _, obj := range objs {
		o, _ := c.kinds[kind].reduce(obj)
		if s, ok := mirror.ParseSource(o); ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// unwrap returns the object of an event, looking into delete tombstones.
func unwrap(obj any) any {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return t.Obj
	}
	return obj
}
