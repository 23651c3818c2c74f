package testkit

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
)

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// Condition is the condition of type typ in obj's status.conditions; nil
// when obj has none of that type.
func Condition(obj *unstructured.Unstructured, typ string) map[string]any {
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		if c, ok := c.(map[string]any); ok && c["type"] == typ {
			return c
		}
	}
	return nil
}

// ConditionStatus is the status ("True", "False", "Unknown") of obj's
// condition of type typ; "" when obj has none.
func ConditionStatus(obj *unstructured.Unstructured, typ string) string {
	s, _ := Condition(obj, typ)["status"].(string)
	return s
}

// WaitEstablished waits until ctx ends for the CRD name to be Established,
// and fails at once if the API server refuses its names.
func WaitEstablished(ctx context.Context, dyn dynamic.Interface, name string) error {
	var last any = "(none read)"
	err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		crd, err := dyn.Resource(crdResource).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		last, _, _ = unstructured.NestedSlice(crd.Object, "status", "conditions")
		if ConditionStatus(crd, "NamesAccepted") == "False" {
			return false, fmt.Errorf("names not accepted: %v", Condition(crd, "NamesAccepted")["message"])
		}
		return ConditionStatus(crd, "Established") == "True", nil
	})
	if err != nil {
		return fmt.Errorf("wait for CRD %s to be established (conditions %v): %w", name, last, err)
	}
	return nil
}
