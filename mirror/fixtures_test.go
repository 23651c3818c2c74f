package mirror_test

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hookops/hookops/mirror"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// configMap is a ConfigMap source in ns, created age seconds after epoch,
// copying to the given patterns.
func configMap(ns, name string, age int, to string, data map[string]string) mirror.Object {
	return mirror.Object{
		Kind: mirror.ConfigMap,
		ObjectMeta: metav1.ObjectMeta{
			Namespace:         ns,
			Name:              name,
			CreationTimestamp: metav1.NewTime(epoch.Add(time.Duration(age) * time.Second)),
			Labels:            map[string]string{mirror.LabelEnabled: "true", "app": "web"},
			Annotations:       map[string]string{mirror.AnnotationToNamespaces: to, "note": "not copied"},
		},
		Data: data,
	}
}

func secret(ns, name string, age int, to string, typ corev1.SecretType, data map[string][]byte) mirror.Object {
	return mirror.Object{
		Kind: mirror.Secret,
		ObjectMeta: metav1.ObjectMeta{
			Namespace:         ns,
			Name:              name,
			CreationTimestamp: metav1.NewTime(epoch.Add(time.Duration(age) * time.Second)),
			Labels:            map[string]string{mirror.LabelEnabled: "true"},
			Annotations:       map[string]string{mirror.AnnotationToNamespaces: to},
		},
		Type:       typ,
		BinaryData: data,
	}
}

func source(o mirror.Object) mirror.Source {
	s, ok := mirror.ParseSource(o)
	if !ok {
		panic("not a source: " + o.Ref().String())
	}
	return s
}

func accepting(names ...string) []mirror.Namespace {
	out := make([]mirror.Namespace, len(names))
	for i, n := range names {
		out[i] = mirror.Namespace{Name: n, Labels: map[string]string{mirror.LabelAccept: "true"}}
	}
	return out
}

// foreign is an object nobody mirrored.
func foreign(kind mirror.Kind, ns, name string) *mirror.Object {
	return &mirror.Object{Kind: kind, ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string]string{"mine": "yes"}}
}

func copyIn(s mirror.Source, ns string) *mirror.Object {
	c := s.CopyFor(ns)
	return &c
}
