package controller

import (
	"context"
	"errors"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/hookops/hookops/mirror"
)

// sync brings the copies of one source in line with the plan: created,
// updated, replaced or deleted; conflicts are reported, and where the
// copies stand is recorded on the source. The source may be gone: its key
// then only deletes its copies.
func (c *Controller) sync(ctx context.Context, key mirror.Ref) error {
	rivals, err := c.sourcesNamed(key.Kind, key.Name)
	if err != nil {
		return err
	}
	namespaces, err := c.namespaces()
	if err != nil {
		return err
	}
	standing, err := c.copiesNamed(key.Kind, key.Name)
	if err != nil {
		return err
	}
	plan := mirror.PlanSource(key, rivals, namespaces, standing)
	out := c.carryOutAll(ctx, key, plan.Steps)
	conflicts := append(plan.Conflicts, out.conflicts...)
	c.report(ctx, key, conflicts)
	c.reportInvalid(ctx, plan.Invalid)
	return errors.Join(out.err, c.recordStatus(ctx, key, rivals, namespaces, conflicts, out.failed))
}

// outcome is what carrying out a plan's steps met.
type outcome struct {
	conflicts []mirror.Conflict
	failed    []string // namespaces whose step failed
	err       error
}

// carryOutAll makes the steps of the source key, Options.WritesPerSync at
// a time. Each step is in its own namespace, so their order does not
// matter.
func (c *Controller) carryOutAll(ctx context.Context, key mirror.Ref, steps []mirror.Step) outcome {
	var (
		mu   sync.Mutex
		out  outcome
		errs []error
		wg   sync.WaitGroup
	)
	slots := make(chan struct{}, c.opts.WritesPerSync)
	for _, step := range steps {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			conflict, err := c.carryOut(ctx, step)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				out.failed = append(out.failed, stepNamespace(step))
			}
			if conflict != nil {
				out.conflicts = append(out.conflicts, *conflict)
			}
			if replaced, ok := step.Replaced(); ok && err == nil && conflict == nil {
				c.reportReplaced(ctx, key, replaced)
			}
		})
	}
	wg.Wait()
	out.err = errors.Join(errs...)
	return out
}

func (c *Controller) namespaces() ([]mirror.Namespace, error) {
	list, err := c.nsLister.List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list namespaces: %w", err)
	}
	out := make([]mirror.Namespace, len(list))
	for i, ns := range list {
		out[i] = mirror.NamespaceFrom(ns)
	}
	return out, nil
}

// copiesNamed maps each namespace to the copy of that kind and name
// standing there, whichever source it came from.
func (c *Controller) copiesNamed(kind mirror.Kind, name string) (map[string]*mirror.Object, error) {
	objs, err := c.copies[kind].ByIndex(byName, name)
	if err != nil {
		return nil, fmt.Errorf("list copies named %s: %w", name, err)
	}
	out := make(map[string]*mirror.Object, len(objs))
	for _, obj := range objs {
		if o, ok := c.kinds[kind].reduce(obj); ok {
			out[o.Namespace] = &o
		}
	}
	return out, nil
}

// carryOut makes one step. A create that finds the name taken looks at
// what stands there, since the cache only knows copies: a copy not cached
// yet is updated instead; anything else is a conflict, returned.
func (c *Controller) carryOut(ctx context.Context, step mirror.Step) (*mirror.Conflict, error) {
	switch step.Action {
	case mirror.Update:
		updated := mirror.Apply(&step.Want, step.Current)
		return nil, c.update(ctx, &updated)
	case mirror.Delete:
		return nil, c.delete(ctx, step.Current)
	case mirror.Replace:
		if err := c.delete(ctx, step.Current); err != nil {
			return nil, err
		}
	}
	err := c.create(ctx, &step.Want)
	if !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	cur, err := c.get(ctx, step.Want.Ref())
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("%s was there a moment ago; retrying: %w", step.Want.Ref(), err)
	}
	if err != nil {
		return nil, err
	}
	switch action, reason := mirror.Decide(&step.Want, cur, mirror.IsCopy(cur)); action {
	case mirror.Block:
		return &mirror.Conflict{Reason: reason, Target: step.Want.Ref(), Source: sourceOf(&step.Want)}, nil
	case mirror.Update:
		updated := mirror.Apply(&step.Want, cur)
		return nil, c.update(ctx, &updated)
	case mirror.Replace:
		// Retried from the cache, which will know that copy by then.
		return nil, fmt.Errorf("%s: a copy of another type appeared meanwhile; retrying", step.Want.Ref())
	}
	return nil, nil
}

