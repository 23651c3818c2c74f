package metacontroller

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	kjson "sigs.k8s.io/json"
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
	if err := kjson.UnmarshalCaseSensitivePreserveInts(sent, dst); err != nil {
		return badRequest("field \"parent\" must be an object: %s", err.Error())
	}
	return nil
}

// bodies are reused request body buffers; one larger than maxPooled is
// left to the garbage collector rather than kept. A mirror sync of 50
// sources is about 370 KB, and growing a new buffer to that size for every
// call took a tenth of the call.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooled = 1 << 20

// decode reads the body whole and parses exactly one JSON value. Errors
// from the reader itself (a body over the size limit, a broken connection)
// are returned wrapped, for the caller to classify.
func decode(r io.Reader, v any) error {
	return withBody(r, func(body []byte) error { return unmarshal(body, v) })
}

// withBody reads the body whole into a pooled buffer and hands it to parse,
// which must not keep it.
func withBody(r io.Reader, parse func([]byte) error) error {
	buf := bodies.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooled {
			bodies.Put(buf)
		}
	}()
	if _, err := buf.ReadFrom(r); err != nil {
		return fmt.Errorf("read request body: %w", err)
	}
	return parse(buf.Bytes())
}

// unmarshal decodes as Kubernetes does (sigs.k8s.io/json): integers stay
// exact, as int64, so that fields nobody here models survive a round
// trip, and keys match case-sensitively. Only a body that fails is
// decoded again, by encoding/json, to name the problem in a message the
// caller can act on.
func unmarshal(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("request body is empty; expected a JSON object")
	}
	err := kjson.UnmarshalCaseSensitivePreserveInts(body, v)
	if err == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if derr := dec.Decode(v); derr != nil {
		return describe(derr)
	}
	if _, terr := dec.Token(); terr != io.EOF {
		return badRequest("request body has data after the JSON object")
	}
	return badRequest("request body is not a valid hook request: %s", err.Error())
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
		// Requests decoded beside their raw parent name the embedded
		// request type first.
		field := strings.TrimPrefix(strings.TrimPrefix(typ.Field, "CompositeRequest."), "CustomizeRequest.")
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
