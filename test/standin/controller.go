package standin

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/hookops/hookops/hooks/metacontroller"
)

const (
	kindComposite = "CompositeController"
	kindDecorator = "DecoratorController"

	hookCustomize = "customize"
	hookSync      = "sync"
	hookFinalize  = "finalize"

	defaultHookTimeout = 10 * time.Second
)

// Controller is one CompositeController or DecoratorController.
type Controller struct {
	s    *Standin
	kind string
	name string
	// object is the controller as sent in every hook request.
	object           metacontroller.Object
	hooks            map[string]*hook
	parents          []parentRule
	children         []childRule
	generateSelector bool
	resync           time.Duration
	finalizer        string

	mu         sync.Mutex
	customized map[customizeKey]customizeEntry

	// run is set while Run runs; guarded by mu.
	run *runState
}

// parentRule selects parents (CompositeController) or targets
// (DecoratorController) of one resource type.
type parentRule struct {
	apiVersion, resource string
	labels, annotations  labels.Selector
	// ignoreStatus skips updates that change only the status, as
	// Metacontroller's ignoreStatusChanges does.
	ignoreStatus bool
}

// childRule is one childResources or attachments entry.
type childRule struct {
	apiVersion, resource string
	method               string
}

// The update methods the stand-in implements; Metacontroller's default is OnDelete.
const (
	methodOnDelete = "OnDelete"
	methodInPlace  = "InPlace"
)

// spec is the part of a controller's spec the stand-in reads.
type spec struct {
	ParentResource *struct {
		resourceRule
		// Only meaningful with rolling updates, which the stand-in refuses.
		RevisionHistory json.RawMessage `json:"revisionHistory"`
	} `json:"parentResource"`
	Resources           []resourceRule      `json:"resources"`
	ChildResources      []childSpec         `json:"childResources"`
	Attachments         []childSpec         `json:"attachments"`
	Hooks               map[string]hookSpec `json:"hooks"`
	ResyncPeriodSeconds *int32              `json:"resyncPeriodSeconds"`
	GenerateSelector    *bool               `json:"generateSelector"`
	EndpointConfigs     json.RawMessage     `json:"endpointConfigs"`
}

type resourceRule struct {
	APIVersion         string                `json:"apiVersion"`
	Resource           string                `json:"resource"`
	LabelSelector      *metav1.LabelSelector `json:"labelSelector"`
	AnnotationSelector *struct {
		MatchAnnotations map[string]string                 `json:"matchAnnotations"`
		MatchExpressions []metav1.LabelSelectorRequirement `json:"matchExpressions"`
	} `json:"annotationSelector"`
	IgnoreStatusChanges bool `json:"ignoreStatusChanges"`
}

type childSpec struct {
	APIVersion     string `json:"apiVersion"`
	Resource       string `json:"resource"`
	UpdateStrategy *struct {
		Method string `json:"method"`
	} `json:"updateStrategy"`
}

type hookSpec struct {
	Version string       `json:"version"`
	Webhook *webhookSpec `json:"webhook"`
}

type webhookSpec struct {
	URL     *string `json:"url"`
	Path    *string `json:"path"`
	Timeout string  `json:"timeout"`
	Service *struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
		Port      *int32 `json:"port"`
	} `json:"service"`
	ResponseUnmarshallMode string `json:"responseUnMarshallMode"`

	// Connection settings the stand-in does not implement: a webhook that
	// sets one is refused rather than called without it.
	Etag          json.RawMessage `json:"etag"`
	CABundle      json.RawMessage `json:"caBundle"`
	ClientTLS     json.RawMessage `json:"clientTLS"`
	Authorization json.RawMessage `json:"authorization"`
	BasicAuth     json.RawMessage `json:"basicAuth"`
}

func newController(s *Standin, obj *unstructured.Unstructured) (*Controller, error) {
	c := &Controller{
		s:          s,
		kind:       obj.GetKind(),
		name:       obj.GetName(),
		object:     asSent(obj),
		hooks:      map[string]*hook{},
		customized: map[customizeKey]customizeEntry{},
	}
	if err := c.parseSpec(obj); err != nil {
		return nil, fmt.Errorf("standin: %s %s: %w", c.kind, c.name, err)
	}
	return c, nil
}

