package controller_test

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/hookops/hookops/mirror"
)

// selectorSource copies to the namespaces selector picks, and no others.
func selectorSource(ns, name, selector string) *mirror.Object {
	o := mirror.FromConfigMap(source(ns, name, ""))
	o.Annotations = map[string]string{mirror.AnnotationToNamespaceSelector: selector}
	return &o
}

func relabel(t *testing.T, client *fake.Clientset, ns, patch string) {
	t.Helper()
	if _, err := client.CoreV1().Namespaces().Patch(context.Background(), ns, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

// A namespace relabelled into or out of a source's selector gets or loses
// its copy on the namespace's event alone.
func TestSelectorFollowsNamespaceLabels(t *testing.T) {
	gold := namespace("a", true)
	gold.Labels["tier"] = "gold"
	client, _, _ := run(t, namespace("src", false), gold, namespace("b", true), selectorSource("src", "settings", "tier=gold").ConfigMap())
	ctx := context.Background()
	has := func(ns string) func() bool {
		return func() bool {
			_, err := client.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
			return err == nil
		}
	}
	gone := func(ns string) func() bool {
		return func() bool {
			_, err := client.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
			return apierrors.IsNotFound(err)
		}
	}
	eventually(t, "copy in the labelled namespace", has("a"))
	if !gone("b")() {
		t.Error("copy in a namespace the selector does not pick")
	}
	relabel(t, client, "b", `{"metadata":{"labels":{"tier":"gold"}}}`)
	eventually(t, "copy in the namespace relabelled to match", has("b"))
	relabel(t, client, "a", `{"metadata":{"labels":{"tier":"bronze"}}}`)
	eventually(t, "copy gone from the namespace relabelled away", gone("a"))
}

// A selector that does not parse is a Warning Event on the source and
// copies nothing; the copy it made before stays.
func TestInvalidSelectorReported(t *testing.T) {
	before := selectorSource("src", "settings", "tier=gold")
	c := mirror.Source{Object: *before}
	standing := c.CopyFor("a")
	broken := selectorSource("src", "settings", "tier in (gold")
	client, rec, reg := run(t, namespace("src", false), namespace("a", true), namespace("b", true), broken.ConfigMap(), standing.ConfigMap())

	var event string
	eventually(t, "invalid selector event", func() bool {
		select {
		case event = <-rec.Events:
			return true
		default:
			return false
		}
	})
	if !strings.HasPrefix(event, `Warning InvalidSelector ConfigMap src/settings: invalid mirror.hookops.dev/to-namespace-selector "tier in (gold"`) {
		t.Errorf("event %q", event)
	}
	if n := counter(t, reg, "mirror_conflicts_total", "InvalidSelector"); n < 1 {
		t.Errorf("mirror_conflicts_total{InvalidSelector} = %v", n)
	}
	ctx := context.Background()
	if _, err := client.CoreV1().ConfigMaps("a").Get(ctx, "settings", metav1.GetOptions{}); err != nil {
		t.Errorf("the copy made before was removed: %v", err)
	}
	if _, err := client.CoreV1().ConfigMaps("b").Get(ctx, "settings", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("copied despite the invalid selector: %v", err)
	}
}
