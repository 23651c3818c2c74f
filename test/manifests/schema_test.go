package manifests_test

import (
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	githubv1 "github.com/hookops/hookops/api/github/v1"
)

// TestSchemaMatchesGoTypes checks the CRD's OpenAPI schema against the Go
// types field by field: every json name is a property and every property a
// json name, types and integer formats agree, a field is required exactly
// when it has no omitempty (pointers and omitempty fields are optional), and
// every spec and status field has a description for kubectl explain.
func TestSchemaMatchesGoTypes(t *testing.T) {
	v := readCRDVersion(t)
	if !v.storage || !v.served {
		t.Errorf("version %s: served=%t storage=%t, want both", v.name, v.served, v.storage)
	}
	checkSchema(t, "", reflect.TypeFor[githubv1.GitHubRepo](), v.schema)
}

type crdVersion struct {
	name            string
	served, storage bool
	schema          map[string]any
}

// readCRDVersion reads version githubv1.Version of the GitHubRepo CRD from
// manifests/crds.
func readCRDVersion(t *testing.T) crdVersion {
	t.Helper()
	data, err := os.ReadFile(manifestsDir("crds", crdName+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Name    string `json:"name"`
				Served  bool   `json:"served"`
				Storage bool   `json:"storage"`
				Schema  struct {
					OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &crd); err != nil {
		t.Fatalf("parse CRD: %v", err)
	}
	for _, v := range crd.Spec.Versions {
		if v.Name == githubv1.Version {
			return crdVersion{v.Name, v.Served, v.Storage, v.Schema.OpenAPIV3Schema}
		}
	}
	t.Fatalf("the CRD has no version %s", githubv1.Version)
	return crdVersion{}
}

var (
	timeType          = reflect.TypeFor[metav1.Time]()
	objectMetaType    = reflect.TypeFor[metav1.ObjectMeta]()
	propertyValueType = reflect.TypeFor[githubv1.PropertyValue]()
)

// checkSchema compares the schema s at path with the Go type typ.
func checkSchema(t *testing.T, path string, typ reflect.Type, s map[string]any) {
	t.Helper()
	name := path
	if name == "" {
		name = "<root>"
	}
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	str := func(key string) string { v, _ := s[key].(string); return v }
	wantType := func(want string) {
		t.Helper()
		if got := str("type"); got != want {
			t.Errorf("%s: schema type %q, Go type %s wants %q", name, got, typ, want)
		}
	}
	if (strings.HasPrefix(path, "spec") || strings.HasPrefix(path, "status")) && !strings.HasSuffix(path, "{}") {
		if str("description") == "" {
			t.Errorf("%s: no description (users read it with kubectl explain)", name)
		}
	}

	switch {
	case typ == timeType:
		wantType("string")
		if str("format") != "date-time" {
			t.Errorf("%s: format %q, want date-time for metav1.Time", name, str("format"))
		}
	case typ == objectMetaType:
		wantType("object")
	case typ == propertyValueType:
		// A string or a list of strings: no structural type can say
		// that, so the schema keeps the value as given and the hook
		// checks it.
		if s["x-kubernetes-preserve-unknown-fields"] != true {
			t.Errorf("%s: want x-kubernetes-preserve-unknown-fields for a string or a list", name)
		}
	case typ.Kind() == reflect.Map:
		wantType("object")
		values, _ := s["additionalProperties"].(map[string]any)
		if values == nil {
			t.Errorf("%s: map without additionalProperties", name)
			return
		}
		checkSchema(t, path+"{}", typ.Elem(), values)
	case typ.Kind() == reflect.Struct:
		wantType("object")
		checkObject(t, path, typ, s)
	case typ.Kind() == reflect.Slice:
		wantType("array")
		items, _ := s["items"].(map[string]any)
		if items == nil {
			t.Errorf("%s: array without items", name)
			return
		}
		checkSchema(t, path+"[]", typ.Elem(), items)
	case typ.Kind() == reflect.String:
		wantType("string")
	case typ.Kind() == reflect.Bool:
		wantType("boolean")
	case typ.Kind() == reflect.Int64, typ.Kind() == reflect.Int32, typ.Kind() == reflect.Int:
		wantType("integer")
		want := map[reflect.Kind]string{reflect.Int64: "int64", reflect.Int32: "int32", reflect.Int: ""}[typ.Kind()]
		if got := str("format"); got != want && (typ.Kind() != reflect.Int || got != "int64") {
			t.Errorf("%s: integer format %q, Go type %s wants %q", name, got, typ, want)
		}
	default:
		t.Errorf("%s: Go type %s has no schema mapping in this test", name, typ)
	}
}

type goField struct {
	typ       reflect.Type
	omitempty bool
}

// goFields lists a struct's json fields, flattening inline embedded structs.
func goFields(typ reflect.Type) map[string]goField {
	out := map[string]goField{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			for k, v := range goFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = goField{typ: f.Type, omitempty: slices.Contains(strings.Split(opts, ","), "omitempty")}
	}
	return out
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

func checkObject(t *testing.T, path string, typ reflect.Type, s map[string]any) {
	t.Helper()
	name := path
	if name == "" {
		name = "<root>"
	}
	fields := goFields(typ)
	props, _ := s["properties"].(map[string]any)
	for _, k := range slices.Sorted(maps.Keys(props)) {
		if _, ok := fields[k]; !ok {
			t.Errorf("%s: schema property %q is not a json field of %s", name, k, typ)
		}
	}
	var required []string
	if r, ok := s["required"].([]any); ok {
		for _, v := range r {
			required = append(required, v.(string))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		f := fields[k]
		child := join(path, k)
		prop, ok := props[k].(map[string]any)
		if !ok {
			t.Errorf("%s: json field %q of %s is missing from the schema", name, k, typ)
			continue
		}
		isRequired := slices.Contains(required, k)
		optional := f.omitempty || f.typ.Kind() == reflect.Pointer
		switch {
		case f.typ == timeType && !optional:
			// A zero metav1.Time marshals as null and the apiserver prunes
			// nulls before validating, so such a field may be either.
		case optional && isRequired:
			t.Errorf("%s: required in the schema, but the Go field is optional (pointer or omitempty)", child)
		case !optional && !isRequired:
			t.Errorf("%s: optional in the schema, but the Go field is always written (no omitempty): list it in required", child)
		}
		if _, hasDefault := prop["default"]; hasDefault && isRequired {
			t.Errorf("%s: has a default but is required; the default would never apply", child)
		}
		checkSchema(t, child, f.typ, prop)
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// TestSchemaDefaults pins the defaults the documentation promises.
func TestSchemaDefaults(t *testing.T) {
	root := readCRDVersion(t).schema
	prop := func(path ...string) map[string]any {
		s := root
		for _, p := range path {
			props, _ := s["properties"].(map[string]any)
			s, _ = props[p].(map[string]any)
		}
		return s
	}
	// No default may manage a field on GitHub: the only one names the
	// Secret key, which GitHub never sees.
	defaults := map[string]any{}
	var walk func(path string, s map[string]any)
	walk = func(path string, s map[string]any) {
		if d, ok := s["default"]; ok {
			defaults[path] = d
		}
		props, _ := s["properties"].(map[string]any)
		for name, p := range props {
			walk(strings.TrimPrefix(path+"."+name, "."), p.(map[string]any))
		}
	}
	walk("", root)
	if want := map[string]any{"spec.credentialsSecretRef.key": "token"}; !reflect.DeepEqual(defaults, want) {
		t.Errorf("schema defaults %v, want only %v", defaults, want)
	}
	for _, tc := range []struct {
		path []string
		want []any
	}{
		{[]string{"spec", "visibility"}, []any{string(githubv1.Public), string(githubv1.Private), string(githubv1.Internal)}},
		{[]string{"spec", "deletionPolicy"}, []any{string(githubv1.DeletionDelete), string(githubv1.DeletionArchive), string(githubv1.DeletionOrphan)}},
	} {
		if got, _ := prop(tc.path...)["enum"].([]any); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: enum %v, want the Go constants %v", strings.Join(tc.path, "."), got, tc.want)
		}
	}
}
