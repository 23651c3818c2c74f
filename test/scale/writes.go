package main

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// writeCounts are apiserver writes seen by a watch: every MODIFIED event
// is one stored revision. A write that changed several parts counts once
// in Total and once under each part it changed.
type writeCounts struct {
	Total    int `json:"total"`
	Status   int `json:"status"`
	Spec     int `json:"spec"`
	Metadata int `json:"metadata"`
	// Other are writes that changed none of the above (managedFields
	// alone, for example).
	Other int `json:"other"`
	// StatusFields counts, per top-level status field, the writes that
	// changed it: what an idle object's writes are made of.
	StatusFields map[string]int `json:"status_fields,omitempty"`
	Creates      int            `json:"creates"`
	Deletes      int            `json:"deletes"`
}

func (c writeCounts) minus(o writeCounts) writeCounts {
	d := writeCounts{
		Total: c.Total - o.Total, Status: c.Status - o.Status, Spec: c.Spec - o.Spec,
		Metadata: c.Metadata - o.Metadata, Other: c.Other - o.Other,
		Creates: c.Creates - o.Creates, Deletes: c.Deletes - o.Deletes,
		StatusFields: map[string]int{},
	}
	for k, v := range c.StatusFields {
		if n := v - o.StatusFields[k]; n != 0 {
			d.StatusFields[k] = n
		}
	}
	return d
}

// writeCounter watches one resource in every namespace (or those with a
// prefix) and counts its writes.
type writeCounter struct {
	prefix string // namespaces counted; "" for all

	mu     sync.Mutex
	last   map[string]*unstructured.Unstructured
	counts writeCounts
	err    error // why the watch ended early: the counts stop there
}

// watchWrites starts counting from now; it stops when ctx ends. A
// RetryWatcher resumes from the last revision seen when the apiserver
// closes the watch, so a long run misses no event.
func watchWrites(ctx context.Context, dyn dynamic.Interface, gvr schema.GroupVersionResource, prefix string) (*writeCounter, error) {
	client := dyn.Resource(gvr)
	list, err := client.List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", gvr.Resource, err)
	}
	w := &writeCounter{prefix: prefix, last: map[string]*unstructured.Unstructured{}}
	for i := range list.Items {
		w.last[key(&list.Items[i])] = &list.Items[i]
	}
	lw := &cache.ListWatch{WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
		return client.Watch(ctx, opts)
	}}
	rw, err := watchtools.NewRetryWatcherWithContext(ctx, list.GetResourceVersion(), lw)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", gvr.Resource, err)
	}
	go func() {
		defer rw.Stop()
		for ev := range rw.ResultChan() {
			w.observe(ev)
		}
		if ctx.Err() == nil {
			w.fail(fmt.Errorf("the watch of %s ended", gvr.Resource))
		}
	}()
	go func() {
		<-ctx.Done()
		rw.Stop()
	}()
	return w, nil
}

func (w *writeCounter) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

// Err is why counting stopped early, if it did.
func (w *writeCounter) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func key(u *unstructured.Unstructured) string { return u.GetNamespace() + "/" + u.GetName() }

func (w *writeCounter) observe(ev watch.Event) {
	if ev.Type == watch.Error {
		w.fail(fmt.Errorf("watch error: %v", ev.Object))
		return
	}
	u, ok := ev.Object.(*unstructured.Unstructured)
	if !ok || !strings.HasPrefix(u.GetNamespace(), w.prefix) {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch ev.Type {
	case watch.Added:
		w.counts.Creates++
		w.last[key(u)] = u
	case watch.Deleted:
		w.counts.Deletes++
		delete(w.last, key(u))
	case watch.Modified:
		w.classify(w.last[key(u)], u)
		w.last[key(u)] = u
	}
}

// classify counts one write by the parts of the object it changed.
func (w *writeCounter) classify(old, cur *unstructured.Unstructured) {
	c := &w.counts
	c.Total++
	if old == nil {
		c.Other++
		return
	}
	spec := changed(old, cur, "spec") || changed(old, cur, "data")
	status := changed(old, cur, "status")
	metadata := metadataChanged(old, cur)
	if spec {
		c.Spec++
	}
	if status {
		c.Status++
		w.countStatusFields(old, cur)
	}
	if metadata {
		c.Metadata++
	}
	if !spec && !status && !metadata {
		c.Other++
	}
}

func (w *writeCounter) countStatusFields(old, cur *unstructured.Unstructured) {
	if w.counts.StatusFields == nil {
		w.counts.StatusFields = map[string]int{}
	}
	o, _, _ := unstructured.NestedMap(old.Object, "status")
	n, _, _ := unstructured.NestedMap(cur.Object, "status")
	fields := maps.Clone(o)
	if fields == nil {
		fields = map[string]any{}
	}
	maps.Copy(fields, n)
	for f := range fields {
		if !reflect.DeepEqual(o[f], n[f]) {
			w.counts.StatusFields[f]++
		}
	}
}

func changed(old, cur *unstructured.Unstructured, field string) bool {
	return !reflect.DeepEqual(old.Object[field], cur.Object[field])
}

// metadataChanged compares the metadata a client writes: labels,
// annotations, finalizers, owner references, deletion.
func metadataChanged(old, cur *unstructured.Unstructured) bool {
	return !reflect.DeepEqual(old.GetLabels(), cur.GetLabels()) ||
		!reflect.DeepEqual(old.GetAnnotations(), cur.GetAnnotations()) ||
		!reflect.DeepEqual(old.GetFinalizers(), cur.GetFinalizers()) ||
		!reflect.DeepEqual(old.GetOwnerReferences(), cur.GetOwnerReferences()) ||
		old.GetDeletionTimestamp() != nil != (cur.GetDeletionTimestamp() != nil)
}

func (w *writeCounter) snapshot() writeCounts {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.counts
	c.StatusFields = maps.Clone(w.counts.StatusFields)
	return c
}
