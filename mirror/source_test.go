package mirror_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hookops/hookops/mirror"
)

func TestParseSource(t *testing.T) {
	base := configMap("shared", "ca", 0, "team-*", nil)
	cases := []struct {
		name   string
		change func(o *mirror.Object)
		want   bool
	}{
		{"labelled and annotated", func(*mirror.Object) {}, true},
		{"label not true", func(o *mirror.Object) { o.Labels = map[string]string{mirror.LabelEnabled: "yes"} }, false},
		{"no label", func(o *mirror.Object) { o.Labels = nil }, false},
		{"no annotation", func(o *mirror.Object) { o.Annotations = nil }, false},
		{"blank annotation", func(o *mirror.Object) { o.Annotations = map[string]string{mirror.AnnotationToNamespaces: " , "} }, false},
		{"a copy", func(o *mirror.Object) {
			o.Labels = map[string]string{mirror.LabelEnabled: "true", mirror.LabelCopy: "true"}
		}, false},
		{"being deleted", func(o *mirror.Object) { now := metav1.Now(); o.DeletionTimestamp = &now }, false},
		{"opaque secret", func(o *mirror.Object) { o.Kind, o.Type = mirror.Secret, corev1.SecretTypeOpaque }, true},
		{"service account token", func(o *mirror.Object) { o.Kind, o.Type = mirror.Secret, corev1.SecretTypeServiceAccountToken }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := base
			o.ObjectMeta = *base.DeepCopy()
			c.change(&o)
			if _, got := mirror.ParseSource(o); got != c.want {
				t.Errorf("ParseSource = %v, want %v", got, c.want)
			}
		})
	}
}

func TestWants(t *testing.T) {
	src := source(configMap("shared", "ca", 0, "team-*, shared, ops", nil))
	cases := []struct {
		name string
		ns   mirror.Namespace
		want bool
	}{
		{"accepting and matching", accepting("team-a")[0], true},
		{"accepting, exact name", accepting("ops")[0], true},
		{"not matching", accepting("dev")[0], false},
		{"the source's own namespace, even when listed", accepting("shared")[0], false},
		{"not accepting", mirror.Namespace{Name: "team-a"}, false},
		{"accept label not true", mirror.Namespace{Name: "team-a", Labels: map[string]string{mirror.LabelAccept: "false"}}, false},
		{"terminating", mirror.Namespace{Name: "team-a", Labels: map[string]string{mirror.LabelAccept: "true"}, Terminating: true}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := src.Wants(c.ns); got != c.want {
				t.Errorf("Wants(%+v) = %v, want %v", c.ns, got, c.want)
			}
		})
	}
}

func TestNamespaceFrom(t *testing.T) {
	now := metav1.Now()
	cases := []struct {
		name string
		ns   corev1.Namespace
		want bool
	}{
		{"active", corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{mirror.LabelAccept: "true"}}}, true},
		{"deleting", corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{mirror.LabelAccept: "true"}, DeletionTimestamp: &now}}, false},
		{"terminating phase", corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{mirror.LabelAccept: "true"}}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}}, false},
	}
	for _, c := range cases {
		if got := mirror.NamespaceFrom(&c.ns).Accepts(); got != c.want {
			t.Errorf("%s: Accepts = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestClaimants(t *testing.T) {
	older := source(configMap("zz", "ca", 0, "*", nil))
	newer := source(configMap("aa", "ca", 10, "*", nil))
	sameAgeB := source(configMap("bb", "ca", 10, "*", nil))
	elsewhere := source(configMap("cc", "ca", 0, "other", nil))
	ns := accepting("team-a")[0]

	got := mirror.Claimants([]mirror.Source{newer, elsewhere, sameAgeB, older}, ns)
	var names []string
	for _, s := range got {
		names = append(names, s.Namespace)
	}
	want := []string{"zz", "aa", "bb"} // oldest first, then by namespace
	if len(names) != len(want) {
		t.Fatalf("claimants %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("claimants %v, want %v", names, want)
		}
	}
	if mirror.Claimants([]mirror.Source{older}, mirror.Namespace{Name: "team-a"}) != nil {
		t.Error("a namespace that does not accept has claimants")
	}
}
