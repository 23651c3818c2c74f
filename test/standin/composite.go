package standin

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/hookops/hookops/hooks/metacontroller"
)

// controllerUIDLabel is the label generateSelector puts on every child.
const controllerUIDLabel = "controller-uid"

// compositeAnswer is Metacontroller's own shape of a sync or finalize answer.
type compositeAnswer struct {
	Status             map[string]any   `json:"status"`
	Children           []map[string]any `json:"children"`
	ResyncAfterSeconds float64          `json:"resyncAfterSeconds"`
	Finalized          bool             `json:"finalized"`
}

func (a *compositeAnswer) result(hookName string) *Result {
	resp := &metacontroller.CompositeResponse{ResyncAfterSeconds: a.ResyncAfterSeconds, Finalized: a.Finalized}
	if a.Status != nil {
		resp.Status = runtime.DeepCopyJSON(a.Status)
	}
	for _, ch := range a.Children {
		resp.Children = append(resp.Children, runtime.DeepCopyJSON(ch))
	}
	return &Result{Hook: hookName, Composite: resp, resyncAfter: seconds(a.ResyncAfterSeconds)}
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// syncComposite is one pass of a CompositeController over one parent. It
// returns nil, nil when the parent does not exist.
func (c *Controller) syncComposite(ctx context.Context, rs *runState, namespace, name string) (*Result, error) {
	rule := c.parents[0]
	r, parent, done, err := c.load(ctx, rs, 0, namespace, name)
	if parent == nil {
		return done, err
	}
	selector, err := c.childSelector(parent)
	if err != nil {
		return nil, err
	}
	children, err := c.ownedChildren(ctx, parent, r, selector)
	if err != nil {
		return nil, err
	}
	related, err := c.related(ctx, parent, r)
	if err != nil {
		return nil, err
	}

	hookName, h, err := c.pickHook(rule, parent)
	if err != nil {
		return nil, err
	}
	req := compositeRequest{Controller: c.object, Parent: parent.Object, Finalizing: hookName == hookFinalize}
	if req.Children, err = children.forHook(c.s.encoded, h.version, parent.GetNamespace()); err != nil {
		return nil, err
	}
	if req.Related, err = related.forHook(c.s.encoded, h.version, parent.GetNamespace()); err != nil {
		return nil, err
	}
	var ans compositeAnswer
	if err := c.call(ctx, h, objectKey(namespace, name), &req, &ans); err != nil {
		return nil, err
	}
	res := ans.result(hookName)
	return res, c.applyComposite(ctx, r, parent, selector, children, &ans)
}

// applyComposite carries out a sync or finalize answer: finalizer, children,
// then status. Status is written even when managing children failed.
func (c *Controller) applyComposite(ctx context.Context, r apiResource, parent *unstructured.Unstructured, selector labels.Selector, observed objectSet, ans *compositeAnswer) error {
	desired, err := desiredObjects(ans.Children, parent)
	if err != nil {
		return err
	}
	if ans.Finalized {
		if parent, err = c.removeFinalizer(ctx, r, parent); err != nil {
			return err
		}
	}
	for _, objs := range desired {
		for _, obj := range objs {
			if err := c.labelChild(obj, parent, selector); err != nil {
				return err
			}
		}
	}
	var manageErr error
	if parent.GetDeletionTimestamp() == nil || c.shouldFinalize(parent) {
		manageErr = c.manage(ctx, parent, observed, desired)
	}
	if err := c.writeStatus(ctx, r, parent, ans.Status); err != nil {
		return errors.Join(manageErr, err)
	}
	return manageErr
}

// labelChild adds the controller-uid label under generateSelector and
// refuses a child the parent's selector would not find again.
func (c *Controller) labelChild(obj, parent *unstructured.Unstructured, selector labels.Selector) error {
	if c.generateSelector {
		lbls := obj.GetLabels()
		if _, ok := lbls[controllerUIDLabel]; !ok {
			if lbls == nil {
				lbls = map[string]string{}
			}
			lbls[controllerUIDLabel] = string(parent.GetUID())
			obj.SetLabels(lbls)
		}
	}
	if !selector.Matches(labels.Set(obj.GetLabels())) {
		return fmt.Errorf("labels of child %s %s do not match the parent's selector", obj.GetKind(), objectKey(obj.GetNamespace(), obj.GetName()))
	}
	return nil
}

// childSelector finds a parent's children: by controller-uid under
// generateSelector, else by the parent's own spec.selector.
func (c *Controller) childSelector(parent *unstructured.Unstructured) (labels.Selector, error) {
	if c.generateSelector {
		return labels.SelectorFromSet(labels.Set{controllerUIDLabel: string(parent.GetUID())}), nil
	}
	var ls metav1.LabelSelector
	if raw, ok, _ := unstructured.NestedMap(parent.Object, "spec", "selector"); ok {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &ls); err != nil {
			return nil, fmt.Errorf("spec.selector of %s: %w", parent.GetName(), err)
		}
	}
	// An empty selector would claim everything in the namespace.
	if len(ls.MatchLabels) == 0 && len(ls.MatchExpressions) == 0 {
		return nil, fmt.Errorf("spec.selector of %s must have matchLabels or matchExpressions (or set generateSelector)", parent.GetName())
	}
	return metav1.LabelSelectorAsSelector(&ls)
}

