package mirrorhooks

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hookops/hookops/hooks/metacontroller"
	"github.com/hookops/hookops/mirror"
)

// decoratorAnnotation is how Metacontroller marks the attachments of a
// DecoratorController; with a controller reference to the target it makes
// an object Metacontroller's to update and delete.
const decoratorAnnotation = "metacontroller.k8s.io/decorator-controller"

// Sync returns the copies that should stand in the namespace and records
// the conflicts on it (removing the annotation when there are none).
func (h *Hooks) Sync(ctx context.Context, req *metacontroller.RawDecoratorRequest) (*metacontroller.DecoratorResponse, error) {
	if req.Finalizing {
		return h.Finalize(ctx, req)
	}
	ns, err := namespace(req.Object)
	if err != nil {
		return nil, err
	}
	in, err := planInputOf(req, ns.Name)
	if err != nil {
		return nil, err
	}
	plan := mirror.PlanNamespace(ns, in.sources, in.standing, in.ours)
	for _, c := range plan.Conflicts {
		h.Log.DebugContext(ctx, "mirror conflict", "namespace", ns.Name, "reason", c.Reason, "target", c.Target.String(), "source", c.Source.String())
	}
	// A replaced immutable copy is absent for one sync, not a conflict, so
	// it is reported in the log rather than on the namespace, where it
	// would flap in and out of the conflicts annotation.
	for _, r := range plan.Replaced {
		h.Log.InfoContext(ctx, "immutable copy replaced", "namespace", ns.Name, "reason", r.Reason, "target", r.Target.String(), "source", r.Source.String(), "detail", r.String())
	}
	// A source cannot be written from here (it is a related object), so
	// one that cannot be read is reported on every accepting namespace,
	// where the conflicts are: its selector cannot tell which of them it
	// was meant for.
	resp := &metacontroller.DecoratorResponse{
		Annotations: map[string]*string{mirror.AnnotationConflicts: mirror.ConflictsAnnotation(plan.Conflicts, plan.Invalid...)},
		Attachments: make([]metacontroller.Object, 0, len(plan.Copies)),
	}
	for i := range plan.Copies {
		resp.Attachments = append(resp.Attachments, attachment(&plan.Copies[i]))
	}
	return resp, nil
}

// Finalize runs when the namespace stops accepting copies or is deleted:
// no attachments, so Metacontroller deletes the copies it owns, and no
// conflicts. It is done once no copy is left.
func (h *Hooks) Finalize(_ context.Context, req *metacontroller.RawDecoratorRequest) (*metacontroller.DecoratorResponse, error) {
	if _, err := namespace(req.Object); err != nil {
		return nil, err
	}
	left := len(req.Attachments.All(string(mirror.ConfigMap), "v1")) + len(req.Attachments.All(string(mirror.Secret), "v1"))
	return &metacontroller.DecoratorResponse{
		Annotations: map[string]*string{mirror.AnnotationConflicts: nil},
		Attachments: []metacontroller.Object{},
		Finalized:   left == 0,
	}, nil
}

// checkNamespace refuses a request about anything but a Namespace: the
// DecoratorController was pointed at the wrong resource.
func checkNamespace(o metacontroller.Object) error {
	if o.Kind() != "Namespace" {
		return &metacontroller.RequestError{Msg: "the mirror decorates Namespaces, got a " + o.Kind()}
	}
	return nil
}

func namespace(o metacontroller.Object) (mirror.Namespace, error) {
	if err := checkNamespace(o); err != nil {
		return mirror.Namespace{}, err
	}
	var ns corev1.Namespace
	if err := o.Into(&ns); err != nil {
		return mirror.Namespace{}, &metacontroller.RequestError{Msg: "object is not a valid Namespace: " + err.Error()}
	}
	return mirror.NamespaceFrom(&ns), nil
}

// planInput is a sync request in the planner's terms.
type planInput struct {
	sources  []mirror.Source
	standing map[mirror.Ref]*mirror.Object
	owned    map[mirror.Ref]bool
	nsUID    string
	name     string // the DecoratorController's name
}

