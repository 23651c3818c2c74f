package mirrorhooks

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hookops/hookops/hooks/metacontroller"
	"github.com/hookops/hookops/mirror"
)

// Customize asks for every source in the cluster (by label) and for every
// ConfigMap and Secret in the target namespace, which is where a copy could
// clash with an object that is not ours.
//
// Asking for the target namespace's objects by name would be cheaper, but
// the names are those of the sources, which customize cannot know: its
// request holds only the Namespace, and Metacontroller keeps its answer per
// object generation, which Namespaces do not have. An answer derived from
// anything but the Namespace itself would go stale, and a clash that goes
// unseen is an object overwritten.
func (h *Hooks) Customize(_ context.Context, req *metacontroller.CustomizeRequest) (*metacontroller.CustomizeResponse, error) {
	if err := checkNamespace(req.Parent); err != nil {
		return nil, err
	}
	sources := &metav1.LabelSelector{MatchLabels: map[string]string{mirror.LabelEnabled: "true"}}
	ns := req.Parent.Name()
	return &metacontroller.CustomizeResponse{RelatedResources: []metacontroller.RelatedResourceRule{
		{APIVersion: "v1", Resource: "configmaps", LabelSelector: sources},
		{APIVersion: "v1", Resource: "secrets", LabelSelector: sources},
		{APIVersion: "v1", Resource: "configmaps", Namespace: ns},
		{APIVersion: "v1", Resource: "secrets", Namespace: ns},
	}}, nil
}
