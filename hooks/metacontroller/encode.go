package metacontroller

import (
	"encoding/json"
	"io"
)

// Encode writes a hook response. Nil object lists are written as [] rather
// than null: Metacontroller reads a missing children or attachments list as
// "delete them all", so the intent must be explicit either way.
func Encode(w io.Writer, v any) error {
	switch r := v.(type) {
	case *CompositeResponse:
		if r.Children == nil {
			c := *r
			c.Children = []Object{}
			v = &c
		}
	case *DecoratorResponse:
		if r.Attachments == nil {
			c := *r
			c.Attachments = []Object{}
			v = &c
		}
	case *CustomizeResponse:
		if r.RelatedResources == nil {
			c := *r
			c.RelatedResources = []RelatedResourceRule{}
			v = &c
		}
	}
	return json.NewEncoder(w).Encode(v)
}
