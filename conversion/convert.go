// Package conversion converts GitHubRepo objects between the served versions
// and answers the kube-apiserver's ConversionReview calls.
//
// v1 is the hub: every other version (a spoke) converts only to and from v1,
// so a new version adds one spoke instead of a converter per pair. Objects are
// handled as JSON maps, so metadata, status and fields the Go types do not
// know pass through untouched; only apiVersion, spec and SpecAnnotation change.
package conversion

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsjson "sigs.k8s.io/json"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/api/github/v1alpha1"
)

// version is one served version of GitHubRepo.
type version struct {
	// valid decodes an object into the version's Go type, which rejects
	// wrongly typed fields. The decoding is case-sensitive, like the
	// apiserver's, so it sees exactly the fields the converters see.
	valid func(obj []byte) error
	// toHub and fromHub convert an object in place; both are nil for the hub.
	toHub, fromHub func(obj map[string]any) error
}

var versions = map[string]version{
	v1.APIVersion: {valid: validAs[v1.GitHubRepo]},
	v1alpha1.APIVersion: {
		valid:   validAs[v1alpha1.GitHubRepo],
		toHub:   v1alpha1ToHub,
		fromHub: v1alpha1FromHub,
	},
}

func validAs[T any](obj []byte) error {
	var typed T
	return sigsjson.UnmarshalCaseSensitivePreserveInts(obj, &typed)
}

func lookupVersion(apiVersion string) (version, error) {
	v, ok := versions[apiVersion]
	if !ok {
		return version{}, fmt.Errorf("unknown desiredAPIVersion %q, want %s or %s", apiVersion, v1.APIVersion, v1alpha1.APIVersion)
	}
	return v, nil
}

// Convert returns obj, a GitHubRepo as JSON, converted to desiredAPIVersion.
// An object already at that version is returned as it is.
func Convert(obj []byte, desiredAPIVersion string) ([]byte, error) {
	to, err := lookupVersion(desiredAPIVersion)
	if err != nil {
		return nil, err
	}
	m, err := decodeObject(obj)
	if err != nil {
		return nil, err
	}
	u := unstructured.Unstructured{Object: m}
	apiVersion, kind := u.GetAPIVersion(), u.GetKind()
	from, ok := versions[apiVersion]
	if !ok || kind != v1.Kind {
		return nil, fmt.Errorf("cannot convert apiVersion %q kind %q, want kind %s of %s", apiVersion, kind, v1.Kind, v1.Group)
	}
	if apiVersion == desiredAPIVersion {
		return obj, nil
	}
	if err := from.valid(obj); err != nil {
		return nil, fmt.Errorf("invalid %s: %w", apiVersion, err)
	}
	if err := convertMap(m, from, to); err != nil {
		return nil, err
	}
	u.SetAPIVersion(desiredAPIVersion)
	return encode(m)
}

// validSpec checks a spec that conversion built as a T.
func validSpec[T any](spec map[string]any) error {
	obj, err := encode(map[string]any{"spec": spec})
	if err != nil {
		return err
	}
	return validAs[T](obj)
}

func convertMap(obj map[string]any, from, to version) error {
	if from.toHub != nil {
		if err := from.toHub(obj); err != nil {
			return err
		}
	}
	if to.fromHub != nil {
		return to.fromHub(obj)
	}
	return nil
}

// decodeObject decodes exactly one JSON object, keeping numbers as written:
// float64 would corrupt int64 values such as status.repoID.
func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if m == nil {
		return nil, errors.New("not a JSON object: null")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("not a JSON object: data after the object")
	}
	return m, nil
}

// encode marshals without HTML escaping, so URLs in the annotation stay readable.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode JSON: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
