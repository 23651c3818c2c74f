package metacontroller_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hookops/hookops/hooks/metacontroller"
	"github.com/hookops/hookops/test/reference"
)

type capture struct {
	Body json.RawMessage `json:"body"`
}

// readCapture returns the body Metacontroller v4.17.2 really sent.
func readCapture(t *testing.T, version, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(reference.Path(t, "fixtures", "metacontroller-v4.17.2", version, name))
	if err != nil {
		t.Fatal(err)
	}
	var c capture
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("%s/%s: %v", version, name, err)
	}
	return c.Body
}

func decodeAny(name string, body []byte) (any, error) {
	r := bytes.NewReader(body)
	switch {
	case strings.HasSuffix(name, "-customize.json"):
		return metacontroller.DecodeCustomize(r)
	case strings.HasPrefix(name, "composite-"):
		return metacontroller.DecodeComposite(r)
	default:
		return metacontroller.DecodeDecorator(r)
	}
}

func generic(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// Every captured request decodes, and encodes back to the same JSON.
func TestCapturedRequestsRoundTrip(t *testing.T) {
	for _, version := range []string{"v1", "v2"} {
		files, err := filepath.Glob(filepath.Join(reference.Path(t, "fixtures", "metacontroller-v4.17.2", version), "*.json"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no captured requests for %s: %v", version, err)
		}
		for _, f := range files {
			name := filepath.Base(f)
			t.Run(version+"/"+name, func(t *testing.T) {
				body := readCapture(t, version, name)
				req, err := decodeAny(name, body)
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				out, err := json.Marshal(req)
				if err != nil {
					t.Fatal(err)
				}
				if want, got := generic(t, body), generic(t, out); !reflect.DeepEqual(want, got) {
					t.Errorf("round trip changed the request:\nwant %s\ngot  %s", body, out)
				}
			})
		}
	}
}

// The key helpers agree with the keys the real Metacontroller used.
func TestCapturedKeys(t *testing.T) {
	cases := []struct {
		version, file, hook  string
		want                 metacontroller.Version
		kind, apiVersion     string
		namespace, name, key string
	}{
		{"v1", "composite-sync.json", "sync", metacontroller.V1, "Secret", "v1", "team-a", "gh-token", "gh-token"},
		{"v2", "composite-sync.json", "sync", metacontroller.V2, "Secret", "v1", "team-a", "gh-token", "team-a/gh-token"},
		{"v1", "decorator-sync.json", "sync", metacontroller.V1, "ConfigMap", "v1", "shared-config", "defaults", "shared-config/defaults"},
		{"v2", "decorator-sync.json", "sync", metacontroller.V2, "ConfigMap", "v1", "shared-config", "defaults", "shared-config/defaults"},
	}
	for _, c := range cases {
		t.Run(c.version+"/"+c.file, func(t *testing.T) {
			req, err := decodeAny(c.file, readCapture(t, c.version, c.file))
			if err != nil {
				t.Fatal(err)
			}
			var controller metacontroller.Object
			var related metacontroller.ObjectMap
			var parentNS string
			switch r := req.(type) {
			case *metacontroller.CompositeRequest:
				controller, related, parentNS = r.Controller, r.Related, r.Parent.Namespace()
			case *metacontroller.DecoratorRequest:
				controller, related, parentNS = r.Controller, r.Related, r.Object.Namespace()
			}
			v := metacontroller.HookVersion(controller, c.hook)
			if v != c.want {
				t.Fatalf("HookVersion = %q, want %q", v, c.want)
			}
			key := metacontroller.Key(v, parentNS, c.namespace, c.name)
			if key != c.key {
				t.Errorf("Key = %q, want %q", key, c.key)
			}
			if _, ok := related[metacontroller.GroupKind(c.kind, c.apiVersion)][key]; !ok {
				t.Errorf("related has no key %q: %v", key, related)
			}
			if _, ok := related.Get(c.kind, c.apiVersion, c.namespace, c.name); !ok {
				t.Errorf("Get(%s/%s) found nothing", c.namespace, c.name)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"empty", "", "empty"},
		{"not json", "hello", "not valid JSON"},
		{"truncated", `{"parent": {"apiVersion": "v1"`, "truncated"},
		{"array", `[]`, "must be a JSON object"},
		{"wrong type", `{"parent": {"apiVersion":"v1","kind":"X","metadata":{"name":"a"}}, "finalizing": "yes"}`, `"finalizing" must be a boolean`},
		{"missing parent", `{"controller": {}}`, `no "parent"`},
		{"parent without name", `{"parent": {"apiVersion":"v1","kind":"X","metadata":{}}}`, "metadata.name"},
		{"trailing data", `{"parent": {"apiVersion":"v1","kind":"X","metadata":{"name":"a"}}} {}`, "after the JSON object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := metacontroller.DecodeComposite(strings.NewReader(c.body))
			var re *metacontroller.RequestError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want a RequestError", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %q, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestEncodeWritesEmptyLists(t *testing.T) {
	var buf bytes.Buffer
	if err := metacontroller.Encode(&buf, &metacontroller.CompositeResponse{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"children":[]`) {
		t.Errorf("got %s, want children: []", buf.String())
	}
}

// Integers beyond float64's 2^53 and fractions come back as they were sent:
// children are answered with fields nobody here models.
func TestNumbersSurviveExactly(t *testing.T) {
	body := `{"parent":{"apiVersion":"v1","kind":"X","metadata":{"name":"a","generation":9007199254740993}},` +
		`"children":{"X.v1":{"c":{"apiVersion":"v1","kind":"X","metadata":{"name":"c"},"spec":{"big":9007199254740993,"half":1.5,"neg":-42}}}}}`
	req, err := metacontroller.DecodeComposite(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if g := req.Parent.Generation(); g != 9007199254740993 {
		t.Errorf("generation %d, want 9007199254740993", g)
	}
	out, err := json.Marshal(req.Children["X.v1"]["c"]["spec"])
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"big":9007199254740993,"half":1.5,"neg":-42}`; string(out) != want {
		t.Errorf("spec came back as %s, want %s", out, want)
	}
}

// A decorator request read raw holds, object for object, what the generic
// decode reads from the same captured request.
func TestCapturedDecoratorRaw(t *testing.T) {
	for _, version := range []string{"v1", "v2"} {
		for _, name := range []string{"decorator-sync.json", "decorator-sync-empty.json"} {
			t.Run(version+"/"+name, func(t *testing.T) {
				body := readCapture(t, version, name)
				want, err := metacontroller.DecodeDecorator(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				got, err := metacontroller.DecodeRawDecorator(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if got.Subject().Name() != want.Subject().Name() || got.Finalizing != want.Finalizing || !reflect.DeepEqual(got.Controller, want.Controller) {
					t.Errorf("object, controller or finalizing differ")
				}
				for field, maps := range map[string][2]any{"attachments": {want.Attachments, got.Attachments}, "related": {want.Related, got.Related}} {
					decoded, raw := maps[0].(metacontroller.ObjectMap), maps[1].(metacontroller.RawObjectMap)
					if len(decoded) != len(raw) {
						t.Errorf("%s: %d types, want %d", field, len(raw), len(decoded))
					}
					for gk, objs := range decoded {
						kind, apiVersion, _ := strings.Cut(gk, ".")
						if n := len(raw.All(kind, apiVersion)); n != len(objs) {
							t.Errorf("%s %s: %d objects, want %d", field, gk, n, len(objs))
						}
						for key, o := range objs {
							if !reflect.DeepEqual(generic(t, mustJSON(t, o)), generic(t, raw[gk][key])) {
								t.Errorf("%s %s %s differs", field, gk, key)
							}
						}
					}
				}
			})
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
