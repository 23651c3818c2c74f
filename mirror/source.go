package mirror

import (
	"cmp"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Source is a ConfigMap or Secret that asks to be copied.
type Source struct {
	Object
	// Patterns are the parsed to-namespaces annotation.
	Patterns []string
	// Selector is the parsed to-namespace-selector annotation; nil when
	// there is none.
	Selector labels.Selector
	// LabelRules decide which of its labels its copies carry.
	LabelRules LabelRules
	// Err says why the source's annotations cannot be read (an invalid
	// selector, or a malformed strip-labels or keep-labels list), and
	// errReason which of them: such a source copies nothing, and its
	// copies are left as they are (see Invalid).
	Err       error
	errReason Reason
}

// ParseSource returns o as a source, or false when it is not one: it must
// carry the enabled label and a non-blank to-namespaces or
// to-namespace-selector annotation, must not be a copy itself (which would
// copy copies) nor be on its way out, and a service-account token is never
// mirrored, whatever its labels say. A source whose other annotations
// cannot be read is still a source, with Err set, so that its copies are
// kept and the error reported rather than its copies deleted as if it had
// gone.
func ParseSource(o Object) (Source, bool) {
	switch {
	case o.Labels[LabelEnabled] != "true",
		IsCopy(&o),
		o.DeletionTimestamp != nil,
		o.Kind == Secret && o.Type == corev1.SecretTypeServiceAccountToken:
		return Source{}, false
	}
	patterns := ParsePatterns(o.Annotations[AnnotationToNamespaces])
	selector, err := ParseSelector(o.Annotations[AnnotationToNamespaceSelector])
	if len(patterns) == 0 && selector == nil && err == nil {
		return Source{}, false
	}
	s := Source{Object: o, Patterns: patterns, Selector: selector, Err: err, errReason: InvalidSelector}
	if s.LabelRules, err = ParseLabelRules(o.Annotations); err != nil && s.Err == nil {
		s.Err, s.errReason = err, InvalidSource
	}
	return s, true
}

// Wants reports whether the source should have a copy in ns: ns accepts
// copies, is not the source's own namespace, and the source selects it
// (a name, a glob or its selector matches).
func (s *Source) Wants(ns Namespace) bool {
	return ns.Name != s.Namespace && ns.Accepts() && s.Selects(ns)
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
