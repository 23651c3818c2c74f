package mirror

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Object is a ConfigMap or Secret reduced to what mirroring reads and
// writes. Its maps may be shared with the object it came from: treat them as
// read-only.
type Object struct {
	Kind Kind
	metav1.ObjectMeta
	// Type is the Secret type; empty for ConfigMaps.
	Type corev1.SecretType
	// Data is a ConfigMap's data. Secrets have none: what they hold is
	// bytes, kept in BinaryData.
	Data map[string]string
	// BinaryData is a ConfigMap's binaryData or a Secret's data.
	BinaryData map[string][]byte
	// Immutable: the API server refuses changes to the content; the
	// object can only be deleted and created again.
	Immutable bool
}

// Ref names the object.
func (o Object) Ref() Ref { return Ref{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name} }

// FromConfigMap reduces a ConfigMap.
func FromConfigMap(cm *corev1.ConfigMap) Object {
	return Object{Kind: ConfigMap, ObjectMeta: cm.ObjectMeta, Data: cm.Data, BinaryData: cm.BinaryData, Immutable: ptr.Deref(cm.Immutable, false)}
}

// FromSecret reduces a Secret. The API server stores an empty type as
// Opaque, so an empty type is read as Opaque too.
func FromSecret(s *corev1.Secret) Object {
	typ := s.Type
	if typ == "" {
		typ = corev1.SecretTypeOpaque
	}
	return Object{Kind: Secret, ObjectMeta: s.ObjectMeta, Type: typ, BinaryData: s.Data, Immutable: ptr.Deref(s.Immutable, false)}
}

// ConfigMap builds the ConfigMap o describes.
func (o *Object) ConfigMap() *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: string(ConfigMap)},
		ObjectMeta: *o.ObjectMeta.DeepCopy(),
		Data:       maps.Clone(o.Data),
		BinaryData: maps.Clone(o.BinaryData),
		Immutable:  immutable(o.Immutable),
	}
}

// Secret builds the Secret o describes.
func (o *Object) Secret() *corev1.Secret {
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: string(Secret)},
		ObjectMeta: *o.ObjectMeta.DeepCopy(),
		Type:       o.Type,
		Data:       maps.Clone(o.BinaryData),
		Immutable:  immutable(o.Immutable),
	}
}

// immutable is the API's form of the flag: unset rather than false, as the
// API server stores a mutable object.
func immutable(b bool) *bool {
	if !b {
		return nil
	}
	return ptr.To(true)
}

// IsCopy reports whether o carries the copy label. Only such objects are
// ever changed or deleted by the client-go controller.
func IsCopy(o *Object) bool { return o.Labels[LabelCopy] == "true" }

// CopyOf returns the source a copy names in its annotation.
func CopyOf(o *Object) (Ref, bool) {
	if !IsCopy(o) {
		return Ref{}, false
	}
	return ParsePath(o.Kind, o.Annotations[AnnotationSource])
}
