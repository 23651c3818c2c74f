package mirror

import (
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BenchmarkPlanSource plans a 256 KiB ConfigMap whose copies already stand
// in 500 accepting namespaces: the steady state of every resync.
func BenchmarkPlanSource(b *testing.B) {
	const namespaces = 500
	src, ok := ParseSource(Object{
		Kind: ConfigMap,
		ObjectMeta: metav1.ObjectMeta{Namespace: "platform", Name: "ca-bundle",
			Labels:      map[string]string{LabelEnabled: "true"},
			Annotations: map[string]string{AnnotationToNamespaces: "*"}},
		Data: map[string]string{"ca.crt": strings.Repeat("x", 256<<10)},
	})
	if !ok {
		b.Fatal("not a source")
	}
	var nss []Namespace
	standing := map[string]*Object{}
	for i := range namespaces {
		ns := Namespace{Name: fmt.Sprintf("team-%d", i), Labels: map[string]string{LabelAccept: "true"}}
		nss = append(nss, ns)
		c := src.CopyFor(ns.Name)
		standing[ns.Name] = &c
	}
	b.ReportAllocs()
	for b.Loop() {
		if p := PlanSource(src.Ref(), []Source{src}, nss, standing); len(p.Steps)+len(p.Conflicts) != 0 {
			b.Fatalf("plan for copies that are up to date: %+v", p)
		}
	}
}
