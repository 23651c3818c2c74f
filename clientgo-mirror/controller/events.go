package controller

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/hookops/hookops/mirror"
)

// onSource queues a changed source and every source of the same kind and
// name: which of them wins a namespace may have changed with it.
func (c *Controller) onSource(k kindClient, obj any) {
	o, ok := k.reduce(unwrap(obj))
	if !ok {
		return
	}
	c.queue.Add(o.Ref())
	c.enqueueNamed(o.Kind, o.Name)
}

// onCopy queues the source a copy names, which puts back a copy edited or
// deleted by hand and removes copies whose source went while nobody
// watched; and the other sources of that name, one of which may now get
// the place.
func (c *Controller) onCopy(k kindClient, obj any) {
	o, ok := k.reduce(unwrap(obj))
	if !ok {
		return
	}
	if ref, ok := mirror.CopyOf(&o); ok {
		c.queue.Add(ref)
	}
	c.enqueueNamed(o.Kind, o.Name)
}

func (c *Controller) enqueueNamed(kind mirror.Kind, name string) {
	objs, _ := c.sources[kind].ByIndex(byName, name)
	for _, obj := range objs {
		if o, ok := c.kinds[kind].reduce(obj); ok {
			c.queue.Add(o.Ref())
		}
	}
}

// onNamespaceUpdate reacts only to what decides which copies a namespace
// takes (its consent and, for selectors, its labels), so that the
// namespace's own bookkeeping updates cost nothing.
func (c *Controller) onNamespaceUpdate(old, cur any) {
	o, ok1 := old.(*corev1.Namespace)
	n, ok2 := cur.(*corev1.Namespace)
	if ok1 && ok2 && !mirror.NamespaceChanged(mirror.NamespaceFrom(o), mirror.NamespaceFrom(n)) {
		return
	}
	c.onNamespace(cur)
}

// onNamespace queues every source whose names, globs or selector pick the
// namespace as it is now, and the sources of copies standing in it, so that
// a namespace created or relabelled gets (or loses) its copies at once
// rather than at the next resync.
func (c *Controller) onNamespace(obj any) {
	ns, ok := unwrap(obj).(*corev1.Namespace)
	if !ok {
		return
	}
	target := mirror.NamespaceFrom(ns)
	for _, kind := range kinds {
		k := c.kinds[kind]
		for _, obj := range c.sources[kind].List() {
			o, _ := k.reduce(obj)
			if s, ok := mirror.ParseSource(o); ok && s.Selects(target) {
				c.queue.Add(s.Ref())
			}
		}
		copies, _ := c.copies[kind].ByIndex(cache.NamespaceIndex, ns.Name)
		for _, obj := range copies {
			o, _ := k.reduce(obj)
			if ref, ok := mirror.CopyOf(&o); ok {
				c.queue.Add(ref)
			}
		}
	}
}