func (c *Controller) parseSpec(obj *unstructured.Unstructured) error {
	raw, err := json.Marshal(obj.Object["spec"])
	if err != nil {
		return err
	}
	var sp spec
	if err := json.Unmarshal(raw, &sp); err != nil {
		return fmt.Errorf("read spec: %w", err)
	}
	if len(sp.EndpointConfigs) > 0 && string(sp.EndpointConfigs) != "null" {
		return fmt.Errorf("endpointConfigs are not supported by the stand-in")
	}
	if err := c.parseResources(sp); err != nil {
		return err
	}
	for name, hs := range sp.Hooks {
		h, err := c.parseHook(name, hs)
		if err != nil {
			return err
		}
		if h != nil {
			c.hooks[name] = h
		}
	}
	if c.hooks[hookSync] == nil && c.hooks[hookFinalize] == nil {
		return fmt.Errorf("no sync or finalize hook")
	}
	prefix := "metacontroller.io/compositecontroller-"
	if c.kind == kindDecorator {
		prefix = "metacontroller.io/decoratorcontroller-"
	}
	c.finalizer = prefix + c.name
	if sp.ResyncPeriodSeconds != nil {
		// Metacontroller puts the same floor on it.
		c.resync = max(time.Duration(*sp.ResyncPeriodSeconds)*time.Second, time.Second)
	}
	c.generateSelector = sp.GenerateSelector != nil && *sp.GenerateSelector
	return nil
}

func (c *Controller) parseResources(sp spec) error {
	rules, children := sp.Resources, sp.Attachments
	if c.kind == kindComposite {
		if sp.ParentResource == nil {
			return fmt.Errorf("no parentResource")
		}
		if len(sp.ParentResource.RevisionHistory) > 0 {
			return fmt.Errorf("parentResource.revisionHistory (rolling updates) is not supported by the stand-in")
		}
		rules, children = []resourceRule{sp.ParentResource.resourceRule}, sp.ChildResources
	}
	if len(rules) == 0 {
		return fmt.Errorf("no resources to watch")
	}
	for _, r := range rules {
		pr, err := newParentRule(r)
		if err != nil {
			return err
		}
		c.parents = append(c.parents, pr)
	}
	for _, ch := range children {
		method := methodOnDelete
		if ch.UpdateStrategy != nil && ch.UpdateStrategy.Method != "" {
			method = ch.UpdateStrategy.Method
		}
		if method != methodOnDelete && method != methodInPlace {
			return fmt.Errorf("update strategy %s for %s is not supported by the stand-in (only OnDelete and InPlace)", method, ch.Resource)
		}
		c.children = append(c.children, childRule{apiVersion: ch.APIVersion, resource: ch.Resource, method: method})
	}
	return nil
}

func newParentRule(r resourceRule) (parentRule, error) {
	pr := parentRule{apiVersion: r.APIVersion, resource: r.Resource, labels: labels.Everything(), annotations: labels.Everything(),
		ignoreStatus: r.IgnoreStatusChanges}
	var err error
	if r.LabelSelector != nil {
		if pr.labels, err = metav1.LabelSelectorAsSelector(r.LabelSelector); err != nil {
			return pr, fmt.Errorf("labelSelector of %s: %w", r.Resource, err)
		}
	}
	if a := r.AnnotationSelector; a != nil {
		sel := &metav1.LabelSelector{MatchLabels: a.MatchAnnotations, MatchExpressions: a.MatchExpressions}
		if pr.annotations, err = metav1.LabelSelectorAsSelector(sel); err != nil {
			return pr, fmt.Errorf("annotationSelector of %s: %w", r.Resource, err)
		}
	}
	return pr, nil
}

func (r parentRule) matches(obj *unstructured.Unstructured) bool {
	return r.labels.Matches(labels.Set(obj.GetLabels())) && r.annotations.Matches(labels.Set(obj.GetAnnotations()))
}

