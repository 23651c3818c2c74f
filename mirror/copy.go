package mirror

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"maps"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CopyFor returns the copy of s that should stand in namespace: same name
// and content (Secret type and immutability included), the source's labels
// that its LabelRules copy (never the mirror's own, nor GitOps tracking
// labels unless kept), the copy label, and annotations naming the source
// and its content. No other annotation of the source is copied.
func (s *Source) CopyFor(namespace string) Object {
	return s.copyFor(namespace, Hash(&s.Object))
}

// copyFor is CopyFor with the content hash already computed, for callers
// that make many copies of one source.
func (s *Source) copyFor(namespace, hash string) Object {
	return Object{
		Kind: s.Kind,
		ObjectMeta: metav1.ObjectMeta{
			Name:      s.Name,
			Namespace: namespace,
			Labels:    s.LabelRules.CopiedLabels(s.Labels),
			Annotations: map[string]string{
				AnnotationSource:      s.Namespace + "/" + s.Name,
				AnnotationContentHash: hash,
			},
		},
		Type:       s.Type,
		Data:       s.Data,
		BinaryData: s.BinaryData,
		Immutable:  s.Immutable,
	}
}

// Hash identifies what an object holds: its kind, Secret type, data and
// binaryData, independent of map order, and whether it is immutable. Empty
// and missing maps hash alike, as the API server does not tell them apart
// either. Immutability is hashed only when set, so that the hash of every
// mutable object is what it was before immutability was mirrored, and
// existing copies are not rewritten for nothing.
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
	if o.Immutable {
		field(h, "immutable")
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
	// Replace: the standing copy cannot be changed in place (a copy of
	// another source with a different Secret type, or an immutable copy
	// whose content must change); delete it, then create.
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
// set with Block, and with a Replace that is reported (ImmutableChanged).
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
	case standing.Immutable && !sameContent(want, standing):
		// The API server refuses the update; the copy would stay stale.
		return Replace, ImmutableChanged
	case Matches(want, standing):
		return Keep, ""
	default:
		return Update, ""
	}
}

// Matches reports whether the standing object already is the wanted copy:
// same content and immutability, exactly the wanted labels (so a label the
// rules leave off, GitOps tracking labels among them, is removed from a copy
// made before), and the mirror's annotations. Other annotations are left to
// whoever set them.
func Matches(want, standing *Object) bool {
	return sameContent(want, standing) &&
		maps.Equal(standing.Labels, want.Labels) &&
		standing.Annotations[AnnotationSource] == want.Annotations[AnnotationSource] &&
		standing.Annotations[AnnotationContentHash] == want.Annotations[AnnotationContentHash]
}

// sameContent reports whether two objects hold the same: Secret type, data,
// binaryData and immutability.
func sameContent(a, b *Object) bool {
	return a.Type == b.Type &&
		a.Immutable == b.Immutable &&
		maps.Equal(a.Data, b.Data) &&
		maps.EqualFunc(a.BinaryData, b.BinaryData, func(x, y []byte) bool { return string(x) == string(y) })
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
	// A mutable object may become immutable in place; the reverse is a
	// Replace (see Decide).
	out.Immutable = want.Immutable
	return out
}
