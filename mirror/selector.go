package mirror

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
)

// AnnotationToNamespaceSelector on a source: a label selector over
// namespaces, in the syntax of kubectl's -l. A namespace is a target when
// the to-namespaces names or globs match it or this selector does.
const AnnotationToNamespaceSelector = Prefix + "to-namespace-selector"

// The reasons about sources whose selector cannot be read.
const (
	// InvalidSelector: the source's to-namespace-selector does not parse.
	// Nothing is copied from it and its copies are left as they are until
	// it is fixed.
	InvalidSelector Reason = "InvalidSelector"
	// Held: the place holds a copy of a source that cannot be read (an
	// invalid selector or label list). Another source that wants the place
	// waits until it is fixed: a typo must not have the copy overwritten.
	Held Reason = "Held"
)

// ParseSelector reads a to-namespace-selector annotation: equality
// ("team=a", "tier!=db"), set ("env in (dev,test)", "env notin (prod)") and
// existence ("gpu", "!legacy") requirements, comma-separated and all
// required, exactly as kubectl -l reads them. A blank annotation is no
// selector (nil, nil): an empty selector would select every namespace, and
// a value emptied by accident must not copy everywhere; to-namespaces "*"
// says that on purpose.
func ParseSelector(annotation string) (labels.Selector, error) {
	if strings.TrimSpace(annotation) == "" {
		return nil, nil
	}
	sel, err := labels.Parse(annotation)
	if err != nil {
		return nil, fmt.Errorf("invalid %s %q: %w", AnnotationToNamespaceSelector, annotation, err)
	}
	return sel, nil
}

// Selects reports whether the source picks ns as a target, before the
// namespace's consent and the source's own namespace are considered: the
// union of its names and globs and its selector. A source that cannot be
// read picks nothing.
func (s *Source) Selects(ns Namespace) bool {
	if s.Err != nil {
		return false
	}
	return MatchAny(s.Patterns, ns.Name) || (s.Selector != nil && s.Selector.Matches(labels.Set(ns.Labels)))
}

// NamespaceChanged reports whether a namespace changed in what decides the
// copies it should hold: whether it accepts them, and, while it does, its
// labels, which selectors read. Anything else a namespace update carries
// (annotations, status) changes no copy.
func NamespaceChanged(old, cur Namespace) bool {
	if old.Accepts() != cur.Accepts() {
		return true
	}
	return cur.Accepts() && !maps.Equal(old.Labels, cur.Labels)
}

// Invalid is a source whose annotations cannot be read. Nothing is copied
// from it, and its copies are left as they are, neither updated nor
// deleted, until it is fixed: a typo must not take away copies that
// workloads use. Removing its enabled label or its annotations, or deleting
// it, still removes its copies as for any source.
type Invalid struct {
	Source Ref
	Reason Reason
	Err    error
}

func (i Invalid) String() string {
	return fmt.Sprintf("%s: %v; nothing is copied from it and its copies are left as they are until it is fixed", i.Source, i.Err)
}

// Invalid returns the report of a source that cannot be read, nil for a
// valid one.
func (s *Source) Invalid() *Invalid {
	if s.Err == nil {
		return nil
	}
	return &Invalid{Source: s.Ref(), Reason: s.errReason, Err: s.Err}
}

// InvalidSources lists the sources that cannot be read, in a stable order.
func InvalidSources(sources []Source) []Invalid {
	var out []Invalid
	for i := range sources {
		if inv := sources[i].Invalid(); inv != nil {
			out = append(out, *inv)
		}
	}
	slices.SortFunc(out, func(a, b Invalid) int {
		return cmp.Or(cmp.Compare(a.Source.Kind, b.Source.Kind), cmp.Compare(a.Source.Namespace, b.Source.Namespace), cmp.Compare(a.Source.Name, b.Source.Name))
	})
	return out
}

// holder returns the source among sources that cannot be read and whose
// copy cur is, or nil: such a copy keeps its place until that source is
// fixed or goes.
func holder(cur *Object, sources []Source) *Source {
	if cur == nil {
		return nil
	}
	ref, ok := CopyOf(cur)
	if !ok {
		return nil
	}
	for i := range sources {
		if sources[i].Err != nil && sources[i].Ref() == ref {
			return &sources[i]
		}
	}
	return nil
}

// planInvalid is the plan of a source that cannot be read: its copies are
// left as they are. Only where a namespace stopped accepting copies does
// its copy go, as any source's would, because that namespace's owner asked
// for it (the hooks' finalize does the same).
func planInvalid(src *Source, namespaces []Namespace, standing map[string]*Object) SourcePlan {
	plan := SourcePlan{Invalid: src.Invalid()}
	for _, ns := range namespaces {
		cur := standing[ns.Name]
		if !ns.Terminating && !ns.Accepts() && cur != nil && isCopyOf(cur, src.Ref()) {
			plan.Steps = append(plan.Steps, Step{Action: Delete, Current: cur})
		}
	}
	return plan
}

// Find returns the source named key among sources, or nil.
func Find(sources []Source, key Ref) *Source {
	for i := range sources {
		if sources[i].Ref() == key {
			return &sources[i]
		}
	}
	return nil
}
