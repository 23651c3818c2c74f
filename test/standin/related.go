package standin

import (
	"context"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/hookops/hookops/hooks/metacontroller"
)

// customizeTTL is how long Metacontroller keeps a customize answer for one
// generation of a parent.
const customizeTTL = 20 * time.Minute

// relatedRule is one rule of a customize answer, with every field
// Metacontroller knows so that strict decoding accepts what it accepts.
type relatedRule struct {
	APIVersion        string                `json:"apiVersion"`
	Resource          string                `json:"resource"`
	LabelSelector     *metav1.LabelSelector `json:"labelSelector"`
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector"`
	Namespace         string                `json:"namespace"`
	Names             []string              `json:"names"`

	// sel is LabelSelector parsed once, when the answer comes (parse), as
	// every related object's event is matched against every parent's rules;
	// res is the resource, when discovery knew it then.
	sel      labels.Selector
	selErr   error
	res      apiResource
	resolved bool
}

func (r *relatedRule) parse(resources *resourceCache) {
	r.sel, r.selErr = r.selector()
	res, err := resources.byResource(r.APIVersion, r.Resource)
	r.res, r.resolved = res, err == nil
}

// resource is the rule's resource, looked up again when it was not known
// when the answer came (a CRD installed since).
func (r *relatedRule) resource(resources *resourceCache) (apiResource, error) {
	if r.resolved {
		return r.res, nil
	}
	return resources.byResource(r.APIVersion, r.Resource)
}

// selector is the parsed LabelSelector, everything when there is none.
func (r *relatedRule) selector() (labels.Selector, error) {
	if r.sel != nil || r.selErr != nil {
		return r.sel, r.selErr
	}
	if r.LabelSelector == nil {
		return labels.Everything(), nil
	}
	return metav1.LabelSelectorAsSelector(r.LabelSelector)
}

// rawLabels are an object's labels read where they lie: GetLabels copies
// them, for every object of a related type on every event and sync.
type rawLabels map[string]any

func labelsOf(u *unstructured.Unstructured) rawLabels {
	m, _, _ := unstructured.NestedFieldNoCopy(u.Object, "metadata", "labels")
	l, _ := m.(map[string]any)
	return l
}

func (l rawLabels) Has(k string) bool { _, ok := l[k]; return ok }

func (l rawLabels) Get(k string) string { v, _ := l.Lookup(k); return v }

func (l rawLabels) Lookup(k string) (string, bool) {
	v, ok := l[k]
	s, _ := v.(string)
	return s, ok
}

type customizeAnswer struct {
	RelatedResources []relatedRule `json:"relatedResources"`
}

type customizeKey struct {
	uid        types.UID
	generation int64
}

type customizeEntry struct {
	rules   []relatedRule
	version metacontroller.Version
	at      time.Time
}

// customize returns the customize hook's rules for parent, calling the hook
// only once per parent generation as Metacontroller does.
func (c *Controller) customize(ctx context.Context, parent *unstructured.Unstructured) (customizeEntry, error) {
	h := c.hooks[hookCustomize]
	if h == nil {
		return customizeEntry{}, nil
	}
	key := customizeKey{parent.GetUID(), parent.GetGeneration()}
	c.mu.Lock()
	e, ok := c.customized[key]
	c.mu.Unlock()
	if ok && time.Since(e.at) < customizeTTL {
		return e, nil
	}
	var ans customizeAnswer
	req := metacontroller.CustomizeRequest{Controller: c.object, Parent: parent.Object}
	if err := c.call(ctx, h, objectKey(parent.GetNamespace(), parent.GetName()), &req, &ans); err != nil {
		return customizeEntry{}, err
	}
	for i := range ans.RelatedResources {
		ans.RelatedResources[i].parse(c.s.resources)
	}
	e = customizeEntry{rules: ans.RelatedResources, version: h.version, at: time.Now()}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, old := range c.customized {
		if time.Since(old.at) >= customizeTTL {
			delete(c.customized, k)
		}
	}
	c.customized[key] = e
	return e, nil
}

