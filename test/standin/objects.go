package standin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/hookops/hookops/hooks/metacontroller"
)

// objectSet holds objects by type ("Kind.apiVersion") and then by
// namespace/name (name alone when cluster-scoped), the form Metacontroller
// collects them in before keying them for a hook version.
type objectSet map[string]map[string]*unstructured.Unstructured

// init makes the type appear in requests even when no object of it exists.
func (s objectSet) init(groupKind string) {
	if s[groupKind] == nil {
		s[groupKind] = map[string]*unstructured.Unstructured{}
	}
}

func (s objectSet) add(obj *unstructured.Unstructured) {
	gk := metacontroller.GroupKind(obj.GetKind(), obj.GetAPIVersion())
	s.init(gk)
	s[gk][objectKey(obj.GetNamespace(), obj.GetName())] = obj
}

func (s objectSet) get(obj *unstructured.Unstructured) *unstructured.Unstructured {
	return s[metacontroller.GroupKind(obj.GetKind(), obj.GetAPIVersion())][objectKey(obj.GetNamespace(), obj.GetName())]
}

// forHook keys the objects as a hook of version v under a parent in
// parentNS sees them. v1 under a namespaced parent only ever sees objects in
// the parent's namespace (Metacontroller drops the others, cluster-scoped
// ones included); everything else keeps namespace/name keys.
// The objects come encoded, from enc.
func (s objectSet) forHook(enc *encodings, v metacontroller.Version, parentNS string) (metacontroller.RawObjectMap, error) {
	out := metacontroller.RawObjectMap{}
	for gk, objs := range s {
		out[gk] = map[string]json.RawMessage{}
		for _, o := range objs {
			if v != metacontroller.V2 && parentNS != "" && o.GetNamespace() != parentNS {
				continue
			}
			b, err := enc.encode(o)
			if err != nil {
				return nil, fmt.Errorf("encode %s %s: %w", o.GetKind(), objectKey(o.GetNamespace(), o.GetName()), err)
			}
			out[gk][metacontroller.Key(v, parentNS, o.GetNamespace(), o.GetName())] = b
		}
	}
	return out, nil
}

