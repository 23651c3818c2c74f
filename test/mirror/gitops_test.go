package mirror_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/hookops/hookops/mirror"
	"github.com/hookops/hookops/test/testkit"
)

// exactly waits until the copy kind/name in ns carries exactly the given
// labels and the mirror's two annotations for the source srcNS/name. The
// hooks implementation's ownership marks (Metacontroller's own
// annotations) are not the copy's content and are left out of the
// comparison.
func (e *env) exactly(t *testing.T, kind mirror.Kind, srcNS, name, ns string, labels map[string]string) {
	t.Helper()
	e.eventually(t, fmt.Sprintf("metadata of %s %s/%s", kind, ns, name), func(ctx context.Context) (bool, string) {
		src, err := e.get(ctx, kind, srcNS, name)
		if err != nil {
			return false, "source: " + err.Error()
		}
		c, err := e.get(ctx, kind, ns, name)
		if err != nil {
			return false, "copy: " + err.Error()
		}
		annotations := map[string]string{}
		for k, v := range c.Annotations {
			if !strings.HasPrefix(k, "metacontroller.k8s.io/") {
				annotations[k] = v
			}
		}
		wantAnnotations := map[string]string{mirror.AnnotationSource: srcNS + "/" + name, mirror.AnnotationContentHash: mirror.Hash(src)}
		switch {
		case !maps.Equal(c.Labels, labels):
			return false, fmt.Sprintf("labels %v, want %v", c.Labels, labels)
		case !maps.Equal(annotations, wantAnnotations):
			return false, fmt.Sprintf("annotations %v, want %v", annotations, wantAnnotations)
		}
		return true, ""
	})
}

// scenarioArgoCD: sources applied by Argo CD, with the tracking label
// (label method) or the tracking annotation (annotation method) exactly as
// Argo CD sets them, and by Flux. Their copies carry none of it, so Argo CD
// neither prunes them nor shows the application OutOfSync.
func scenarioArgoCD(t *testing.T, e *env, p string) {
	src, a := p+"-src", p+"-a"
	e.namespace(t, src, false)
	e.namespace(t, a, true)
	app := p + "-platform"

	byLabel := cmSource(src, "by-label", a, map[string]string{"k": "v"})
	byLabel.Labels["app.kubernetes.io/instance"] = app
	// Argo CD's client-side apply leaves kubectl's annotation.
	byLabel.Annotations["kubectl.kubernetes.io/last-applied-configuration"] = `{"apiVersion":"v1","kind":"ConfigMap"}`
	e.configMap(t, byLabel)

	byAnnotation := cmSource(src, "by-annotation", a, map[string]string{"k": "v"})
	byAnnotation.Annotations["argocd.argoproj.io/tracking-id"] = fmt.Sprintf("%s:/ConfigMap:%s/by-annotation", app, src)
	byAnnotation.Annotations["argocd.argoproj.io/sync-options"] = "Prune=false"
	e.configMap(t, byAnnotation)

	flux := &corev1.Secret{ObjectMeta: sourceMeta(src, "by-flux", a), Data: map[string][]byte{"k": []byte("v")}}
	maps.Copy(flux.Labels, map[string]string{
		"kustomize.toolkit.fluxcd.io/name": "infra", "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
		"helm.toolkit.fluxcd.io/name": "infra", "helm.toolkit.fluxcd.io/namespace": "flux-system",
	})
	e.secret(t, flux)

	labels := map[string]string{"app": "demo", mirror.LabelCopy: "true"}
	e.exactly(t, mirror.ConfigMap, src, "by-label", a, labels)
	e.exactly(t, mirror.ConfigMap, src, "by-annotation", a, labels)
	e.exactly(t, mirror.Secret, src, "by-flux", a, labels)
}