// ownedChildren lists the children of every childResources type that the
// parent controls and its selector still selects. Metacontroller would also
// adopt matching orphans and release owned children that stopped matching;
// the stand-in leaves both alone.
func (c *Controller) ownedChildren(ctx context.Context, parent *unstructured.Unstructured, parentRes apiResource, selector labels.Selector) (objectSet, error) {
	set := objectSet{}
	namespace := ""
	if parentRes.namespaced {
		namespace = parent.GetNamespace()
	}
	for _, rule := range c.children {
		r, err := c.s.resources.byResource(rule.apiVersion, rule.resource)
		if err != nil {
			return nil, err
		}
		set.init(metacontroller.GroupKind(r.kind, r.apiVersion))
		objs, err := c.s.controlled(ctx, r, namespace, parent.GetUID(), selector)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", rule.resource, err)
		}
		for _, obj := range objs {
			set.add(obj)
		}
	}
	return set, nil
}

// writeStatus replaces the parent's status with the hook's, plus
// observedGeneration. A null status from the hook is written as an empty
// one, as Metacontroller does. A parent that is gone or changed meanwhile
// is left for the next sync.
func (c *Controller) writeStatus(ctx context.Context, r apiResource, parent *unstructured.Unstructured, status map[string]any) error {
	want := maps.Clone(status)
	if want == nil {
		want = map[string]any{}
	}
	want["observedGeneration"] = parent.GetGeneration()
	_, err := c.s.atomicUpdate(ctx, r, parent, true, func(o *unstructured.Unstructured) bool {
		if sameJSON(o.Object["status"], want) {
			return false
		}
		o.Object["status"] = want
		return true
	})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("write status of %s: %w", objectKey(parent.GetNamespace(), parent.GetName()), err)
	}
	return nil
}

// wants says whether the controller handles obj at all: selected by the
// rule, or still holding our finalizer.
func (c *Controller) wants(rule parentRule, obj *unstructured.Unstructured) bool {
	return rule.matches(obj) || hasFinalizer(obj, c.finalizer)
}

// load starts a sync pass of a composite or decorator controller: it gets
// the parent (or target) of type parents[i] (getParent) and puts the
// finalizer on before anything else, so that whatever follows can be
// cleaned up. When the pass ends there, obj is nil and done, err is what
// the pass returns: nil, nil when the object does not exist, an empty
// Result when the controller does not handle it.
func (c *Controller) load(ctx context.Context, rs *runState, i int, namespace, name string) (r apiResource, obj *unstructured.Unstructured, done *Result, err error) {
	rule := c.parents[i]
	r, err = c.s.resources.byResource(rule.apiVersion, rule.resource)
	if err != nil {
		return r, nil, nil, err
	}
	obj, err = c.getParent(ctx, rs, i, r, namespace, name)
	if apierrors.IsNotFound(err) {
		return r, nil, nil, nil
	}
	if err != nil {
		return r, nil, nil, fmt.Errorf("get %s %s: %w", r.kind, objectKey(namespace, name), err)
	}
	if !c.wants(rule, obj) {
		return r, nil, &Result{}, nil
	}
	if obj, err = c.syncFinalizer(ctx, r, obj); err != nil {
		return r, nil, nil, err
	}
	if !c.wants(rule, obj) {
		return r, nil, &Result{}, nil
	}
	return r, obj, nil, nil
}

// getParent reads a parent (or target) of type parents[i] as Metacontroller
// does, from its informer, while Run runs (rs; see cachedParent). SyncOnce,
// which tests call right after writing, reads it from the API server.
func (c *Controller) getParent(ctx context.Context, rs *runState, i int, r apiResource, namespace, name string) (*unstructured.Unstructured, error) {
	if rs == nil || !rs.parents[i].HasSynced() {
		return c.s.client(r, namespace).Get(ctx, name, metav1.GetOptions{})
	}
	if u, ok := rs.cachedParent(i, namespace, name); ok {
		return u, nil
	}
	return nil, apierrors.NewNotFound(r.gvr.GroupResource(), name)
}

// pickHook chooses the finalize hook, when there is one, for an object
// being deleted or no longer matching the rule (so that a decorator can take
// back what it added), and the sync hook otherwise.
func (c *Controller) pickHook(rule parentRule, obj *unstructured.Unstructured) (string, *hook, error) {
	hookName := hookSync
	if c.hooks[hookFinalize] != nil && (obj.GetDeletionTimestamp() != nil || !rule.matches(obj)) {
		hookName = hookFinalize
	}
	h := c.hooks[hookName]
	if h == nil {
		return "", nil, fmt.Errorf("%s has no sync hook", c.name)
	}
	return hookName, h, nil
}