func objectKey(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

// desiredObjects turns a hook's children or attachments into objects,
// placing those without a namespace in the parent's, as Metacontroller does.
func desiredObjects(list []map[string]any, parent *unstructured.Unstructured) (objectSet, error) {
	set := objectSet{}
	for i, m := range list {
		if m == nil {
			return nil, fmt.Errorf("object %d of the answer is null", i)
		}
		obj := &unstructured.Unstructured{Object: m}
		if obj.GetAPIVersion() == "" || obj.GetKind() == "" || obj.GetName() == "" {
			return nil, fmt.Errorf("object %d of the answer lacks apiVersion, kind or metadata.name", i)
		}
		if obj.GetNamespace() == "" {
			obj.SetNamespace(parent.GetNamespace())
		}
		set.add(obj)
	}
	return set, nil
}

// manage makes the observed children (or attachments) of parent match the
// desired ones: it deletes the observed that are no longer desired and
// applies the desired. Like Metacontroller it carries on past failures and
// reports them together.
func (c *Controller) manage(ctx context.Context, parent *unstructured.Unstructured, observed, desired objectSet) error {
	var errs []error
	for _, objs := range observed {
		for _, obj := range objs {
			if obj.GetDeletionTimestamp() != nil || desired.get(obj) != nil {
				continue
			}
			errs = append(errs, c.deleteChild(ctx, obj))
		}
	}
	for _, objs := range desired {
		for _, obj := range objs {
			errs = append(errs, c.applyChild(ctx, parent, observed.get(obj), obj))
		}
	}
	return errors.Join(errs...)
}

func (c *Controller) deleteChild(ctx context.Context, obj *unstructured.Unstructured) error {
	r, err := c.s.resources.byKind(obj.GetAPIVersion(), obj.GetKind())
	if err != nil {
		return err
	}
	// Background propagation because some kinds still default to orphaning;
	// the UID precondition keeps a recreated namesake alive.
	err = c.s.client(r, obj.GetNamespace()).Delete(ctx, obj.GetName(), metav1.DeleteOptions{
		Preconditions:     &metav1.Preconditions{UID: ptr.To(obj.GetUID())},
		PropagationPolicy: ptr.To(metav1.DeletePropagationBackground),
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete %s %s: %w", obj.GetKind(), objectKey(obj.GetNamespace(), obj.GetName()), err)
	}
	c.s.applied.forget(appliedKey(r, obj))
	c.s.log.Info("deleted child", "controller", c.name, "kind", obj.GetKind(), "object", objectKey(obj.GetNamespace(), obj.GetName()))
	return nil
}

// systemFields are the read-only ObjectMeta fields a hook may echo back;
// they are dropped before applying so they never conflict.
var systemFields = []string{"selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
	"deletionTimestamp", "deletionGracePeriodSeconds", "managedFields"}

const lastAppliedAnnotation = "metacontroller.k8s.io/last-applied-configuration"

// applyChild creates or updates one child with server-side apply, owned by
// parent as its controller, the way Metacontroller's server-side-apply
// strategy does.
func (c *Controller) applyChild(ctx context.Context, parent, observed, desired *unstructured.Unstructured) error {
	if observed != nil {
		if observed.GetDeletionTimestamp() != nil {
			return nil // wait for it to go away
		}
		if c.updateMethod(desired) == methodOnDelete {
			return nil
		}
	}
	r, err := c.s.resources.byKind(desired.GetAPIVersion(), desired.GetKind())
	if err != nil {
		return err
	}
	obj := desired.DeepCopy()
	for _, f := range systemFields {
		unstructured.RemoveNestedField(obj.Object, "metadata", f)
	}
	unstructured.RemoveNestedField(obj.Object, "metadata", "annotations", lastAppliedAnnotation)
	unstructured.RemoveNestedField(obj.Object, "status") // a parent never sets its children's status
	claim(obj, parent)
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return err
	}
	key := appliedKey(r, obj)
	if c.s.applied.current(key, data, observed) {
		return nil
	}
	written, err := c.s.applier(r, obj.GetNamespace()).Patch(ctx, obj.GetName(), types.ApplyPatchType, data,
		metav1.PatchOptions{FieldManager: c.s.opts.FieldManager, Force: ptr.To(true)})
	if apierrors.IsConflict(err) {
		return nil // the next sync tries again
	}
	if err != nil {
		c.s.applied.forget(key)
		return fmt.Errorf("apply %s %s: %w", obj.GetKind(), objectKey(obj.GetNamespace(), obj.GetName()), err)
	}
	c.s.applied.store(key, data, written)
	return nil
}

// claim adds parent as the controller owner, unless the hook already put
// an owner reference to it there.
func claim(obj, parent *unstructured.Unstructured) {
	refs := obj.GetOwnerReferences()
	for _, ref := range refs {
		if ref.UID == parent.GetUID() {
			return
		}
	}
	obj.SetOwnerReferences(append(refs, metav1.OwnerReference{
		APIVersion:         parent.GetAPIVersion(),
		Kind:               parent.GetKind(),
		Name:               parent.GetName(),
		UID:                parent.GetUID(),
		Controller:         ptr.To(true),
		BlockOwnerDeletion: ptr.To(true),
	}))
}

// updateMethod is the update strategy configured for the object's type;
// the API version is ignored, as in Metacontroller.
func (c *Controller) updateMethod(obj *unstructured.Unstructured) string {
	group := obj.GroupVersionKind().Group
	for _, rule := range c.children {
		r, err := c.s.resources.byResource(rule.apiVersion, rule.resource)
		if err == nil && r.gvr.Group == group && r.kind == obj.GetKind() {
			return rule.method
		}
	}
	return methodOnDelete
}

// atomicUpdate re-reads obj, lets mutate change it and writes it back
// (through the status subresource when status is set and the resource has
// one), retrying on conflicts. A replaced object (new UID) counts as gone.
func (s *Standin) atomicUpdate(ctx context.Context, r apiResource, orig *unstructured.Unstructured, status bool, mutate func(*unstructured.Unstructured) bool) (*unstructured.Unstructured, error) {
	client := s.client(r, orig.GetNamespace())
	var result *unstructured.Unstructured
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		cur, err := client.Get(ctx, orig.GetName(), metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.GetUID() != orig.GetUID() {
			return apierrors.NewNotFound(r.gvr.GroupResource(), orig.GetName())
		}
		if !mutate(cur) {
			result = cur
			return nil
		}
		if status && r.hasStatus {
			result, err = client.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		} else {
			result, err = client.Update(ctx, cur, metav1.UpdateOptions{})
		}
		return err
	})
	if err == nil && result == nil {
		// The caller goes on with the object returned, so it gets either
		// that or an error, never neither.
		return nil, fmt.Errorf("update %s: no object came back", objectKey(orig.GetNamespace(), orig.GetName()))
	}
	return result, err
}