func sourceOf(o *mirror.Object) mirror.Ref {
	ref, _ := mirror.CopyOf(o)
	return ref
}

func (c *Controller) create(ctx context.Context, o *mirror.Object) error {
	err := c.kinds[o.Kind].create(ctx, o, metav1.CreateOptions{FieldManager: FieldManager})
	if err != nil {
		return fmt.Errorf("create %s: %w", o.Ref(), err)
	}
	c.metrics.wrote("create")
	c.log.DebugContext(ctx, "created copy", "copy", o.Ref().String())
	return nil
}

// update writes o with its resourceVersion, so that a change made since it
// was read fails and is looked at again rather than overwritten.
func (c *Controller) update(ctx context.Context, o *mirror.Object) error {
	err := c.kinds[o.Kind].update(ctx, o, metav1.UpdateOptions{FieldManager: FieldManager})
	if err != nil {
		return fmt.Errorf("update %s: %w", o.Ref(), err)
	}
	c.metrics.wrote("update")
	c.log.DebugContext(ctx, "updated copy", "copy", o.Ref().String())
	return nil
}

// delete removes exactly the copy that was looked at: if it was replaced
// or changed since (say, its copy label removed by hand), the preconditions
// fail and the source is synced again.
func (c *Controller) delete(ctx context.Context, o *mirror.Object) error {
	opts := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: ptr.To(o.UID), ResourceVersion: ptr.To(o.ResourceVersion)}}
	err := c.kinds[o.Kind].delete(ctx, o, opts)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", o.Ref(), err)
	}
	c.metrics.wrote("delete")
	c.log.DebugContext(ctx, "deleted copy", "copy", o.Ref().String())
	return nil
}

func (c *Controller) get(ctx context.Context, ref mirror.Ref) (*mirror.Object, error) {
	o, err := c.kinds[ref.Kind].get(ctx, ref)
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// report turns conflicts into Warning Events on the source and log lines.
// A source blocked by an object that is not a copy is looked at again
// after ConflictRecheck, because that object's going is not watched.
func (c *Controller) report(ctx context.Context, key mirror.Ref, conflicts []mirror.Conflict) {
	src := c.sourceObject(key)
	recheck := false
	for _, cf := range conflicts {
		c.metrics.conflict(cf.Reason)
		c.log.WarnContext(ctx, "copy blocked", "reason", cf.Reason, "copy", cf.Target.String(), "source", cf.Source.String(), "detail", cf.String())
		if src != nil {
			c.opts.Recorder.Event(src, corev1.EventTypeWarning, string(cf.Reason), cf.String())
		}
		recheck = recheck || cf.Reason == mirror.Occupied
	}
	if recheck {
		c.queue.AddAfter(key, c.opts.ConflictRecheck)
	}
}

// reportInvalid turns a source that cannot be read into a Warning Event on
// it: it copies nothing until fixed, and its Events are where its author
// looks (kubectl describe).
func (c *Controller) reportInvalid(ctx context.Context, inv *mirror.Invalid) {
	if inv == nil {
		return
	}
	c.metrics.conflict(inv.Reason)
	c.log.WarnContext(ctx, "source cannot be read", "reason", inv.Reason, "source", inv.Source.String(), "err", inv.Err)
	if src := c.sourceObject(inv.Source); src != nil {
		c.opts.Recorder.Event(src, corev1.EventTypeWarning, string(inv.Reason), inv.String())
	}
}

// reportReplaced records a Normal Event on the source for an immutable copy
// that was deleted and created again with the source's new content. A
// replacement that fails is retried and logged as a failed sync, so a copy
// is never left stale unreported.
func (c *Controller) reportReplaced(ctx context.Context, key mirror.Ref, r mirror.Conflict) {
	c.log.InfoContext(ctx, "immutable copy replaced", "copy", r.Target.String(), "source", r.Source.String())
	if src := c.sourceObject(key); src != nil {
		c.opts.Recorder.Event(src, corev1.EventTypeNormal, string(r.Reason), r.String())
	}
}

func (c *Controller) sourceObject(key mirror.Ref) runtime.Object {
	obj, ok, err := c.sources[key.Kind].GetByKey(key.Path())
	if err != nil || !ok {
		return nil
	}
	ro, _ := obj.(runtime.Object)
	return ro
}
