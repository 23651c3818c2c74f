package conversion_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/hookops/hookops/conversion"
)

// decode parses JSON keeping numbers as written, as the converter does.
func decode(t testing.TB, data []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return m
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// normalise removes the differences the apiserver does not see either: a
// null in spec is a field that is not set (the apiserver prunes it), and
// null or empty annotations and metadata are none at all.
func normalise(t testing.TB, obj []byte) map[string]any {
	t.Helper()
	return normaliseMap(decode(t, obj))
}

func normaliseMap(m map[string]any) map[string]any {
	if spec, ok := m["spec"].(map[string]any); ok {
		dropNulls(spec)
	}
	meta, _ := m["metadata"].(map[string]any)
	if a, ok := meta["annotations"].(map[string]any); meta["annotations"] == nil || ok && len(a) == 0 {
		delete(meta, "annotations")
	}
	if len(meta) == 0 {
		delete(m, "metadata")
	}
	return m
}

// normaliseAlpha also drops what v1alpha1 -> v1 -> v1alpha1 may change: the
// annotation, and spec fields v1alpha1 does not have (the apiserver prunes
// them before conversion).
func normaliseAlpha(t testing.TB, obj []byte) map[string]any {
	t.Helper()
	m := decode(t, obj)
	if meta, ok := m["metadata"].(map[string]any); ok {
		if a, ok := meta["annotations"].(map[string]any); ok {
			delete(a, conversion.SpecAnnotation)
		}
	}
	if spec, ok := m["spec"].(map[string]any); ok {
		for k := range spec {
			switch k {
			case "organization", "repoName", "private", "description", "tokenSecretName":
			default:
				delete(spec, k)
			}
		}
	}
	return normaliseMap(m)
}

func dropNulls(m map[string]any) {
	for k, v := range m {
		switch v := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			dropNulls(v)
		}
	}
}

func assertSameJSON(t testing.TB, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %s\nwant %s", what, mustJSON(t, got), mustJSON(t, want))
	}
}

// object is a GitHubRepo of the given version and spec, with the spec
// annotation if specAnnotation is not empty.
func object(apiVersion, spec, specAnnotation string) []byte {
	meta := `{"name":"widgets","namespace":"team-a"}`
	if specAnnotation != "" {
		a, _ := json.Marshal(map[string]string{conversion.SpecAnnotation: specAnnotation})
		meta = fmt.Sprintf(`{"name":"widgets","namespace":"team-a","annotations":%s}`, a)
	}
	return fmt.Appendf(nil, `{"apiVersion":%q,"kind":"GitHubRepo","metadata":%s,"spec":%s}`, apiVersion, meta, spec)
}
