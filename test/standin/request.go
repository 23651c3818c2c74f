package standin

import (
	"encoding/json"
	"maps"
	"slices"

	"github.com/hookops/hookops/hooks/metacontroller"
)

// compositeRequest is metacontroller.CompositeRequest as sent, its children
// and related objects encoded already.
type compositeRequest struct {
	Controller metacontroller.Object       `json:"controller"`
	Parent     metacontroller.Object       `json:"parent"`
	Children   metacontroller.RawObjectMap `json:"children"`
	Related    metacontroller.RawObjectMap `json:"related"`
	Finalizing bool                        `json:"finalizing"`
}

func (r *compositeRequest) appendJSON(b []byte) ([]byte, error) {
	return appendFields(b, []field{{"controller", r.Controller}, {"parent", r.Parent},
		{"children", r.Children}, {"related", r.Related}, {"finalizing", r.Finalizing}})
}

// decoratorRequest is metacontroller.DecoratorRequest as sent, its
// attachments and related objects encoded already.
type decoratorRequest struct {
	Controller  metacontroller.Object       `json:"controller"`
	Object      metacontroller.Object       `json:"object"`
	Attachments metacontroller.RawObjectMap `json:"attachments"`
	Related     metacontroller.RawObjectMap `json:"related"`
	Finalizing  bool                        `json:"finalizing"`
}

func (r *decoratorRequest) appendJSON(b []byte) ([]byte, error) {
	return appendFields(b, []field{{"controller", r.Controller}, {"object", r.Object},
		{"attachments", r.Attachments}, {"related", r.Related}, {"finalizing", r.Finalizing}})
}

// jsonAppender is a request that writes itself: json.Marshal would scan
// every encoded object again to compact it, a few milliseconds per sync of
// a namespace holding hundreds of objects.
type jsonAppender interface {
	appendJSON(b []byte) ([]byte, error)
}

type field struct {
	name  string
	value any
}

// appendFields writes a JSON object of fields in order, copying encoded
// objects as they are, into one buffer of their size rather than one grown
// and copied again and again.
func appendFields(b []byte, fields []field) ([]byte, error) {
	size := envelopeSize
	for _, f := range fields {
		if m, ok := f.value.(metacontroller.RawObjectMap); ok {
			size += rawSize(m)
		}
	}
	b = slices.Grow(b, size)
	b = append(b, '{')
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f.name)
		b = append(b, ':')
		if m, ok := f.value.(metacontroller.RawObjectMap); ok {
			b = appendRawMap(b, m)
			continue
		}
		v, err := json.Marshal(f.value)
		if err != nil {
			return nil, err
		}
		b = append(b, v...)
	}
	return append(b, '}'), nil
}

// appendRawMap writes m with its keys sorted, as json.Marshal would; a nil
// map, too, is written as {}, since Metacontroller always sends the type.
func appendRawMap(b []byte, m metacontroller.RawObjectMap) []byte {
	b = append(b, '{')
	for i, gk := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, gk)
		b = append(b, ':', '{')
		for j, key := range slices.Sorted(maps.Keys(m[gk])) {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(b, key)
			b = append(b, ':')
			b = append(b, m[gk][key]...)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// envelopeSize is room for what surrounds the objects: the controller, the
// parent and the keys.
const envelopeSize = 16 << 10

// rawSize is how many bytes m's objects take.
func rawSize(m metacontroller.RawObjectMap) int {
	n := 0
	for _, byKey := range m {
		for _, o := range byKey {
			n += len(o)
		}
	}
	return n
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}
