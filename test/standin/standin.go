// Package standin is a small Metacontroller stand-in for tests and the local
// stack. It runs the CompositeControllers and DecoratorControllers we ship
// (read from their YAML files or from the cluster) against a real
// kube-apiserver by calling their hooks over HTTP, implementing the part of
// Metacontroller v4.17's contract that our controllers rely on: customize and
// related objects, sync and finalize, children and attachments applied with
// server-side apply (and not sent again while unchanged), status with
// observedGeneration, finalizers, resyncs and the retry rules for failed or
// throttled hooks.
//
// It is driven either step by step with Controller.SyncOnce, for
// deterministic tests, or with Standin.Run, which watches like Metacontroller
// does. Every hook call is recorded (see Standin.Calls).
package standin

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/hookops/hookops/hooks/metacontroller"
	"github.com/hookops/hookops/test/controlplane"
)

// Options configures a Standin. The zero value works for controllers whose
// webhooks give a url.
type Options struct {
	// ServiceURL returns the base URL (scheme://host:port) that serves a
	// webhook given as service{name, namespace, port} + path; the path is
	// appended. It is required for such webhooks because the stand-in runs
	// outside the cluster, where Metacontroller's http://name.namespace:port
	// does not resolve.
	ServiceURL func(namespace, name string, port int32) string
	// RewriteURL, when set, maps a webhook's url to the one to call, for
	// example a fixture's http://127.0.0.1:18080/... to an httptest server.
	RewriteURL func(url string) string
	// HTTPClient calls the hooks; each webhook's timeout is applied on top.
	HTTPClient *http.Client
	// BackoffBase and BackoffMax bound the per-object exponential retry after
	// a failed sync in Run; defaults 1s and 30s.
	BackoffBase, BackoffMax time.Duration
	// Workers is the number of sync workers per controller in Run; default 2.
	Workers int
	// FieldManager is the server-side apply field manager for children and
	// attachments; default "metacontroller", as Metacontroller's
	// --apply-strategy-ssa-field-manager.
	FieldManager string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = time.Second
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 30 * time.Second
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.FieldManager == "" {
		o.FieldManager = "metacontroller"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Standin runs a set of Composite- and DecoratorControllers.
type Standin struct {
	opts        Options
	dyn         dynamic.Interface
	meta        metadata.Interface // applies, whose answers only need metadata
	resources   *resourceCache
	log         *slog.Logger
	controllers []*Controller
	calls       callLog
	applied     appliedCache // what was last applied to each child
	encoded     *encodings   // objects as sent to hooks

	informersMu sync.Mutex
	informers   *informerSet // while Run runs
	running     sync.Mutex   // Run may only run once at a time
}

var controllerGVRs = map[string]schema.GroupVersionResource{
	kindComposite: {Group: "metacontroller.k8s.io", Version: "v1alpha1", Resource: "compositecontrollers"},
	kindDecorator: {Group: "metacontroller.k8s.io", Version: "v1alpha1", Resource: "decoratorcontrollers"},
}

// New returns a Standin for the given CompositeController and
// DecoratorController objects; objects of other kinds are ignored. Controller
// names must be unique across both kinds.
func New(cfg *rest.Config, controllers []*unstructured.Unstructured, opts Options) (*Standin, error) {
	opts = opts.withDefaults()
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("standin: dynamic client: %w", err)
	}
	meta, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("standin: metadata client: %w", err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("standin: discovery client: %w", err)
	}
	s := &Standin{opts: opts, dyn: dyn, meta: meta, resources: newResourceCache(dc), encoded: newEncodings(), log: opts.Logger}
	seen := map[string]bool{}
	for _, obj := range controllers {
		if _, ok := controllerGVRs[obj.GetKind()]; !ok {
			continue
		}
		c, err := newController(s, obj)
		if err != nil {
			return nil, err
		}
		if seen[c.name] {
			return nil, fmt.Errorf("standin: two controllers are named %q", c.name)
		}
		seen[c.name] = true
		s.controllers = append(s.controllers, c)
	}
	return s, nil
}

// FromFiles is New for the controllers in multi-document YAML files. Each
// argument may be a glob pattern such as "manifests/controllers/*.yaml";
// documents that are not controllers (a kustomization, a CRD) are skipped.
func FromFiles(cfg *rest.Config, opts Options, patterns ...string) (*Standin, error) {
	var objs []*unstructured.Unstructured
	for _, pattern := range patterns {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			return nil, fmt.Errorf("standin: %w", err)
		}
		if len(paths) == 0 {
			return nil, fmt.Errorf("standin: no file matches %s", pattern)
		}
		for _, path := range paths {
			fileObjs, err := controlplane.ReadObjects(path)
			if err != nil {
				return nil, fmt.Errorf("standin: %w", err)
			}
			objs = append(objs, fileObjs...)
		}
	}
	return New(cfg, objs, opts)
}

// FromCluster is New for every CompositeController and DecoratorController
// stored in the cluster, as Metacontroller itself would see them.
func FromCluster(ctx context.Context, cfg *rest.Config, opts Options) (*Standin, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("standin: dynamic client: %w", err)
	}
	var objs []*unstructured.Unstructured
	for _, kind := range []string{kindComposite, kindDecorator} {
		list, err := dyn.Resource(controllerGVRs[kind]).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("standin: list %ss: %w", kind, err)
		}
		for i := range list.Items {
			objs = append(objs, &list.Items[i])
		}
	}
	return New(cfg, objs, opts)
}

// Controllers returns the controllers, in the order they were given.
func (s *Standin) Controllers() []*Controller { return append([]*Controller(nil), s.controllers...) }

// Controller returns the controller with the given name, or nil.
func (s *Standin) Controller(name string) *Controller {
	for _, c := range s.controllers {
		if c.name == name {
			return c
		}
	}
	return nil
}

// Result is the outcome of one sync pass over one object.
type Result struct {
	// Hook is "sync" or "finalize"; empty when the object is neither selected
	// by the controller nor carries its finalizer, so no hook was called.
	Hook string
	// Composite is the hook's answer for a CompositeController.
	Composite *metacontroller.CompositeResponse
	// Decorator is the hook's answer for a DecoratorController.
	Decorator *metacontroller.DecoratorResponse

	resyncAfter time.Duration
}
