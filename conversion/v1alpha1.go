package conversion

import (
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// SpecAnnotation holds, on a v1alpha1 object, the part of the v1 spec that
// v1alpha1 cannot express: a JSON merge patch (RFC 7386) on top of the v1
// spec that the v1alpha1 fields alone convert to. It keeps v1 -> v1alpha1 ->
// v1 lossless and is removed again on the way back to v1.
const SpecAnnotation = "github.hookops.dev/v1-spec"

// tokenKey is the Secret key v1alpha1 always reads the token from.
const tokenKey = "token"

// v1alpha1ToHub converts a valid v1alpha1 object. The v1alpha1 fields alone
// always make a valid v1 spec; only a spec the SpecAnnotation patched, which
// may be stale or hand-edited, is checked again.
func v1alpha1ToHub(obj map[string]any) error {
	patch, err := takeSpecPatch(obj)
	if err != nil {
		return err
	}
	alpha, ok := specOf(obj)
	if !ok {
		return nil // absent or null: nothing to convert
	}
	spec, patch := hubSpec(alpha), dropOwned(patch, alpha)
	obj["spec"] = mergePatch(spec, patch) // in place: spec is the result
	if len(patch) == 0 {
		return nil
	}
	if err := validSpec[v1.GitHubRepo](spec); err != nil {
		return fmt.Errorf("converted to an invalid %s: %w", v1.APIVersion, err)
	}
	return nil
}

// v1alpha1FromHub converts a valid v1 object; the v1alpha1 spec it builds
// holds only fields copied from valid v1 ones.
func v1alpha1FromHub(obj map[string]any) error {
	spec, ok := specOf(obj)
	if !ok {
		deleteAnnotation(obj)
		return nil
	}
	alpha := alphaSpec(spec)
	obj["spec"] = alpha
	return setSpecPatch(obj, diff(hubSpec(alpha), spec))
}

// hubSpec is the v1 spec that the v1alpha1 fields alone describe. Values are
// copied as they are, so that present-but-empty stays distinct from absent.
func hubSpec(alpha map[string]any) map[string]any {
	spec := map[string]any{}
	copyField(spec, "owner", alpha, "organization")
	copyField(spec, "name", alpha, "repoName")
	copyField(spec, "description", alpha, "description")
	if private, ok := alpha["private"].(bool); ok {
		spec["visibility"] = string(visibilityOf(private))
	}
	ref := map[string]any{"key": tokenKey}
	copyField(ref, "name", alpha, "tokenSecretName")
	spec["credentialsSecretRef"] = ref
	return spec
}

// alphaSpec is the part of a v1 spec that v1alpha1 can express.
func alphaSpec(spec map[string]any) map[string]any {
	alpha := map[string]any{}
	copyField(alpha, "organization", spec, "owner")
	copyField(alpha, "repoName", spec, "name")
	copyField(alpha, "description", spec, "description")
	if private, ok := privateOf(spec["visibility"]); ok {
		alpha["private"] = private
	}
	if name, found, _ := unstructured.NestedFieldNoCopy(spec, "credentialsSecretRef", "name"); found {
		alpha["tokenSecretName"] = name
	}
	return alpha
}

func specOf(obj map[string]any) (map[string]any, bool) {
	spec, _, _ := unstructured.NestedFieldNoCopy(obj, "spec")
	m, ok := spec.(map[string]any)
	return m, ok
}

func copyField(dst map[string]any, dstKey string, src map[string]any, srcKey string) {
	if v, ok := src[srcKey]; ok {
		dst[dstKey] = v
	}
}

func visibilityOf(private bool) v1.Visibility {
	if private {
		return v1.Private
	}
	return v1.Public
}

// privateOf maps a v1 visibility to v1alpha1's private flag. An internal
// repository is not visible to the public, so it reads as private: true and
// the annotation remembers that it was internal.
func privateOf(visibility any) (private, ok bool) {
	switch visibility {
	case string(v1.Private), string(v1.Internal):
		return true, true
	case string(v1.Public):
		return false, true
	}
	return false, false
}

// dropOwned removes from a SpecAnnotation patch what the v1alpha1 fields
// express. The annotation may be older than the fields (a user edited the
// v1alpha1 object), and the fields the user sees must win. A visibility the
// patch restores (internal) survives only while private still has the value
// that visibility was converted to.
func dropOwned(patch, alpha map[string]any) map[string]any {
	delete(patch, "owner")
	delete(patch, "name")
	delete(patch, "description")
	if vis, ok := patch["visibility"]; ok && !samePrivate(vis, alpha["private"]) {
		delete(patch, "visibility")
	}
	switch ref := patch["credentialsSecretRef"].(type) {
	case map[string]any:
		delete(ref, "name")
	case nil:
		// The v1 object had no credentialsSecretRef; a tokenSecretName set
		// since then brings one back.
		if _, set := alpha["tokenSecretName"]; set {
			delete(patch, "credentialsSecretRef")
		}
	}
	return patch
}

func samePrivate(visibility, private any) bool {
	want, known := privateOf(visibility)
	got, set := private.(bool)
	return known == set && want == got
}

// diff and mergePatch are written out rather than taken from
// gopkg.in/evanphx/json-patch.v4: its CreateMergePatch reads numbers as
// float64, which corrupts int64 values, and its MergePatch drops null members
// of objects inside arrays, which RFC 7386 keeps.

// diff returns the merge patch that turns base into target. A JSON null in
// target reads as absent, as it does for the apiserver, which prunes nulls.
func diff(base, target map[string]any) map[string]any {
	patch := map[string]any{}
	for k, t := range target {
		b, inBase := base[k]
		if inBase && reflect.DeepEqual(b, t) || !inBase && t == nil {
			continue
		}
		bm, bIsMap := b.(map[string]any)
		tm, tIsMap := t.(map[string]any)
		if bIsMap && tIsMap {
			if sub := diff(bm, tm); len(sub) > 0 {
				patch[k] = sub
			}
			continue
		}
		patch[k] = t
	}
	for k := range base {
		if _, ok := target[k]; !ok {
			patch[k] = nil
		}
	}
	return patch
}

// mergePatch applies an RFC 7386 merge patch to target, in place.
func mergePatch(target, patch map[string]any) map[string]any {
	for k, p := range patch {
		switch p := p.(type) {
		case nil:
			delete(target, k)
		case map[string]any:
			t, _ := target[k].(map[string]any)
			if t == nil {
				t = map[string]any{}
			}
			target[k] = mergePatch(t, p)
		default:
			target[k] = p
		}
	}
	return target
}

// takeSpecPatch removes SpecAnnotation from obj and returns its patch.
func takeSpecPatch(obj map[string]any) (map[string]any, error) {
	raw, ok, _ := unstructured.NestedString(obj, "metadata", "annotations", SpecAnnotation)
	deleteAnnotation(obj)
	if !ok {
		return nil, nil
	}
	patch, err := decodeObject([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("annotation %s: %w", SpecAnnotation, err)
	}
	return patch, nil
}

func setSpecPatch(obj, patch map[string]any) error {
	if len(patch) == 0 {
		deleteAnnotation(obj)
		return nil
	}
	raw, err := encode(patch)
	if err != nil {
		return fmt.Errorf("annotation %s: %w", SpecAnnotation, err)
	}
	// A null metadata or annotations is none, as for the apiserver.
	for _, field := range [][]string{{"metadata"}, {"metadata", "annotations"}} {
		if v, found, _ := unstructured.NestedFieldNoCopy(obj, field...); found && v == nil {
			unstructured.RemoveNestedField(obj, field...)
		}
	}
	if err := unstructured.SetNestedField(obj, string(raw), "metadata", "annotations", SpecAnnotation); err != nil {
		return fmt.Errorf("annotation %s: %w", SpecAnnotation, err)
	}
	return nil
}

func deleteAnnotation(obj map[string]any) {
	a, _, _ := unstructured.NestedFieldNoCopy(obj, "metadata", "annotations")
	annotations, ok := a.(map[string]any)
	if !ok {
		return
	}
	if _, ok := annotations[SpecAnnotation]; !ok {
		return
	}
	delete(annotations, SpecAnnotation)
	// An emptied map goes too, so that an object that came without
	// annotations goes back without them.
	if len(annotations) == 0 {
		unstructured.RemoveNestedField(obj, "metadata", "annotations")
	}
}
