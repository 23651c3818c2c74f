package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/hookops/hookops/mirror"
)

// ReasonCopiesChanged is the Event recorded on a source when where its
// copies stand changes.
const ReasonCopiesChanged = "CopiesChanged"

// recordStatus writes where the source's copies stand into its copies
// annotation and records an Event, only when that changed: a resync that
// finds everything in place writes nothing. A source that is gone or no
// longer a source has nothing to record.
func (c *Controller) recordStatus(ctx context.Context, key mirror.Ref, rivals []mirror.Source, namespaces []mirror.Namespace, conflicts []mirror.Conflict, failed []string) error {
	src := mirror.Find(rivals, key)
	if src == nil {
		c.written.forget(key)
		return nil
	}
	summary := mirror.StatusAfterSync(*src, namespaces, conflicts, failed).Summary()
	if src.Annotations[mirror.AnnotationCopies] == summary || c.written.unseen(key, src.ResourceVersion, summary) {
		return nil
	}
	if err := c.annotate(ctx, key, summary); err != nil {
		return err
	}
	c.written.store(key, src.ResourceVersion, summary)
	if obj := c.sourceObject(key); obj != nil {
		c.opts.Recorder.Event(obj, corev1.EventTypeNormal, ReasonCopiesChanged, summary)
	}
	c.log.DebugContext(ctx, "copies changed", "source", key.String(), "copies", summary)
	return nil
}

// annotate sets the copies annotation with a merge patch, which touches
// nothing else of the source and needs no resourceVersion: the summary is
// recomputed at the next sync anyway.
func (c *Controller) annotate(ctx context.Context, key mirror.Ref, summary string) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{mirror.AnnotationCopies: summary}}})
	if err != nil {
		return fmt.Errorf("copies annotation of %s: %w", key, err)
	}
	err = c.kinds[key.Kind].patch(ctx, key, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("copies annotation of %s: %w", key, err)
	}
	return nil
}

// stepNamespace is the namespace a step writes in.
func stepNamespace(s mirror.Step) string {
	if s.Current != nil {
		return s.Current.Namespace
	}
	return s.Want.Namespace
}

// writtenSummaries remembers the last summary written on each source and
// the resourceVersion the source had before, so that a sync that runs
// before the watch has brought the patched source into the cache does not
// write the same summary again.
type writtenSummaries struct {
	mu sync.Mutex
	m  map[mirror.Ref]written
}

type written struct{ before, summary string }

// unseen reports whether summary was written over the source at
// resourceVersion rv, which the cache still holds: the write is not back
// from the watch yet.
func (w *writtenSummaries) unseen(key mirror.Ref, rv, summary string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	last, ok := w.m[key]
	return ok && last.before == rv && last.summary == summary
}

func (w *writtenSummaries) store(key mirror.Ref, rv, summary string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[mirror.Ref]written{}
	}
	w.m[key] = written{before: rv, summary: summary}
}

// forget drops what is remembered of a source that is gone.
func (w *writtenSummaries) forget(key mirror.Ref) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.m, key)
}