// scenarioLabelLists: strip-labels leaves more off, keep-labels brings a
// GitOps label back; a copy made while a label was kept (as an older
// version made every copy) loses it when it no longer is. A malformed list
// is reported and changes nothing until it is fixed.
func scenarioLabelLists(t *testing.T, e *env, p string) {
	src, a := p+"-src", p+"-a"
	e.namespace(t, src, false)
	e.namespace(t, a, true)
	cm := cmSource(src, "settings", a, map[string]string{"color": "blue"})
	maps.Copy(cm.Labels, map[string]string{"app.kubernetes.io/instance": "platform", "tier": "gold", "team.example/owner": "ops"})
	cm.Annotations[mirror.AnnotationKeepLabels] = "app.kubernetes.io/instance"
	cm.Annotations[mirror.AnnotationStripLabels] = "tier, team.example/*"
	e.configMap(t, cm)
	e.exactly(t, mirror.ConfigMap, src, "settings", a, map[string]string{"app": "demo", "app.kubernetes.io/instance": "platform", mirror.LabelCopy: "true"})

	e.patch(t, mirror.ConfigMap, src, "settings", fmt.Sprintf(`{"metadata":{"annotations":{%q:null}}}`, mirror.AnnotationKeepLabels))
	e.exactly(t, mirror.ConfigMap, src, "settings", a, map[string]string{"app": "demo", mirror.LabelCopy: "true"})

	e.patch(t, mirror.ConfigMap, src, "settings", fmt.Sprintf(`{"metadata":{"annotations":{%q:"tier, not a key!"}},"data":{"color":"red"}}`, mirror.AnnotationStripLabels))
	e.invalidReported(t, mirror.ConfigMap, src, "settings", a, mirror.AnnotationStripLabels)
	c, err := e.get(testkit.Context(t), mirror.ConfigMap, a, "settings")
	if err != nil {
		t.Fatalf("the copy of an invalid source went: %v", err)
	}
	if c.Data["color"] != "blue" {
		t.Errorf("the copy of an invalid source changed: %v", c.Data)
	}

	e.patch(t, mirror.ConfigMap, src, "settings", fmt.Sprintf(`{"metadata":{"annotations":{%q:"tier"}}}`, mirror.AnnotationStripLabels))
	e.copied(t, mirror.ConfigMap, src, "settings", a)
	e.exactly(t, mirror.ConfigMap, src, "settings", a, map[string]string{"app": "demo", "team.example/owner": "ops", mirror.LabelCopy: "true"})
}

// scenarioImmutable: immutable sources give immutable copies; an immutable
// source replaced with new content (the only way it can change) gets its
// copies replaced too.
func scenarioImmutable(t *testing.T, e *env, p string) {
	src, a, b := p+"-src", p+"-a", p+"-b"
	e.namespace(t, src, false)
	e.namespace(t, a, true)
	e.namespace(t, b, true)
	cm := cmSource(src, "settings", p+"-*", map[string]string{"v": "1"})
	cm.Immutable = ptr.To(true)
	e.configMap(t, cm)
	e.secret(t, &corev1.Secret{ObjectMeta: sourceMeta(src, "creds", a), Immutable: ptr.To(true), Data: map[string][]byte{"k": []byte("v")}})
	e.copied(t, mirror.ConfigMap, src, "settings", a)
	e.copied(t, mirror.ConfigMap, src, "settings", b)
	e.copied(t, mirror.Secret, src, "creds", a)
	before, err := e.get(testkit.Context(t), mirror.ConfigMap, a, "settings")
	if err != nil {
		t.Fatal(err)
	}
	if !before.Immutable {
		t.Fatal("the copy of an immutable source is mutable")
	}

	e.delete(t, mirror.ConfigMap, src, "settings")
	cm = cmSource(src, "settings", p+"-*", map[string]string{"v": "2"})
	cm.Immutable = ptr.To(true)
	e.configMap(t, cm)
	e.copied(t, mirror.ConfigMap, src, "settings", a)
	e.copied(t, mirror.ConfigMap, src, "settings", b)
	after, err := e.get(testkit.Context(t), mirror.ConfigMap, a, "settings")
	if err != nil {
		t.Fatal(err)
	}
	if after.UID == before.UID || after.Data["v"] != "2" || !after.Immutable {
		t.Errorf("copy not replaced: uid %s (was %s), data %v, immutable %v", after.UID, before.UID, after.Data, after.Immutable)
	}
}

// scenarioImmutableReported: an immutable copy that must take new content
// is replaced and the replacement reported. Here the copy's source goes
// while a newer immutable source with other content wants the place, so
// the standing copy is replaced rather than deleted first.
func scenarioImmutableReported(t *testing.T, e *env, p string) {
	x, y, target := p+"-x", p+"-y", p+"-t"
	e.namespace(t, x, false)
	e.namespace(t, y, false)
	e.namespace(t, target, true)
	older := cmSource(x, "dup", target, map[string]string{"from": "x"})
	older.Immutable = ptr.To(true)
	e.configMap(t, older)
	e.copied(t, mirror.ConfigMap, x, "dup", target)
	newer := cmSource(y, "dup", target, map[string]string{"from": "y"})
	newer.Immutable = ptr.To(true)
	e.configMap(t, newer)
	e.reported(t, mirror.Contended, mirror.ConfigMap, target, y, "dup")

	e.delete(t, mirror.ConfigMap, x, "dup")
	e.copied(t, mirror.ConfigMap, y, "dup", target)
	e.eventually(t, "replacement reported", func(ctx context.Context) (bool, string) {
		return e.impl.replaced(ctx, string(mirror.ConfigMap), target, y, "dup")
	})
}