func planInputOf(req *metacontroller.RawDecoratorRequest, ns string) (*planInput, error) {
	in := &planInput{
		standing: map[mirror.Ref]*mirror.Object{},
		owned:    map[mirror.Ref]bool{},
		nsUID:    req.Object.UID(),
		name:     req.Controller.Name(),
	}
	for _, kind := range []mirror.Kind{mirror.ConfigMap, mirror.Secret} {
		// Every attachment is also among the related objects, as the same
		// bytes unless it changed between Metacontroller's two reads:
		// those are decoded once.
		attached := map[string]*mirror.Object{}
		for _, raw := range req.Attachments.All(string(kind), "v1") {
			o, err := reduceRaw(kind, raw)
			if err != nil {
				return nil, err
			}
			in.standing[o.Ref()] = &o
			in.owned[o.Ref()] = true
			attached[string(raw)] = &o
		}
		for _, raw := range req.Related.All(string(kind), "v1") {
			o, ok := attached[string(raw)]
			if !ok {
				r, err := reduceRaw(kind, raw)
				if err != nil {
					return nil, err
				}
				o = &r
			}
			if s, ok := mirror.ParseSource(*o); ok {
				in.sources = append(in.sources, s)
			}
			// Attachments win over related objects of the same name: they
			// are what Metacontroller will compare our answer with.
			if o.Namespace == ns && !in.owned[o.Ref()] {
				in.standing[o.Ref()] = o
			}
		}
	}
	return in, nil
}

// ours says whether Metacontroller already owns o as an attachment of this
// namespace, by the request's attachments or, when its informers lag, by the
// same marks Metacontroller itself checks.
func (in *planInput) ours(o *mirror.Object) bool {
	if in.owned[o.Ref()] {
		return true
	}
	ref := metav1.GetControllerOfNoCopy(o)
	return ref != nil && string(ref.UID) == in.nsUID && o.Annotations[decoratorAnnotation] == in.name
}

// reduceRaw reads a requested object, as sent, into the planner's form:
// once, straight into its type, which refuses a number where a string
// belongs. A malformed object must be refused, never copied with other
// content.
func reduceRaw(kind mirror.Kind, raw json.RawMessage) (mirror.Object, error) {
	switch kind {
	case mirror.ConfigMap:
		var cm corev1.ConfigMap
		if err := metacontroller.DecodeObject(raw, &cm); err != nil {
			return mirror.Object{}, invalid(kind, cm.ObjectMeta, err)
		}
		return mirror.FromConfigMap(&cm), nil
	default:
		var s corev1.Secret
		if err := metacontroller.DecodeObject(raw, &s); err != nil {
			return mirror.Object{}, invalid(kind, s.ObjectMeta, err)
		}
		return mirror.FromSecret(&s), nil
	}
}

// reduce is reduceRaw for an object in its generic form. It goes through
// JSON, rather than the faster unstructured converter, because that
// accepts a number where a string belongs (as a rune).
func reduce(kind mirror.Kind, o metacontroller.Object) (mirror.Object, error) {
	raw, err := json.Marshal(o)
	if err != nil {
		return mirror.Object{}, &metacontroller.RequestError{Msg: fmt.Sprintf("%s %s/%s is not valid", kind, o.Namespace(), o.Name())}
	}
	return reduceRaw(kind, raw)
}

// invalid reports a malformed object; for a Secret never the error's
// text, which could quote its data.
func invalid(kind mirror.Kind, meta metav1.ObjectMeta, err error) error {
	if kind == mirror.Secret {
		return &metacontroller.RequestError{Msg: fmt.Sprintf("Secret %s/%s is not valid", meta.Namespace, meta.Name)}
	}
	return &metacontroller.RequestError{Msg: fmt.Sprintf("%s %s/%s is not valid: %v", kind, meta.Namespace, meta.Name, err)}
}

// attachment renders a copy with only the fields the mirror manages, so
// that Metacontroller's apply neither claims nor resets anything else.
func attachment(o *mirror.Object) metacontroller.Object {
	out := metacontroller.Object{
		"apiVersion": "v1",
		"kind":       string(o.Kind),
		"metadata": map[string]any{
			"name":        o.Name,
			"namespace":   o.Namespace,
			"labels":      generic(o.Labels),
			"annotations": generic(o.Annotations),
		},
	}
	if o.Immutable {
		out["immutable"] = true
	}
	switch o.Kind {
	case mirror.ConfigMap:
		out["data"] = generic(o.Data)
		if len(o.BinaryData) > 0 {
			out["binaryData"] = encode(o.BinaryData)
		}
	case mirror.Secret:
		out["type"] = string(o.Type)
		out["data"] = encode(o.BinaryData)
	}
	return out
}

// generic gives string maps the JSON shape that metacontroller.Object's
// accessors read; a nil map becomes empty, so it is written as {}.
func generic(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func encode(m map[string][]byte) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = base64.StdEncoding.EncodeToString(v)
	}
	return out
}
