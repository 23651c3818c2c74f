package metacontroller

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// RequestError is a hook request that cannot be served as sent: the caller's
// fault, answered with a 4xx. Its message names the problem and never echoes
// the body (which may hold Secret data).
type RequestError struct{ Msg string }

func (e *RequestError) Error() string { return e.Msg }

func badRequest(format string, args ...any) error {
	return &RequestError{Msg: fmt.Sprintf(format, args...)}
}

// DecodeCustomize reads and validates a customize request.
func DecodeCustomize(r io.Reader) (*CustomizeRequest, error) {
	var w struct {
		CustomizeRequest
		Parent json.RawMessage `json:"parent"`
	}
	if err := decode(r, &w); err != nil {
		return nil, err
	}
	return &w.CustomizeRequest, keepParent(&w.CustomizeRequest.Parent, &w.CustomizeRequest.parentJSON, w.Parent)
}

// DecodeComposite reads and validates a CompositeController sync or finalize request.
func DecodeComposite(r io.Reader) (*CompositeRequest, error) {
	var w struct {
		CompositeRequest
		Parent json.RawMessage `json:"parent"`
	}
	if err := decode(r, &w); err != nil {
		return nil, err
	}
	return &w.CompositeRequest, keepParent(&w.CompositeRequest.Parent, &w.CompositeRequest.parentJSON, w.Parent)
}

// DecodeDecorator reads and validates a DecoratorController sync or finalize request.
func DecodeDecorator(r io.Reader) (*DecoratorRequest, error) {
	req := new(DecoratorRequest)
	if err := decode(r, req); err != nil {
		return nil, err
	}
	return req, checkObject("object", req.Object)
}

// keepParent decodes the parent as sent into its generic form and keeps
// the bytes too, so that a hook reads it into its typed form (ParentInto)
// without encoding it again.
func keepParent(dst *Object, raw *[]byte, sent json.RawMessage) error {
	if err := decodeObject(sent, dst); err != nil {
		return err
	}
	*raw = sent
	return checkObject("parent", *dst)
}

func decodeObject(sent json.RawMessage, dst *Object) error {
	if len(sent) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(sent))
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return badRequest("field \"parent\" must be an object: %s", err.Error())
	}
	return nil
}

// decode parses exactly one JSON value, keeping numbers exact, and turns
// encoding/json's errors into messages a caller can act on. Errors from the
// reader itself (a body over the size limit, a broken connection) are
// returned wrapped, for the caller to classify.
func decode(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return describe(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil && !isJSONError(err) {
			return fmt.Errorf("read request body: %w", err)
		}
		return badRequest("request body has data after the JSON object")
	}
	return nil
}

func isJSONError(err error) bool {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	return errors.As(err, &syntax) || errors.As(err, &typ)
}

func describe(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return badRequest("request body is empty; expected a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("request body is truncated JSON")
	case errors.As(err, &syntax):
		return badRequest("request body is not valid JSON at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.As(err, &typ):
		// Requests decoded beside their raw parent name the embedded
		// request type first.
		field := strings.TrimPrefix(strings.TrimPrefix(typ.Field, "CompositeRequest."), "CustomizeRequest.")
		if field == "" {
			return badRequest("request body must be a JSON object, got %s", typ.Value)
		}
		return badRequest("field %q must be %s, got %s", field, jsonType(typ.Type.Kind().String()), typ.Value)
	default:
		return fmt.Errorf("read request body: %w", err)
	}
}

func jsonType(goKind string) string {
	switch goKind {
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "bool":
		return "a boolean"
	case "string":
		return "a string"
	case "float64", "int", "int64":
		return "a number"
	}
	return goKind
}

// checkObject insists on the parts of an object every hook relies on.
func checkObject(field string, o Object) error {
	switch {
	case o == nil:
		return badRequest("request has no %q object", field)
	case o.APIVersion() == "" || o.Kind() == "":
		return badRequest("%q has no apiVersion or kind", field)
	case o.Name() == "":
		return badRequest("%q has no metadata.name", field)
	}
	return nil
}
