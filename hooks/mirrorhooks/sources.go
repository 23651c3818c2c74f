package mirrorhooks

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hookops/hookops/hooks/metacontroller"
	"github.com/hookops/hookops/mirror"
)

// The hooks of the mirror-sources DecoratorController, which decorates the
// sources themselves: it adds nothing to them but their copies annotation,
// which says where their copies stand. Copies are still written only by the
// mirror DecoratorController on Namespaces; this one reads.

// CustomizeSource asks for every accepting Namespace and for every object of the
// source's kind and name in any namespace (hook version v2 lets a namespaced
// parent see other namespaces): the rival sources, the copies, and whatever
// else stands where a copy would go. The answer depends only on the
// source's kind and name, which never change, so Metacontroller's cached
// answer never goes stale.
func (h *Hooks) CustomizeSource(_ context.Context, req *metacontroller.CustomizeRequest) (*metacontroller.CustomizeResponse, error) {
	kind, err := sourceKind(req.Parent)
	if err != nil {
		return nil, err
	}
	return &metacontroller.CustomizeResponse{RelatedResources: []metacontroller.RelatedResourceRule{
		{APIVersion: "v1", Resource: "namespaces", LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{mirror.LabelAccept: "true"}}},
		{APIVersion: "v1", Resource: resourceOf(kind), Names: []string{req.Parent.Name()}},
	}}, nil
}

// SyncSource sets the source's copies annotation, judged from what stands
// in each namespace the way the Namespace hooks judge it; a ConfigMap or
// Secret that is not (or no longer) a source has it removed.
func (h *Hooks) SyncSource(_ context.Context, req *metacontroller.DecoratorRequest) (*metacontroller.DecoratorResponse, error) {
	kind, err := sourceKind(req.Object)
	if err != nil {
		return nil, err
	}
	parent, err := reduce(kind, req.Object)
	if err != nil {
		return nil, err
	}
	resp := &metacontroller.DecoratorResponse{
		Annotations: map[string]*string{mirror.AnnotationCopies: nil},
		Attachments: []metacontroller.Object{},
	}
	src, ok := mirror.ParseSource(parent)
	if req.Finalizing || !ok {
		return resp, nil
	}
	var namespaces []mirror.Namespace
	for _, raw := range req.Related.All("Namespace", "v1") {
		var ns corev1.Namespace
		if err := raw.Into(&ns); err != nil {
			return nil, &metacontroller.RequestError{Msg: "related Namespace " + raw.Name() + " is not valid: " + err.Error()}
		}
		namespaces = append(namespaces, mirror.NamespaceFrom(&ns))
	}
	sources := []mirror.Source{src}
	standing := map[string]*mirror.Object{}
	for _, raw := range req.Related.All(string(kind), "v1") {
		o, err := reduce(kind, raw)
		if err != nil {
			return nil, err
		}
		if o.Ref() == src.Ref() {
			continue
		}
		if s, ok := mirror.ParseSource(o); ok {
			sources = append(sources, s)
		}
		standing[o.Namespace] = &o
	}
	summary := mirror.StatusFromStanding(src, sources, namespaces, standing, attachedToNamespace).Summary()
	resp.Annotations[mirror.AnnotationCopies] = &summary
	return resp, nil
}

// attachedToNamespace reports whether Metacontroller holds o as an
// attachment of its namespace: what makes a copy the Namespace hooks' own.
func attachedToNamespace(o *mirror.Object) bool {
	ref := metav1.GetControllerOfNoCopy(o)
	return ref != nil && ref.Kind == "Namespace" && ref.Name == o.Namespace && o.Annotations[decoratorAnnotation] != ""
}

// sourceKind refuses a request about anything but a ConfigMap or Secret:
// the DecoratorController was pointed at the wrong resource.
func sourceKind(o metacontroller.Object) (mirror.Kind, error) {
	switch k := mirror.Kind(o.Kind()); k {
	case mirror.ConfigMap, mirror.Secret:
		return k, nil
	}
	return "", &metacontroller.RequestError{Msg: "mirror-sources decorates ConfigMaps and Secrets, got a " + o.Kind()}
}

func resourceOf(kind mirror.Kind) string {
	if kind == mirror.Secret {
		return "secrets"
	}
	return "configmaps"
}