func (c *Controller) parseHook(name string, hs hookSpec) (*hook, error) {
	switch name {
	case hookCustomize, hookSync, hookFinalize:
	default:
		return nil, fmt.Errorf("hook %s is not supported by the stand-in", name)
	}
	w := hs.Webhook
	if w == nil {
		return nil, nil
	}
	for field, v := range map[string]json.RawMessage{"etag": w.Etag, "caBundle": w.CABundle, "clientTLS": w.ClientTLS, "basicAuth": w.BasicAuth} {
		if len(v) > 0 && string(v) != "null" {
			return nil, fmt.Errorf("%s hook: webhook.%s is not supported by the stand-in", name, field)
		}
	}
	url, err := c.s.hookURL(w)
	if err != nil {
		return nil, fmt.Errorf("%s hook: %w", name, err)
	}
	h := &hook{name: name, url: url, version: metacontroller.V1, timeout: defaultHookTimeout}
	h.auth = sync.OnceValues(func() (string, error) { return c.s.authorization(w.Authorization) })
	if hs.Version != "" {
		h.version = metacontroller.Version(hs.Version)
	}
	// Metacontroller falls back to 10s for a missing, invalid or non-positive timeout.
	if d, err := time.ParseDuration(w.Timeout); err == nil && d > 0 {
		h.timeout = d
	}
	// v2 answers are decoded strictly unless the webhook says otherwise.
	h.strict = h.version == metacontroller.V2
	switch strings.ToLower(w.ResponseUnmarshallMode) {
	case "strict":
		h.strict = true
	case "loose":
		h.strict = false
	}
	return h, nil
}

// hookURL resolves a webhook to the URL to call.
func (s *Standin) hookURL(w *webhookSpec) (string, error) {
	if w.URL != nil {
		if s.opts.RewriteURL != nil {
			return s.opts.RewriteURL(*w.URL), nil
		}
		return *w.URL, nil
	}
	if w.Service == nil || w.Path == nil {
		return "", fmt.Errorf("webhook needs either url or both service and path")
	}
	if w.Service.Name == "" || w.Service.Namespace == "" {
		return "", fmt.Errorf("webhook service needs both name and namespace")
	}
	if s.opts.ServiceURL == nil {
		return "", fmt.Errorf("webhook names service %s/%s but Options.ServiceURL is not set", w.Service.Namespace, w.Service.Name)
	}
	port := int32(80)
	if w.Service.Port != nil {
		port = *w.Service.Port
	}
	return strings.TrimSuffix(s.opts.ServiceURL(w.Service.Namespace, w.Service.Name, port), "/") + *w.Path, nil
}

// asSent returns the controller as Metacontroller puts it in requests: it
// sends its typed Go object, whose empty structs appear as {} even when the
// stored object leaves them out. Hook versions get the default the CRD
// gives them when stored, for controllers read from files.
func asSent(obj *unstructured.Unstructured) metacontroller.Object {
	o := runtime.DeepCopyJSON(obj.Object)
	if _, ok := o["status"]; !ok {
		o["status"] = map[string]any{}
	}
	hooks, _, _ := unstructured.NestedMap(o, "spec", "hooks")
	for name, h := range hooks {
		if h, ok := h.(map[string]any); ok && h["version"] == nil {
			h["version"] = string(metacontroller.V1)
			hooks[name] = h
		}
	}
	if hooks != nil {
		_ = unstructured.SetNestedMap(o, hooks, "spec", "hooks")
	}
	if obj.GetKind() != kindComposite {
		return o
	}
	children, _, _ := unstructured.NestedSlice(o, "spec", "childResources")
	for _, ch := range children {
		if us, ok := ch.(map[string]any)["updateStrategy"].(map[string]any); ok {
			if _, ok := us["statusChecks"]; !ok {
				us["statusChecks"] = map[string]any{}
			}
		}
	}
	if children != nil {
		_ = unstructured.SetNestedSlice(o, children, "spec", "childResources")
	}
	return o
}

// Name returns the controller's metadata.name.
func (c *Controller) Name() string { return c.name }

// Kind returns CompositeController or DecoratorController.
func (c *Controller) Kind() string { return c.kind }

// HookURL returns the URL the given hook ("customize", "sync", "finalize")
// is called at, or "" when the controller has no such hook.
func (c *Controller) HookURL(name string) string {
	if h := c.hooks[name]; h != nil {
		return h.url
	}
	return ""
}

// Finalizer returns the finalizer name Metacontroller uses for this
// controller; it is only added to objects when a finalize hook exists.
func (c *Controller) Finalizer() string { return c.finalizer }
