package metacontroller

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	corev1 "k8s.io/api/core/v1"
	kjson "sigs.k8s.io/json"

	"github.com/hookops/hookops/test/reference"
)

// onePassSeeds are the captured decorator requests, each of their objects,
// and the inputs on which encoding/json/v2 and encoding/json part ways.
func onePassSeeds(tb testing.TB) [][]byte {
	seeds := [][]byte{
		[]byte(`{"object":{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}},"attachments":{"ConfigMap.v1":{"b/c":{"data":{"k":"v"}}}}}`),
		[]byte(`{"object":{"metadata":{"name":"a"}},"object":{"metadata":{"name":"b"}}}`),              // a duplicate name
		[]byte("{\"object\":{\"metadata\":{\"name\":\"\xff\"}}}"),                                      // invalid UTF-8
		[]byte(`{"object":{"metadata":{"name":"a","generation":9007199254740993}},"finalizing":true}`), // beyond float64
		[]byte(`{"Object":{},"related":null,"attachments":{"ConfigMap.v1":null}}`),                     // case, nulls
		[]byte(`{"related":{"Secret.v1":{"a/b":{"data":{"e":"","n":null,"p":"YQ==","u":"YQ","l":"Y\nQ=="}}}}}`),
		[]byte(`{"metadata":{"creationTimestamp":null,"deletionTimestamp":"2024-01-01T00:00:00Z","labels":{"x":null}},"immutable":null}`),
		[]byte(`{"data":{"a":"\u00e9\ud83d\ude00"},"binaryData":{"b":"AAE="},"type":"Opaque"}`),
		[]byte(`{"metadata":{"managedFields":[{"fieldsV1":{ "f:data" : {} },"time":"2024-01-01T00:00:00Z"}]}}`),
		[]byte(`{"finalizing":"yes"}`),
		[]byte(`{"object":{}} {}`),
		[]byte(`[]`),
	}
	for _, body := range capturedDecoratorRequests(tb) {
		seeds = append(seeds, body)
		var req RawDecoratorRequest
		if err := unmarshal(body, &req); err != nil {
			tb.Fatal(err)
		}
		for _, m := range []RawObjectMap{req.Attachments, req.Related} {
			for _, objs := range m {
				for _, o := range objs {
					seeds = append(seeds, o)
				}
			}
		}
	}
	return seeds
}

// What Metacontroller sends takes the one pass, not the way back.
func TestCapturedRequestsTakeOnePass(t *testing.T) {
	for _, body := range capturedDecoratorRequests(t) {
		var req RawDecoratorRequest
		if err := onePass(body, &req); err != nil {
			t.Fatalf("a captured request: %v", err)
		}
		for gk, v := range map[string]any{"ConfigMap.v1": &corev1.ConfigMap{}, "Secret.v1": &corev1.Secret{}} {
			for key, o := range req.Related[gk] {
				if err := jsonv2.Unmarshal(o, v); err != nil {
					t.Errorf("related %s %s: %v", gk, key, err)
				}
			}
		}
	}
}

// capturedDecoratorRequests are the decorator sync requests Metacontroller
// v4.17.2 sent, for both hook versions.
func capturedDecoratorRequests(tb testing.TB) [][]byte {
	var bodies [][]byte
	for _, version := range []string{"v1", "v2"} {
		for _, name := range []string{"decorator-sync.json", "decorator-sync-empty.json"} {
			raw, err := os.ReadFile(reference.Path(tb, "fixtures", "metacontroller-v4.17.2", version, name))
			if err != nil {
				tb.Fatal(err)
			}
			var capture struct{ Body json.RawMessage }
			if err := json.Unmarshal(raw, &capture); err != nil {
				tb.Fatal(err)
			}
			bodies = append(bodies, capture.Body)
		}
	}
	return bodies
}

// FuzzOnePass checks what the one-pass decoding rests on: on every input
// it decodes a raw decorator request, a ConfigMap and a Secret exactly as
// the reference decoder does, to the same values or with the same error.
// (Were encoding/json/v2 to accept what the reference refuses, or decode
// it otherwise, the outcomes would differ.)
func FuzzOnePass(f *testing.F) {
	for _, s := range onePassSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast, ref RawDecoratorRequest
		sameOutcome(t, "request", unmarshalRaw(body, &fast), unmarshal(body, &ref), &fast, &ref)
		sameObject[corev1.ConfigMap](t, body)
		sameObject[corev1.Secret](t, body)
	})
}

func sameObject[T any](t *testing.T, body []byte) {
	var fast, ref T
	errFast := DecodeObject(body, &fast)
	errRef := kjson.UnmarshalCaseSensitivePreserveInts(body, &ref)
	sameOutcome(t, reflect.TypeFor[T]().Name(), errFast, errRef, &fast, &ref)
}

func sameOutcome(t *testing.T, what string, errFast, errRef error, fast, ref any) {
	t.Helper()
	switch {
	case (errFast == nil) != (errRef == nil):
		t.Fatalf("%s: one-pass error %v, reference error %v", what, errFast, errRef)
	case errFast != nil && errFast.Error() != errRef.Error():
		t.Fatalf("%s: one-pass error %q, reference error %q", what, errFast, errRef)
	case errFast == nil && !reflect.DeepEqual(fast, ref):
		t.Fatalf("%s: one-pass decoded\n%#v\nreference decoded\n%#v", what, fast, ref)
	}
}

// A decoded request keeps nothing of the body's buffer, which the next
// request reuses.
func TestRawRequestOutlivesItsBuffer(t *testing.T) {
	body := func(data string) string {
		return `{"object":{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}},` +
			`"attachments":{"ConfigMap.v1":{"a/b":{"data":{"k":"` + data + `"}}}}}`
	}
	first, err := DecodeRawDecorator(strings.NewReader(body("first")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeRawDecorator(strings.NewReader(body("XXXXX"))); err != nil {
		t.Fatal(err)
	}
	if got, want := string(first.Attachments["ConfigMap.v1"]["a/b"]), `{"data":{"k":"first"}}`; got != want {
		t.Errorf("the first request's attachment reads %s after the second request, want %s", got, want)
	}
}
