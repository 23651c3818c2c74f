package mirror

import (
	"cmp"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// Source is a ConfigMap or Secret that asks to be copied.
type Source struct {
	Object
	// Patterns are the parsed to-namespaces annotation.
	Patterns []string
	// LabelRules decide which of its labels its copies carry.
	LabelRules LabelRules
	// Invalid says what is wrong with the source's annotations. An invalid
	// source still holds the places it wants (so that no rival takes them
	// over), but its copies are neither created, changed nor deleted until
	// it is fixed: it is reported instead.
	Invalid error
}

// ParseSource returns o as a source, or false when it is not one: it must
// carry the enabled label and a non-empty to-namespaces annotation, must
// not be a copy itself (which would copy copies) nor be on its way out, and
// a service-account token is never mirrored, whatever its labels say. A
// source whose other mirror annotations are malformed is returned with
// Invalid set.
func ParseSource(o Object) (Source, bool) {
	switch {
	case o.Labels[LabelEnabled] != "true",
		IsCopy(&o),
		o.DeletionTimestamp != nil,
		o.Kind == Secret && o.Type == corev1.SecretTypeServiceAccountToken:
		return Source{}, false
	}
	patterns := ParsePatterns(o.Annotations[AnnotationToNamespaces])
	if len(patterns) == 0 {
		return Source{}, false
	}
	labels, err := ParseLabelRules(o.Annotations)
	return Source{Object: o, Patterns: patterns, LabelRules: labels, Invalid: err}, true
}

// Wants reports whether the source should have a copy in ns: ns accepts
// copies, is not the source's own namespace, and matches a pattern.
func (s *Source) Wants(ns Namespace) bool {
	return ns.Name != s.Namespace && ns.Accepts() && MatchAny(s.Patterns, ns.Name)
}

// Claimants returns the sources that want a copy in ns, best claim first.
// Sources are expected to share kind and name, as rivals for one object do.
// The oldest source wins so that a newcomer cannot take over copies that
// already serve a namespace; equal creation times (they have one-second
// resolution) fall back to the namespace name, so every caller that sees the
// same sources picks the same winner.
func Claimants(sources []Source, ns Namespace) []Source {
	var out []Source
	for i := range sources {
		if sources[i].Wants(ns) {
			out = append(out, sources[i])
		}
	}
	slices.SortFunc(out, func(a, b Source) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.Namespace, b.Namespace)
	})
	return out
}
