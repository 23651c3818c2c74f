package mirror

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"maps"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CopyFor returns the copy of s that should stand in namespace: same name
// and content (and Secret type), the source's labels without the mirror's
// own, the copy label, and annotations naming the source and its content.
func (s *Source) CopyFor(namespace string) Object {
	return s.copyFor(namespace, Hash(&s.Object))
}

// copyFor is CopyFor with the content hash already computed, for callers
// that make many copies of one source.
func (s *Source) copyFor(namespace, hash string) Object {
	labels := map[string]string{LabelCopy: "true"}
	for k, v := range s.Labels {
		if !strings.HasPrefix(k, Prefix) {
			labels[k] = v
		}
	}
	return Object{
		Kind: s.Kind,
		ObjectMeta: metav1.ObjectMeta{
			Name:      s.Name,
			Namespace: namespace,
			Labels:    labels,
			Annotations: map[string]string{
				AnnotationSource:      s.Namespace + "/" + s.Name,
				AnnotationContentHash: hash,
			},
		},
		Type:       s.Type,
		Data:       s.Data,
		BinaryData: s.BinaryData,
	}
}

// Hash identifies what an object holds: its kind, Secret type, data and
// binaryData, independent of map order. Empty and missing maps hash alike,
// as the API server does not tell them apart either.
func Hash(o *Object) string {
	h := sha256.New()
	field(h, string(o.Kind))
	field(h, string(o.Type))
	field(h, "data")
	for _, k := range slices.Sorted(maps.Keys(o.Data)) {
		field(h, k)
		field(h, o.Data[k])
	}
	field(h, "binaryData")
	for _, k := range slices.Sorted(maps.Keys(o.BinaryData)) {
		field(h, k)
		fieldBytes(h, o.BinaryData[k])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// field writes one length-prefixed string, so that no two different
// sequences of fields produce the same bytes.
func field(h hash.Hash, s string) { fieldBytes(h, []byte(s)) }

func fieldBytes(h hash.Hash, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// Action is what to do about one copy.
type Action string

// The actions Decide and PlanSource return.
const (
	// Create: nothing stands there yet.
	Create Action = "Create"
	// Update: our copy stands there but differs from the source.
	Update Action = "Update"
	// Keep: our copy stands there and is up to date.
	Keep Action = "Keep"
	// Replace: a copy of another source stands there with a different
	// Secret type, which cannot be changed in place; delete it, then create.
	Replace Action = "Replace"
	// Block: the copy cannot be written; see the Reason.
	Block Action = "Block"
	// Delete: a copy stands where its source no longer wants one (from
	// PlanSource only).
	Delete Action = "Delete"
)

// Decide compares the copy that should stand (want, from CopyFor) with the
// object that stands at its place (nil when nothing does). ours says whether
// that object is the mirror's to change; callers decide it, because the two
// implementations own objects differently (the copy label for the
// controller, Metacontroller's owner reference for the hooks). The Reason is
// set with Block.
func Decide(want, standing *Object, ours bool) (Action, Reason) {
	switch {
	case standing == nil:
		return Create, ""
	case !ours:
		return Block, Occupied
	case want.Kind == Secret && standing.Type != want.Type:
		if standing.Annotations[AnnotationSource] == want.Annotations[AnnotationSource] {
			// The same source (recreated with another type): deleting its
			// copy would be a guess, so a person decides.
			return Block, TypeMismatch
		}
		return Replace, ""
	case Matches(want, standing):
		return Keep, ""
	default:
		return Update, ""
	}
}

// Matches reports whether the standing object already is the wanted copy:
// same content, exactly the wanted labels, and the mirror's annotations.
// Other annotations are left to whoever set them.
func Matches(want, standing *Object) bool {
	return standing.Type == want.Type &&
		maps.Equal(standing.Data, want.Data) &&
		maps.EqualFunc(standing.BinaryData, want.BinaryData, func(a, b []byte) bool { return string(a) == string(b) }) &&
		maps.Equal(standing.Labels, want.Labels) &&
		standing.Annotations[AnnotationSource] == want.Annotations[AnnotationSource] &&
		standing.Annotations[AnnotationContentHash] == want.Annotations[AnnotationContentHash]
}

// Apply returns current changed to be the wanted copy: its content, labels
// and mirror annotations are replaced, everything else (other annotations,
// owner references, resourceVersion for an optimistic update) is kept.
func Apply(want, current *Object) Object {
	out := *current
	out.ObjectMeta = *current.ObjectMeta.DeepCopy()
	out.Labels = maps.Clone(want.Labels)
	if out.Annotations == nil {
		out.Annotations = map[string]string{}
	}
	out.Annotations[AnnotationSource] = want.Annotations[AnnotationSource]
	out.Annotations[AnnotationContentHash] = want.Annotations[AnnotationContentHash]
	out.Type = current.Type
	out.Data = want.Data
	out.BinaryData = want.BinaryData
	return out
}
