package metacontroller

import (
	"context"
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CustomizeRequest is the body of a customize hook call, for Composite- and
// DecoratorControllers alike (a decorator's target object is sent as parent).
type CustomizeRequest struct {
	Controller Object `json:"controller"`
	Parent     Object `json:"parent"`

	parentJSON []byte
}

// CustomizeResponse tells Metacontroller which other objects to send to sync
// and finalize under "related".
type CustomizeResponse struct {
	RelatedResources []RelatedResourceRule `json:"relatedResources"`
}

// RelatedResourceRule selects related objects of one resource type. With
// hook version v1 and a namespaced parent, Metacontroller only looks in the
// parent's namespace, whatever Namespace says.
type RelatedResourceRule struct {
	APIVersion    string                `json:"apiVersion"`
	Resource      string                `json:"resource"`
	LabelSelector *metav1.LabelSelector `json:"labelSelector,omitempty"`
	Namespace     string                `json:"namespace,omitempty"`
	Names         []string              `json:"names,omitempty"`
}

// CompositeRequest is the body of a CompositeController sync or finalize call.
type CompositeRequest struct {
	Controller Object    `json:"controller"`
	Parent     Object    `json:"parent"`
	Children   ObjectMap `json:"children"`
	Related    ObjectMap `json:"related"`
	Finalizing bool      `json:"finalizing"`

	parentJSON []byte
}

// CompositeResponse is what a CompositeController hook answers. Status
// replaces the parent's status (nil leaves only observedGeneration);
// Children is the full desired set (an empty list deletes every child).
type CompositeResponse struct {
	Status             any      `json:"status"`
	Children           []Object `json:"children"`
	ResyncAfterSeconds float64  `json:"resyncAfterSeconds,omitempty"`
	Finalized          bool     `json:"finalized,omitempty"`
}

// DecoratorRequest is the body of a DecoratorController sync or finalize call.
type DecoratorRequest struct {
	Controller  Object    `json:"controller"`
	Object      Object    `json:"object"`
	Attachments ObjectMap `json:"attachments"`
	Related     ObjectMap `json:"related"`
	Finalizing  bool      `json:"finalizing"`
}

// DecoratorResponse is what a DecoratorController hook answers. A nil value
// in Labels or Annotations removes that key from the target.
type DecoratorResponse struct {
	Labels             map[string]*string `json:"labels,omitempty"`
	Annotations        map[string]*string `json:"annotations,omitempty"`
	Status             any                `json:"status,omitempty"`
	Attachments        []Object           `json:"attachments"`
	ResyncAfterSeconds float64            `json:"resyncAfterSeconds,omitempty"`
	Finalized          bool               `json:"finalized,omitempty"`
}

// The hook functions a controller implements. Each is a pure function of the
// request (plus whatever the outside world answers); the server does the HTTP.
type (
	CustomizeHook func(context.Context, *CustomizeRequest) (*CustomizeResponse, error)
	CompositeHook func(context.Context, *CompositeRequest) (*CompositeResponse, error)
	DecoratorHook func(context.Context, *DecoratorRequest) (*DecoratorResponse, error)
)

// Subject returns the object a request is about: the parent, or for a
// decorator the target object. Used to label logs, spans and metrics.
func (r *CustomizeRequest) Subject() Object { return r.Parent }

// Subject returns the parent.
func (r *CompositeRequest) Subject() Object { return r.Parent }

// ParentInto decodes the parent into a typed value, from the bytes it was
// sent as when the request was decoded here.
func (r *CustomizeRequest) ParentInto(v any) error { return into(r.parentJSON, r.Parent, v) }

// ParentInto decodes the parent into a typed value, from the bytes it was
// sent as when the request was decoded here.
func (r *CompositeRequest) ParentInto(v any) error { return into(r.parentJSON, r.Parent, v) }

func into(sent []byte, o Object, v any) error {
	if sent == nil {
		return o.Into(v)
	}
	return json.Unmarshal(sent, v)
}

// Subject returns the decorated object.
func (r *DecoratorRequest) Subject() Object { return r.Object }