// related lists the objects the customize hook asked for.
func (c *Controller) related(ctx context.Context, parent *unstructured.Unstructured, parentRes apiResource) (objectSet, error) {
	set := objectSet{}
	e, err := c.customize(ctx, parent)
	if err != nil {
		return nil, err
	}
	for _, rule := range e.rules {
		r, err := rule.resource(c.s.resources)
		if err != nil {
			return nil, fmt.Errorf("related %s: %w", rule.Resource, err)
		}
		c.watchRelated(r)
		set.init(metacontroller.GroupKind(r.kind, r.apiVersion))
		sel := labels.Everything()
		if len(rule.Names) == 0 {
			if sel, err = rule.selector(); err != nil {
				return nil, fmt.Errorf("related %s: %w", rule.Resource, err)
			}
		}
		objs, err := c.s.list(ctx, r, listNamespace(e.version, rule, parent, parentRes, r), sel)
		if err != nil {
			return nil, fmt.Errorf("list related %s: %w", rule.Resource, err)
		}
		for _, obj := range objs {
			ok, err := selects(e.version, rule, parent, parentRes, identify(obj), r)
			if err != nil {
				return nil, err
			}
			if ok {
				set.add(obj)
			}
		}
	}
	return set, nil
}

// listNamespace narrows the list call to the one namespace a rule can match in.
func listNamespace(v metacontroller.Version, rule relatedRule, parent *unstructured.Unstructured, parentRes, r apiResource) string {
	switch {
	case !r.namespaced:
		return ""
	case v != metacontroller.V2 && parentRes.namespaced:
		return parent.GetNamespace()
	default:
		return rule.Namespace
	}
}

// relatedObject is what selects reads of an object, read once: every
// event of a related type is matched against every parent's rules, and
// reading the fields out of the object for each one cost more than the
// matching.
type relatedObject struct {
	apiVersion, kind, namespace, name string
	labels                            rawLabels
}

func identify(u *unstructured.Unstructured) relatedObject {
	return relatedObject{apiVersion: u.GetAPIVersion(), kind: u.GetKind(), namespace: u.GetNamespace(), name: u.GetName(), labels: labelsOf(u)}
}

// selects says whether a related rule from a customize hook of version v
// selects obj for parent. The rules are Metacontroller's: names cannot be
// combined with a label selector; with v1 and a namespaced parent only the
// parent's namespace counts and a rule naming another namespace is an error;
// otherwise a namespace in the rule restricts, and its absence means every
// namespace.
func selects(v metacontroller.Version, rule relatedRule, parent *unstructured.Unstructured, parentRes apiResource, obj relatedObject, r apiResource) (bool, error) {
	switch {
	case rule.NamespaceSelector != nil:
		return false, fmt.Errorf("related %s: namespaceSelector is not supported by the stand-in", rule.Resource)
	case len(rule.Names) > 0 && rule.LabelSelector != nil:
		return false, fmt.Errorf("related %s: names cannot be combined with labelSelector", rule.Resource)
	}
	if obj.apiVersion != r.apiVersion || obj.kind != r.kind {
		return false, nil
	}
	if v != metacontroller.V2 && parentRes.namespaced {
		if rule.Namespace != "" && rule.Namespace != parent.GetNamespace() {
			return false, fmt.Errorf("related %s: namespace %s differs from the parent's namespace %s, which hook version v1 does not allow",
				rule.Resource, rule.Namespace, parent.GetNamespace())
		}
		if r.namespaced && obj.namespace != parent.GetNamespace() {
			return false, nil
		}
	}
	if r.namespaced && rule.Namespace != "" && obj.namespace != rule.Namespace {
		return false, nil
	}
	if len(rule.Names) > 0 {
		return slices.Contains(rule.Names, obj.name), nil
	}
	sel, err := rule.selector()
	if err != nil {
		return false, fmt.Errorf("related %s: %w", rule.Resource, err)
	}
	return sel.Empty() || sel.Matches(obj.labels), nil
}
