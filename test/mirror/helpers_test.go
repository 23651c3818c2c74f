package mirror_test

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/hookops/hookops/mirror"
	"github.com/hookops/hookops/test/testkit"
)

// within bounds every wait. The mirror reacts to watch events in well under
// a second; the margin is for a loaded machine, and still far below either
// implementation's resync period, so a pass never comes from a resync.
const within = 45 * time.Second

// eventually is testkit.Eventually bounded by within, each check with its
// own API call context.
func (e *env) eventually(t *testing.T, what string, check func(ctx context.Context) (bool, string)) {
	t.Helper()
	testkit.Eventually(t, within, what, func() (bool, string) { return check(testkit.Context(t)) })
}

func (e *env) namespace(t *testing.T, name string, accept bool) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if accept {
		ns.Labels = map[string]string{mirror.LabelAccept: "true"}
	}
	if _, err := e.client.CoreV1().Namespaces().Create(testkit.Context(t), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// accept sets or removes the accept label of a namespace.
func (e *env) accept(t *testing.T, name string, accept bool) {
	t.Helper()
	value := `null`
	if accept {
		value = `"true"`
	}
	patch := fmt.Sprintf(`{"metadata":{"labels":{%q:%s}}}`, mirror.LabelAccept, value)
	if _, err := e.client.CoreV1().Namespaces().Patch(testkit.Context(t), name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

// sourceMeta is the metadata of a source in ns copying to "to".
func sourceMeta(ns, name, to string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Namespace:   ns,
		Name:        name,
		Labels:      map[string]string{mirror.LabelEnabled: "true", "app": "demo"},
		Annotations: map[string]string{mirror.AnnotationToNamespaces: to},
	}
}

func (e *env) configMap(t *testing.T, cm *corev1.ConfigMap) {
	t.Helper()
	if _, err := e.client.CoreV1().ConfigMaps(cm.Namespace).Create(testkit.Context(t), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) secret(t *testing.T, s *corev1.Secret) {
	t.Helper()
	if _, err := e.client.CoreV1().Secrets(s.Namespace).Create(testkit.Context(t), s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// patch merge-patches a ConfigMap or Secret.
func (e *env) patch(t *testing.T, kind mirror.Kind, ns, name, patch string) {
	t.Helper()
	var err error
	ctx := testkit.Context(t)
	switch kind {
	case mirror.ConfigMap:
		_, err = e.client.CoreV1().ConfigMaps(ns).Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	case mirror.Secret:
		_, err = e.client.CoreV1().Secrets(ns).Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	}
	if err != nil {
		t.Fatalf("patch %s %s/%s: %v", kind, ns, name, err)
	}
}

func (e *env) delete(t *testing.T, kind mirror.Kind, ns, name string) {
	t.Helper()
	var err error
	ctx := testkit.Context(t)
	switch kind {
	case mirror.ConfigMap:
		err = e.client.CoreV1().ConfigMaps(ns).Delete(ctx, name, metav1.DeleteOptions{})
	case mirror.Secret:
		err = e.client.CoreV1().Secrets(ns).Delete(ctx, name, metav1.DeleteOptions{})
	}
	if err != nil {
		t.Fatalf("delete %s %s/%s: %v", kind, ns, name, err)
	}
}

func (e *env) get(ctx context.Context, kind mirror.Kind, ns, name string) (*mirror.Object, error) {
	var o mirror.Object
	switch kind {
	case mirror.ConfigMap:
		cm, err := e.client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		o = mirror.FromConfigMap(cm)
	case mirror.Secret:
		s, err := e.client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		o = mirror.FromSecret(s)
	}
	return &o, nil
}

// copied waits until ns holds an up-to-date copy of the source srcNS/name.
func (e *env) copied(t *testing.T, kind mirror.Kind, srcNS, name, ns string) {
	t.Helper()
	e.eventually(t, fmt.Sprintf("copy of %s %s/%s in %s", kind, srcNS, name, ns), func(ctx context.Context) (bool, string) {
		return e.copyMatches(ctx, kind, srcNS, name, ns)
	})
}

// copyMatches compares a copy with its source as it is now: content, type,
// immutability, the source's labels that its label rules copy plus the copy
// label, and the annotations naming the source and its content.
func (e *env) copyMatches(ctx context.Context, kind mirror.Kind, srcNS, name, ns string) (bool, string) {
	src, err := e.get(ctx, kind, srcNS, name)
	if err != nil {
		return false, "source: " + err.Error()
	}
	c, err := e.get(ctx, kind, ns, name)
	if err != nil {
		return false, "copy: " + err.Error()
	}
	labels := copiedLabels(src)
	switch {
	case !maps.Equal(c.Labels, labels):
		return false, fmt.Sprintf("labels %v, want %v", c.Labels, labels)
	case c.Annotations[mirror.AnnotationSource] != srcNS+"/"+name:
		return false, fmt.Sprintf("source annotation %q", c.Annotations[mirror.AnnotationSource])
	case c.Annotations[mirror.AnnotationContentHash] != mirror.Hash(src):
		return false, fmt.Sprintf("hash annotation %q, want %q", c.Annotations[mirror.AnnotationContentHash], mirror.Hash(src))
	case c.Immutable != src.Immutable:
		return false, fmt.Sprintf("immutable %v, want %v", c.Immutable, src.Immutable)
	case c.Type != src.Type:
		return false, fmt.Sprintf("type %q, want %q", c.Type, src.Type)
	case !maps.Equal(c.Data, src.Data):
		return false, fmt.Sprintf("data %v, want %v", c.Data, src.Data)
	case !maps.EqualFunc(c.BinaryData, src.BinaryData, func(a, b []byte) bool { return string(a) == string(b) }):
		return false, fmt.Sprintf("binary data differs (%d keys, want %d)", len(c.BinaryData), len(src.BinaryData))
	}
	return true, ""
}

// copiedLabels are the labels a copy of src carries: the mirror's own and
// GitOps tracking labels left off, as the scenarios about them assert
// literally.
func copiedLabels(src *mirror.Object) map[string]string {
	rules, _ := mirror.ParseLabelRules(src.Annotations)
	return rules.CopiedLabels(src.Labels)
}

// gone waits until no object kind/name stands in ns.
func (e *env) gone(t *testing.T, kind mirror.Kind, ns, name string) {
	t.Helper()
	e.eventually(t, fmt.Sprintf("%s %s/%s gone", kind, ns, name), func(ctx context.Context) (bool, string) {
		return e.absent(ctx, kind, ns, name)
	})
}

func (e *env) absent(ctx context.Context, kind mirror.Kind, ns, name string) (bool, string) {
	o, err := e.get(ctx, kind, ns, name)
	if apierrors.IsNotFound(err) {
		return true, ""
	}
	if err != nil {
		return false, err.Error()
	}
	return false, fmt.Sprintf("still there, from %q", o.Annotations[mirror.AnnotationSource])
}

// reported waits until the implementation reports the conflict.
func (e *env) reported(t *testing.T, reason mirror.Reason, kind mirror.Kind, ns, srcNS, name string) {
	t.Helper()
	e.eventually(t, fmt.Sprintf("%s conflict on %s %s/%s reported", reason, kind, ns, name), func(ctx context.Context) (bool, string) {
		return e.impl.conflict(ctx, string(reason), string(kind), ns, srcNS, name)
	})
}

// orphans lists the copies, anywhere, that name one of the given sources.
func (e *env) orphans(ctx context.Context, sources ...string) ([]string, error) {
	sel := metav1.ListOptions{LabelSelector: mirror.LabelCopy + "=true"}
	var out []string
	cms, err := e.client.CoreV1().ConfigMaps("").List(ctx, sel)
	if err != nil {
		return nil, err
	}
	secrets, err := e.client.CoreV1().Secrets("").List(ctx, sel)
	if err != nil {
		return nil, err
	}
	var objs []mirror.Object
	for i := range cms.Items {
		objs = append(objs, mirror.FromConfigMap(&cms.Items[i]))
	}
	for i := range secrets.Items {
		objs = append(objs, mirror.FromSecret(&secrets.Items[i]))
	}
	for _, o := range objs {
		for _, s := range sources {
			if o.Annotations[mirror.AnnotationSource] == s {
				out = append(out, o.Ref().String())
			}
		}
	}
	return out, nil
}

// copiesAnnotation waits for the source's copies annotation to read want.
func (e *env) copiesAnnotation(t *testing.T, kind mirror.Kind, ns, name, want string) {
	t.Helper()
	e.eventually(t, fmt.Sprintf("copies annotation of %s %s/%s", kind, ns, name), func(ctx context.Context) (bool, string) {
		o, err := e.get(ctx, kind, ns, name)
		if err != nil {
			return false, err.Error()
		}
		got := o.Annotations[mirror.AnnotationCopies]
		return got == want, fmt.Sprintf("%q, want %q", got, want)
	})
}
