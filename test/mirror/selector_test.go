package mirror_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/hookops/hookops/mirror"
	"github.com/hookops/hookops/test/testkit"
)

// labelledNamespace creates a namespace with labels, accepting or not.
func (e *env) labelledNamespace(t *testing.T, name string, accept bool, labels map[string]string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}}
	for k, v := range labels {
		ns.Labels[k] = v
	}
	if accept {
		ns.Labels[mirror.LabelAccept] = "true"
	}
	if _, err := e.client.CoreV1().Namespaces().Create(testkit.Context(t), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// label sets a namespace's label, or removes it when value is empty.
func (e *env) label(t *testing.T, ns, key, value string) {
	t.Helper()
	v := "null"
	if value != "" {
		v = fmt.Sprintf("%q", value)
	}
	patch := fmt.Sprintf(`{"metadata":{"labels":{%q:%s}}}`, key, v)
	if _, err := e.client.CoreV1().Namespaces().Patch(testkit.Context(t), ns, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

// selectorSource is a ConfigMap source copying to the names and globs in to
// (none when empty) and to the namespaces selector picks.
func selectorSource(ns, name, to, selector string, data map[string]string) *corev1.ConfigMap {
	cm := cmSource(ns, name, to, data)
	if to == "" {
		delete(cm.Annotations, mirror.AnnotationToNamespaces)
	}
	cm.Annotations[mirror.AnnotationToNamespaceSelector] = selector
	return cm
}

// invalidReported waits until the implementation reports the source
// srcNS/name as unreadable because of its annotation, where the owner of
// namespace ns would look.
func (e *env) invalidReported(t *testing.T, kind mirror.Kind, srcNS, name, ns, annotation string) {
	t.Helper()
	e.eventually(t, fmt.Sprintf("invalid %s %s/%s reported (seen from %s)", kind, srcNS, name, ns), func(ctx context.Context) (bool, string) {
		return e.impl.invalid(ctx, string(kind), srcNS, name, ns, annotation)
	})
}

// invalid looks for the Warning Event the controller records on the source;
// the namespace plays no part, the source is where its author looks.
func (c *clientgoImpl) invalid(ctx context.Context, kind, srcNS, name, _, annotation string) (bool, string) {
	events, err := c.admin.CoreV1().Events(srcNS).List(ctx, metav1.ListOptions{})
	if err != nil {
		return false, err.Error()
	}
	var seen []string
	for _, ev := range events.Items {
		if ev.InvolvedObject.Kind == kind && ev.InvolvedObject.Name == name && ev.Type == corev1.EventTypeWarning &&
			(ev.Reason == string(mirror.InvalidSelector) || ev.Reason == string(mirror.InvalidSource)) && strings.Contains(ev.Message, annotation) {
			return true, ""
		}
		seen = append(seen, ev.Reason+": "+ev.Message)
	}
	return false, fmt.Sprintf("events in %s: %q", srcNS, seen)
}

// invalid reads the conflicts annotation of an accepting namespace: the
// hooks cannot write to a source, which is only a related object to them.
func (h *hooksImpl) invalid(ctx context.Context, kind, srcNS, name, ns, annotation string) (bool, string) {
	n, err := h.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		return false, err.Error()
	}
	ann := n.Annotations[mirror.AnnotationConflicts]
	for line := range strings.SplitSeq(ann, "\n") {
		if strings.HasPrefix(line, kind+" "+srcNS+"/"+name+": ") && strings.Contains(line, annotation) {
			return true, ""
		}
	}
	return false, fmt.Sprintf("conflicts annotation of %s: %q", ns, ann)
}

// scenarioSelector: names and globs and a label selector, united; a
// namespace relabelled into the selector gets the copy, relabelled out of
// it loses it.
func scenarioSelector(t *testing.T, e *env, p string) {
	key := "tier-" + p // a label no other scenario's namespaces carry
	src, gold, named, bronze, closed := p+"-src", p+"-gold", p+"-named", p+"-bronze", p+"-closed"
	e.labelledNamespace(t, src, true, map[string]string{key: "gold"}) // never a target of its own sources
	e.labelledNamespace(t, gold, true, map[string]string{key: "gold"})
	e.labelledNamespace(t, named, true, nil)
	e.labelledNamespace(t, bronze, true, map[string]string{key: "bronze"})
	e.labelledNamespace(t, closed, false, map[string]string{key: "gold"}) // picked, but does not accept
	e.configMap(t, selectorSource(src, "settings", named, key+"=gold", map[string]string{"color": "blue"}))

	e.copied(t, mirror.ConfigMap, src, "settings", gold)
	e.copied(t, mirror.ConfigMap, src, "settings", named)
	ctx := testkit.Context(t)
	for _, ns := range []string{bronze, closed} {
		if ok, detail := e.absent(ctx, mirror.ConfigMap, ns, "settings"); !ok {
			t.Errorf("copy in %s: %s", ns, detail)
		}
	}
	if self, err := e.get(ctx, mirror.ConfigMap, src, "settings"); err != nil || mirror.IsCopy(self) {
		t.Fatalf("the source was overwritten by a copy of itself (%v)", err)
	}

	e.label(t, bronze, key, "gold")
	e.copied(t, mirror.ConfigMap, src, "settings", bronze)
	e.label(t, gold, key, "")
	e.gone(t, mirror.ConfigMap, gold, "settings")
	e.label(t, named, key, "bronze") // named: the selector does not matter
	e.label(t, gold, key, "gold")
	e.copied(t, mirror.ConfigMap, src, "settings", gold)
	e.copied(t, mirror.ConfigMap, src, "settings", named)
}

// scenarioInvalidSelector: a selector that does not parse copies nothing,
// is reported, and leaves the copies made before as they are until fixed;
// another source of that name does not take them over meanwhile.
func scenarioInvalidSelector(t *testing.T, e *env, p string) {
	key := "tier-" + p
	// The rival's namespace sorts after src's, so that src stays the older
	// source even if both were created within one second.
	src, rival, a, b := p+"-src", p+"-z-rival", p+"-a", p+"-b"
	e.namespace(t, src, false)
	e.namespace(t, rival, false)
	e.labelledNamespace(t, a, true, map[string]string{key: "gold"})
	e.labelledNamespace(t, b, true, nil)
	e.configMap(t, selectorSource(src, "settings", "", key+"=gold", map[string]string{"color": "blue"}))
	e.copied(t, mirror.ConfigMap, src, "settings", a)

	// A typo, with a content change that must not reach the copy; and a
	// source that never could be read, naming both namespaces too.
	broken := key + " in (gold"
	e.patch(t, mirror.ConfigMap, src, "settings", fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}},"data":{"color":"red"}}`, mirror.AnnotationToNamespaceSelector, broken))
	e.configMap(t, selectorSource(src, "fresh", a+","+b, broken, map[string]string{"k": "v"}))
	for _, ns := range []string{a, b} {
		e.invalidReported(t, mirror.ConfigMap, src, "settings", ns, mirror.AnnotationToNamespaceSelector)
		e.invalidReported(t, mirror.ConfigMap, src, "fresh", ns, mirror.AnnotationToNamespaceSelector)
	}
	e.configMap(t, cmSource(rival, "settings", a, map[string]string{"color": "green"}))
	e.reported(t, mirror.Held, mirror.ConfigMap, a, rival, "settings")
	ctx := testkit.Context(t)
	for _, ns := range []string{a, b} {
		if ok, detail := e.absent(ctx, mirror.ConfigMap, ns, "fresh"); !ok {
			t.Errorf("copied from a source with an invalid selector into %s: %s", ns, detail)
		}
	}
	kept, err := e.get(ctx, mirror.ConfigMap, a, "settings")
	if err != nil {
		t.Fatalf("the copy made before the typo: %v", err)
	}
	if kept.Data["color"] != "blue" || !mirror.IsCopy(kept) {
		t.Errorf("the copy made before the typo changed: %v", kept.Data)
	}

	e.patch(t, mirror.ConfigMap, src, "settings", fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, mirror.AnnotationToNamespaceSelector, key+" in (gold)"))
	e.patch(t, mirror.ConfigMap, src, "fresh", fmt.Sprintf(`{"metadata":{"annotations":{%q:null}}}`, mirror.AnnotationToNamespaceSelector))
	e.copied(t, mirror.ConfigMap, src, "settings", a) // fixed, and the older source
	e.reported(t, mirror.Contended, mirror.ConfigMap, a, rival, "settings")
	e.copied(t, mirror.ConfigMap, src, "fresh", a)
	e.copied(t, mirror.ConfigMap, src, "fresh", b)
	if ok, detail := e.absent(ctx, mirror.ConfigMap, b, "settings"); !ok {
		t.Errorf("copy in %s, which the fixed selector does not pick: %s", b, detail)
	}
}
