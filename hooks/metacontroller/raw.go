package metacontroller

import (
	"encoding/json"
	"io"
)

// RawObjectMap is an ObjectMap whose objects are kept as sent. A hook that
// reads hundreds of objects into typed values decodes each once from its
// bytes, instead of into the generic form first and through JSON again.
type RawObjectMap map[string]map[string]json.RawMessage

// All returns the objects of one type as sent, in no particular order.
func (m RawObjectMap) All(kind, apiVersion string) []json.RawMessage {
	byKey := m[GroupKind(kind, apiVersion)]
	out := make([]json.RawMessage, 0, len(byKey))
	for _, o := range byKey {
		out = append(out, o)
	}
	return out
}

// RawDecoratorRequest is a DecoratorRequest whose attachments and related
// objects are left as sent (see RawObjectMap).
type RawDecoratorRequest struct {
	Controller  Object       `json:"controller"`
	Object      Object       `json:"object"`
	Attachments RawObjectMap `json:"attachments"`
	Related     RawObjectMap `json:"related"`
	Finalizing  bool         `json:"finalizing"`
}

// Subject returns the decorated object.
func (r *RawDecoratorRequest) Subject() Object { return r.Object }

// DecodeRawDecorator reads and validates a DecoratorController sync or
// finalize request, leaving its attachments and related objects as sent.
func DecodeRawDecorator(r io.Reader) (*RawDecoratorRequest, error) {
	req := new(RawDecoratorRequest)
	if err := withBody(r, func(body []byte) error { return unmarshalRaw(body, req) }); err != nil {
		return nil, err
	}
	return req, checkObject("object", req.Object)
}
