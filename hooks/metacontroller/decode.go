package metacontroller

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	return decodeRequest[CustomizeRequest](r, "parent")
}

// DecodeComposite reads and validates a CompositeController sync or finalize request.
func DecodeComposite(r io.Reader) (*CompositeRequest, error) {
	return decodeRequest[CompositeRequest](r, "parent")
}

// DecodeDecorator reads and validates a DecoratorController sync or finalize request.
func DecodeDecorator(r io.Reader) (*DecoratorRequest, error) {
	return decodeRequest[DecoratorRequest](r, "object")
}

// decodeRequest decodes a request and checks its Subject, which field
// names in errors.
func decodeRequest[T any, P interface {
	*T
	Subject() Object
}](r io.Reader, field string) (P, error) {
	req := P(new(T))
	if err := decode(r, req); err != nil {
		return nil, err
	}
	if err := checkObject(field, req.Subject()); err != nil {
		return nil, err
	}
	return req, nil
}

// decode parses exactly one JSON value, keeping numbers exact, and turns
// encoding/json's errors into messages a caller can act on. Errors from the
// reader itself (a body over the size limit, a broken connection) are
// returned as they are, for the caller to classify.
func decode(r io.Reader, v any) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read request body: %w", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("request body is empty; expected a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return describe(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("request body has data after the JSON object")
	}
	return nil
}

func describe(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("request body is truncated JSON")
	case errors.As(err, &syntax):
		return badRequest("request body is not valid JSON at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return badRequest("request body must be a JSON object, got %s", typ.Value)
		}
		return badRequest("field %q must be %s, got %s", field, jsonType(typ.Type.Kind().String()), typ.Value)
	default:
		return badRequest("request body is not a valid hook request: %s", err.Error())
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
