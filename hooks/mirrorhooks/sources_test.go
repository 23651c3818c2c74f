package mirrorhooks_test

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/hookops/hookops/hooks/metacontroller"
	"github.com/hookops/hookops/hooks/mirrorhooks"
	"github.com/hookops/hookops/mirror"
)

// related builds a v2 related ObjectMap of any kinds.
func related(t *testing.T, objs ...any) metacontroller.ObjectMap {
	m := metacontroller.ObjectMap{}
	for _, v := range objs {
		o := object(t, v)
		gk := metacontroller.GroupKind(o.Kind(), o.APIVersion())
		if m[gk] == nil {
			m[gk] = map[string]metacontroller.Object{}
		}
		m[gk][metacontroller.Key(metacontroller.V2, "", o.Namespace(), o.Name())] = o
	}
	return m
}

func acceptingNamespace(name string) *corev1.Namespace {
	return &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: name, Labels: accept}}
}

func TestSyncSource(t *testing.T) {
	ca := sourceConfigMap("shared", "ca", "team-*", map[string]string{"ca.crt": "PEM"})
	current := attached(copyOf(ca)) // in team-a
	foreignB := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "ca"}}
	notSource := sourceConfigMap("shared", "ca", "", nil)

	cases := []struct {
		name    string
		parent  *corev1.ConfigMap
		related []any
		want    *string
	}{
		{
			name:    "current, blocked and pending namespaces",
			parent:  ca,
			related: []any{acceptingNamespace("team-a"), acceptingNamespace("team-b"), acceptingNamespace("team-c"), current, foreignB},
			want:    ptr.To("current 1/3; blocked: team-b (a ConfigMap not made by the mirror); pending: team-c"),
		},
		{
			name:    "no longer a source: the annotation goes",
			parent:  notSource,
			related: []any{acceptingNamespace("team-a")},
			want:    nil,
		},
	}
	hooks := mirrorhooks.New()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := hooks.SyncSource(context.Background(), &metacontroller.DecoratorRequest{
				Controller: controller(t), Object: object(t, c.parent), Related: related(t, append(c.related, c.parent)...),
			})
			if err != nil {
				t.Fatal(err)
			}
			got, ok := resp.Annotations[mirror.AnnotationCopies]
			switch {
			case !ok:
				t.Error("the copies annotation is neither set nor removed")
			case (got == nil) != (c.want == nil) || got != nil && *got != *c.want:
				t.Errorf("copies annotation %v, want %v", deref(got), deref(c.want))
			}
			if resp.Attachments == nil {
				t.Error("attachments are null, want []")
			}
		})
	}
}

func TestCustomizeSource(t *testing.T) {
	hooks := mirrorhooks.New()
	ca := sourceConfigMap("shared", "ca", "*", nil)
	resp, err := hooks.CustomizeSource(context.Background(), &metacontroller.CustomizeRequest{Parent: object(t, ca)})
	if err != nil {
		t.Fatal(err)
	}
	rules := resp.RelatedResources
	if len(rules) != 2 || rules[0].Resource != "namespaces" || rules[1].Resource != "configmaps" || len(rules[1].Names) != 1 || rules[1].Names[0] != "ca" || rules[1].Namespace != "" {
		t.Errorf("related rules %+v", rules)
	}
	_, err = hooks.CustomizeSource(context.Background(), &metacontroller.CustomizeRequest{Parent: targetNamespace(t, accept)})
	var reqErr *metacontroller.RequestError
	if !errors.As(err, &reqErr) {
		t.Errorf("a Namespace parent: %v, want a request error", err)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
