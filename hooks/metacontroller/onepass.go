package metacontroller

import (
	"encoding/json"
	"reflect"

	jsonv2 "github.com/go-json-experiment/json"
	kjson "sigs.k8s.io/json"
)

// A namespace's mirror sync carries hundreds of objects, and decoding them
// was most of the hook server's work: encoding/json reads every byte
// several times (it validates the body, skips each raw object, then
// validates and decodes each object again). encoding/json/v2, stable in Go
// 1.27 and served for Go 1.26 as github.com/go-json-experiment/json, reads
// each byte once.
//
// Its defaults accept less than the decoder the hooks had always used
// (unmarshal, sigs.k8s.io/json): no duplicate names, only valid UTF-8. What
// it accepts it decodes to the same values (FuzzOnePass). So v2 goes first,
// and anything it refuses is decoded again the old way: a request means
// what it always meant, and a bad one gets the same message.

// unmarshalRaw decodes a raw decorator request.
func unmarshalRaw(body []byte, req *RawDecoratorRequest) error {
	if onePass(body, req) == nil {
		return nil
	}
	*req = RawDecoratorRequest{}
	return unmarshal(body, req)
}

// onePass is unmarshalRaw's first try. The two generic objects go through
// the old decoder, which keeps integers as int64.
func onePass(body []byte, req *RawDecoratorRequest) error {
	var wire struct {
		Controller  json.RawMessage `json:"controller"`
		Object      json.RawMessage `json:"object"`
		Attachments RawObjectMap    `json:"attachments"`
		Related     RawObjectMap    `json:"related"`
		Finalizing  bool            `json:"finalizing"`
	}
	if err := jsonv2.Unmarshal(body, &wire); err != nil {
		return err
	}
	if err := decodeObject(wire.Controller, &req.Controller); err != nil {
		return err
	}
	if err := decodeObject(wire.Object, &req.Object); err != nil {
		return err
	}
	req.Attachments, req.Related, req.Finalizing = wire.Attachments, wire.Related, wire.Finalizing
	return nil
}

// DecodeObject decodes one object as sent (from a RawObjectMap) into the
// typed value v points to, with the decoder's errors, which can quote
// the object: never return them about a Secret.
func DecodeObject(sent []byte, v any) error {
	if jsonv2.Unmarshal(sent, v) == nil {
		return nil
	}
	reflect.ValueOf(v).Elem().SetZero()
	return kjson.UnmarshalCaseSensitivePreserveInts(sent, v)
}