// syncFinalizer adds the controller's finalizer when it has a finalize
// hook, and removes a stale one when it does not. It never adds one to an
// object already being deleted: it may have been removed on purpose.
func (c *Controller) syncFinalizer(ctx context.Context, r apiResource, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	want := c.hooks[hookFinalize] != nil
	if hasFinalizer(obj, c.finalizer) == want || (want && obj.GetDeletionTimestamp() != nil) {
		return obj, nil
	}
	updated, err := c.s.atomicUpdate(ctx, r, obj, false, func(o *unstructured.Unstructured) bool {
		return setFinalizer(o, c.finalizer, want)
	})
	if err != nil {
		return nil, fmt.Errorf("sync finalizer of %s: %w", objectKey(obj.GetNamespace(), obj.GetName()), err)
	}
	return updated, nil
}

func (c *Controller) removeFinalizer(ctx context.Context, r apiResource, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	updated, err := c.s.atomicUpdate(ctx, r, obj, false, func(o *unstructured.Unstructured) bool {
		return setFinalizer(o, c.finalizer, false)
	})
	if err != nil {
		return nil, fmt.Errorf("remove finalizer of %s: %w", objectKey(obj.GetNamespace(), obj.GetName()), err)
	}
	return updated, nil
}

func hasFinalizer(obj *unstructured.Unstructured, name string) bool {
	return slices.Contains(obj.GetFinalizers(), name)
}

// setFinalizer adds or removes a finalizer and reports whether that changed anything.
func setFinalizer(obj *unstructured.Unstructured, name string, present bool) bool {
	fins := obj.GetFinalizers()
	if slices.Contains(fins, name) == present {
		return false
	}
	if present {
		obj.SetFinalizers(append(fins, name))
	} else {
		obj.SetFinalizers(slices.DeleteFunc(fins, func(f string) bool { return f == name }))
	}
	return true
}

// shouldFinalize says whether children are still ours to manage while obj
// is being deleted: only while our finalizer holds it and the garbage
// collector is not already deleting or orphaning them.
func (c *Controller) shouldFinalize(obj *unstructured.Unstructured) bool {
	for _, f := range obj.GetFinalizers() {
		if f == metav1.FinalizerDeleteDependents || f == metav1.FinalizerOrphanDependents {
			return false
		}
	}
	return c.hooks[hookFinalize] != nil && hasFinalizer(obj, c.finalizer)
}

// sameJSON compares two JSON-like values by their encoding, so int64 and
// float64 numbers of equal value from different decoders compare equal.
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// parentGroup returns the API group of an apiVersion.
func parentGroup(apiVersion string) string {
	gv, _ := schema.ParseGroupVersion(apiVersion)
	return gv.Group
}
