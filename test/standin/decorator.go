package standin

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/hookops/hookops/hooks/metacontroller"
)

// decoratorAnnotation marks an attachment with the DecoratorController that
// made it; only attachments carrying it are the controller's to manage.
const decoratorAnnotation = "metacontroller.k8s.io/decorator-controller"

// decoratorAnswer is Metacontroller's own shape of a sync or finalize answer.
type decoratorAnswer struct {
	Labels             map[string]*string `json:"labels"`
	Annotations        map[string]*string `json:"annotations"`
	Status             map[string]any     `json:"status"`
	Attachments        []map[string]any   `json:"attachments"`
	ResyncAfterSeconds float64            `json:"resyncAfterSeconds"`
	Finalized          bool               `json:"finalized"`
}

func (a *decoratorAnswer) result(hookName string) *Result {
	resp := &metacontroller.DecoratorResponse{
		Labels:             a.Labels,
		Annotations:        a.Annotations,
		ResyncAfterSeconds: a.ResyncAfterSeconds,
		Finalized:          a.Finalized,
	}
	if a.Status != nil {
		resp.Status = runtime.DeepCopyJSON(a.Status)
	}
	for _, at := range a.Attachments {
		resp.Attachments = append(resp.Attachments, runtime.DeepCopyJSON(at))
	}
	return &Result{Hook: hookName, Decorator: resp, resyncAfter: seconds(a.ResyncAfterSeconds)}
}

// syncDecorator is one pass of a DecoratorController over one target of
// the resource type parents[i]. It returns nil, nil when the target does not
// exist.
func (c *Controller) syncDecorator(ctx context.Context, rs *runState, i int, namespace, name string) (*Result, error) {
	rule := c.parents[i]
	r, target, done, err := c.load(ctx, rs, i, namespace, name)
	if target == nil {
		return done, err
	}
	observed, err := c.attachments(ctx, target)
	if err != nil {
		return nil, err
	}
	related, err := c.related(ctx, target, r)
	if err != nil {
		return nil, err
	}

	// A target that stops matching the selector is finalized too, so that
	// what the decorator added can be taken back.
	hookName, h, err := c.pickHook(rule, target)
	if err != nil {
		return nil, err
	}
	req := decoratorRequest{Controller: c.object, Object: target.Object, Finalizing: hookName == hookFinalize}
	if req.Attachments, err = observed.forHook(c.s.encoded, h.version, target.GetNamespace()); err != nil {
		return nil, err
	}
	if req.Related, err = related.forHook(c.s.encoded, h.version, target.GetNamespace()); err != nil {
		return nil, err
	}
	var ans decoratorAnswer
	if err := c.call(ctx, h, objectKey(namespace, name), &req, &ans); err != nil {
		return nil, err
	}
	res := ans.result(hookName)
	desired, err := desiredObjects(ans.Attachments, target)
	if err != nil {
		return res, err
	}
	for _, objs := range desired {
		for _, obj := range objs {
			ann := obj.GetAnnotations()
			if ann == nil {
				ann = map[string]string{}
			}
			ann[decoratorAnnotation] = c.name
			obj.SetAnnotations(ann)
		}
	}
	if stop, err := c.updateTarget(ctx, r, target, &ans); stop || err != nil {
		return res, err
	}
	if target.GetDeletionTimestamp() == nil || c.shouldFinalize(target) {
		return res, c.manage(ctx, target, observed, desired)
	}
	return res, nil
}

// updateTarget writes the answer's labels, annotations and status to the
// target and removes the finalizer once finalized, skipping the write when
// nothing changes. stop reports that the target is gone or changed meanwhile,
// in which case attachments are left for the next sync.
func (c *Controller) updateTarget(ctx context.Context, r apiResource, target *unstructured.Unstructured, ans *decoratorAnswer) (stop bool, err error) {
	updated := target.DeepCopy()
	lbls, anns := updated.GetLabels(), updated.GetAnnotations()
	if lbls == nil {
		lbls = map[string]string{}
	}
	if anns == nil {
		anns = map[string]string{}
	}
	oldStatus, _, _ := unstructured.NestedMap(updated.Object, "status")
	newStatus := ans.Status
	if newStatus == nil {
		newStatus = oldStatus // null leaves the status alone
	}
	labelsChanged := mergeStrings(lbls, ans.Labels)
	annotationsChanged := mergeStrings(anns, ans.Annotations)
	statusChanged := !sameJSON(oldStatus, newStatus)
	finalize := ans.Finalized && hasFinalizer(target, c.finalizer)
	if !labelsChanged && !annotationsChanged && !statusChanged && !finalize {
		return false, nil
	}
	updated.SetLabels(lbls)
	updated.SetAnnotations(anns)
	if newStatus != nil {
		updated.Object["status"] = newStatus
	}
	client := c.s.client(r, target.GetNamespace())
	if statusChanged && r.hasStatus {
		// A plain update ignores status when the resource has the subresource.
		written, err := client.UpdateStatus(ctx, updated, metav1.UpdateOptions{})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return true, nil
		}
		if err != nil {
			return true, fmt.Errorf("write status of %s: %w", objectKey(target.GetNamespace(), target.GetName()), err)
		}
		updated.SetResourceVersion(written.GetResourceVersion())
	}
	if ans.Finalized {
		setFinalizer(updated, c.finalizer, false)
	}
	if _, err := client.Update(ctx, updated, metav1.UpdateOptions{}); err != nil {
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return true, nil
		}
		return true, fmt.Errorf("update %s: %w", objectKey(target.GetNamespace(), target.GetName()), err)
	}
	return false, nil
}

// mergeStrings applies a hook's label or annotation changes, where null
// removes a key, and reports whether anything changed.
func mergeStrings(dst map[string]string, changes map[string]*string) bool {
	changed := false
	for k, v := range changes {
		old, ok := dst[k]
		switch {
		case v == nil && ok:
			delete(dst, k)
			changed = true
		case v != nil && (!ok || old != *v):
			dst[k] = *v
			changed = true
		}
	}
	return changed
}

// attachments lists the objects of every attachments type that the target
// controls and that this decorator made (it never adopts).
func (c *Controller) attachments(ctx context.Context, target *unstructured.Unstructured) (objectSet, error) {
	set := objectSet{}
	for _, rule := range c.children {
		r, err := c.s.resources.byResource(rule.apiVersion, rule.resource)
		if err != nil {
			return nil, err
		}
		set.init(metacontroller.GroupKind(r.kind, r.apiVersion))
		objs, err := c.s.controlled(ctx, r, target.GetNamespace(), target.GetUID(), labels.Everything())
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", rule.resource, err)
		}
		for _, obj := range objs {
			if obj.GetAnnotations()[decoratorAnnotation] == c.name {
				set.add(obj)
			}
		}
	}
	return set, nil
}
