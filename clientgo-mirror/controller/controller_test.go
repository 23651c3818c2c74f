package controller_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/ptr"

	"github.com/hookops/hookops/clientgo-mirror/controller"
	"github.com/hookops/hookops/mirror"
)

func namespace(name string, accept bool) *corev1.Namespace {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if accept {
		ns.Labels = map[string]string{mirror.LabelAccept: "true"}
	}
	return ns
}

func source(ns, name, to string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
			Labels:      map[string]string{mirror.LabelEnabled: "true"},
			Annotations: map[string]string{mirror.AnnotationToNamespaces: to}},
		Data: map[string]string{"k": "v"},
	}
}

// run starts a controller on a fake clientset holding objs.
func run(t *testing.T, objs ...runtime.Object) (*fake.Clientset, *record.FakeRecorder, *prometheus.Registry) {
	t.Helper()
	client := fake.NewClientset(objs...)
	rec := record.NewFakeRecorder(100)
	reg := prometheus.NewRegistry()
	c, err := controller.New(client, controller.Options{Recorder: rec, Registerer: reg, ConflictRecheck: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		c.Shutdown()
	})
	return client, rec, reg
}

func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCopiesAndReportsClash(t *testing.T) {
	theirs := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "b", Name: "settings"}, Data: map[string]string{"mine": "yes"}}
	client, rec, reg := run(t, namespace("src", false), namespace("a", true), namespace("b", true), source("src", "settings", "a,b"), theirs)
	ctx := context.Background()

	eventually(t, "copy in a", func() bool {
		cm, err := client.CoreV1().ConfigMaps("a").Get(ctx, "settings", metav1.GetOptions{})
		return err == nil && cm.Data["k"] == "v" && cm.Labels[mirror.LabelCopy] == "true" && cm.Annotations[mirror.AnnotationSource] == "src/settings"
	})
	if event := nextEvent(t, rec, "Warning"); !strings.HasPrefix(event, "Warning Occupied ConfigMap b/settings") {
		t.Errorf("event %q", event)
	}
	cm, err := client.CoreV1().ConfigMaps("b").Get(ctx, "settings", metav1.GetOptions{})
	if err != nil || cm.Data["mine"] != "yes" || len(cm.Labels) != 0 {
		t.Errorf("the clashing object changed: %+v, %v", cm, err)
	}
	if n := counter(t, reg, "mirror_conflicts_total", "Occupied"); n < 1 {
		t.Errorf("mirror_conflicts_total{Occupied} = %v", n)
	}
	if n := counter(t, reg, "workqueue_adds_total", "mirror"); n < 1 {
		t.Errorf("workqueue_adds_total{mirror} = %v: the queue reports no metrics", n)
	}
}

// Where the copies stand is written on the source once, with an Event, and
// not again while nothing changes.
func TestCopiesAnnotation(t *testing.T) {
	theirs := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "b", Name: "settings"}, Data: map[string]string{"mine": "yes"}}
	client, rec, _ := run(t, namespace("src", false), namespace("a", true), namespace("b", true), source("src", "settings", "a,b"), theirs)
	ctx := context.Background()

	want := "current 1/2; blocked: b (a ConfigMap not made by the mirror)"
	eventually(t, "copies annotation", func() bool {
		cm, err := client.CoreV1().ConfigMaps("src").Get(ctx, "settings", metav1.GetOptions{})
		return err == nil && cm.Annotations[mirror.AnnotationCopies] == want
	})
	if event := nextEvent(t, rec, "Normal"); event != "Normal "+controller.ReasonCopiesChanged+" "+want {
		t.Errorf("event %q", event)
	}
	// The patch comes back as an update of the source, which is synced
	// again: the summary is the same, so nothing more is written.
	time.Sleep(500 * time.Millisecond)
	patches := 0
	for _, a := range client.Actions() {
		if a.GetVerb() == "patch" && a.GetNamespace() == "src" {
			patches++
		}
	}
	if patches != 1 {
		t.Errorf("%d patches of the source, want 1", patches)
	}
}

// nextEvent returns the next recorded Event of the given type.
func nextEvent(t *testing.T, rec *record.FakeRecorder, typ string) string {
	t.Helper()
	var event string
	eventually(t, typ+" event", func() bool {
		select {
		case event = <-rec.Events:
			return strings.HasPrefix(event, typ+" ")
		default:
			return false
		}
	})
	return event
}

// A copy whose source went while no controller ran is found by its label
// and removed; an object that merely shares the name is not.
func TestRemovesOrphansOnly(t *testing.T) {
	orphan := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "gone",
		Labels:      map[string]string{mirror.LabelCopy: "true"},
		Annotations: map[string]string{mirror.AnnotationSource: "src/gone"}}}
	lookalike := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "b", Name: "gone",
		Annotations: map[string]string{mirror.AnnotationSource: "src/gone"}}}
	client, _, _ := run(t, namespace("src", false), namespace("a", true), namespace("b", true), orphan, lookalike)
	ctx := context.Background()

	eventually(t, "orphan removed", func() bool {
		_, err := client.CoreV1().ConfigMaps("a").Get(ctx, "gone", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	if _, err := client.CoreV1().ConfigMaps("b").Get(ctx, "gone", metav1.GetOptions{}); err != nil {
		t.Errorf("the object without the copy label was deleted: %v", err)
	}
}

// counter reads a counter sample by the value of its one label; 0 when absent.
func counter(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == label {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// An immutable copy whose source now holds other content is deleted and
// created again, and the replacement is reported on the source.
func TestReplacesImmutableCopy(t *testing.T) {
	src := source("src", "settings", "a")
	src.Immutable = ptr.To(true)
	src.Data = map[string]string{"k": "new"}
	stale := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "settings", UID: "old-uid",
		Labels:      map[string]string{mirror.LabelCopy: "true"},
		Annotations: map[string]string{mirror.AnnotationSource: "src/settings"}},
		Data: map[string]string{"k": "old"}, Immutable: ptr.To(true)}
	client, rec, _ := run(t, namespace("src", false), namespace("a", true), src, stale)
	ctx := context.Background()

	eventually(t, "copy replaced", func() bool {
		cm, err := client.CoreV1().ConfigMaps("a").Get(ctx, "settings", metav1.GetOptions{})
		return err == nil && cm.Data["k"] == "new" && cm.Immutable != nil && *cm.Immutable
	})
	var event string
	eventually(t, "replacement event", func() bool {
		select {
		case event = <-rec.Events:
			return true
		default:
			return false
		}
	})
	if !strings.HasPrefix(event, "Normal ImmutableChanged ConfigMap a/settings") {
		t.Errorf("event %q", event)
	}
}
