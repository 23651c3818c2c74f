package mirror

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Reason says why a copy cannot be written.
type Reason string

// The conflicts the mirror reports.
const (
	// Occupied: an object that is not the mirror's stands where the copy
	// would go. It is never touched; the copy appears once it is gone.
	Occupied Reason = "Occupied"
	// TypeMismatch: the copy has another Secret type than its source, and
	// a Secret's type cannot change.
	TypeMismatch Reason = "TypeMismatch"
	// Contended: another source of the same kind and name wants the same
	// namespace and wins (see Claimants).
	Contended Reason = "Contended"
	// InvalidSource: the source's strip-labels or keep-labels list is
	// malformed. As with InvalidSelector, nothing is copied from it and
	// its copies are left as they are until it is fixed (see Invalid).
	InvalidSource Reason = "InvalidSource"
	// ImmutableChanged is not a conflict but a Replace that is reported: the
	// copy is immutable and its source now holds other content (an
	// immutable source can only be replaced), so the copy is deleted and
	// created again.
	ImmutableChanged Reason = "ImmutableChanged"
)

// Conflict is a copy that cannot be written; with ImmutableChanged, a copy
// replaced, reported in the same terms.
type Conflict struct {
	Reason Reason
	// Target is where the copy would go.
	Target Ref
	// Source is the source whose copy it is.
	Source Ref
	// Winner is the source that gets the place instead (Contended), or
	// whose copy keeps it (Held).
	Winner Ref
}

func (c Conflict) String() string {
	switch c.Reason {
	case Occupied:
		return fmt.Sprintf("%s: exists and is not a mirror copy, left alone; no copy of %s there", c.Target, c.Source.Path())
	case TypeMismatch:
		return fmt.Sprintf("%s: the copy of %s has another Secret type than its source and a type cannot change; delete the copy to have it recreated", c.Target, c.Source.Path())
	case Contended:
		return fmt.Sprintf("%s: wanted by %s and %s; %s wins as the older source", c.Target, c.Winner.Path(), c.Source.Path(), c.Winner.Path())
	case Held:
		return fmt.Sprintf("%s: holds the copy of %s, whose annotations cannot be read; left as it is, no copy of %s there until that is fixed", c.Target, c.Winner.Path(), c.Source.Path())
	case ImmutableChanged:
		return fmt.Sprintf("%s: the copy of %s is immutable and its source changed, so it is deleted and created again", c.Target, c.Source.Path())
	}
	return fmt.Sprintf("%s: %s (source %s)", c.Target, c.Reason, c.Source.Path())
}

// Step is one write the client-go controller makes for a source.
type Step struct {
	// Action is Create, Update, Replace or Delete.
	Action Action
	// Want is the copy to create or update to; unset for Delete.
	Want Object
	// Current is the standing object to update, replace or delete.
	Current *Object
	// Reason is ImmutableChanged for a Replace to report.
	Reason Reason
}

// Replaced returns the report of a Replace of an immutable copy, or false
// for any other step.
func (s *Step) Replaced() (Conflict, bool) {
	if s.Action != Replace || s.Reason != ImmutableChanged {
		return Conflict{}, false
	}
	src, _ := CopyOf(&s.Want)
	return Conflict{Reason: ImmutableChanged, Target: s.Want.Ref(), Source: src}, true
}

// SourcePlan is what one source needs done across all namespaces.
type SourcePlan struct {
	Steps     []Step
	Conflicts []Conflict
	// Invalid is set when the source cannot be read: nothing is copied
	// from it and its copies are left as they are.
	Invalid *Invalid
}

// PlanSource decides what the source named key needs in every namespace.
// sources holds every current source of key's kind and name (key itself
// among them unless it is gone or no longer a source); standing maps a
// namespace to the copy of that kind and name standing there, whichever
// source it came from. A copy is deleted by the source it names where no
// source wants that place any more; where another source wins the place, the
// winner takes the copy over (or replaces it when the Secret type differs),
// so that a namespace is not left without the object in between. A source
// that cannot be read keeps its copies, and no other source takes them over.
func PlanSource(key Ref, sources []Source, namespaces []Namespace, standing map[string]*Object) SourcePlan {
	if self := Find(sources, key); self != nil && self.Err != nil {
		return planInvalid(self, namespaces, standing)
	}
	var plan SourcePlan
	var hash string // of key's content, computed once it is needed
	for _, ns := range namespaces {
		if ns.Terminating {
			continue
		}
		claimants := Claimants(sources, ns)
		cur := standing[ns.Name]
		held := holder(cur, sources)
		switch i := slices.IndexFunc(claimants, func(s Source) bool { return s.Ref() == key }); {
		case i == 0 && held != nil:
			plan.Conflicts = append(plan.Conflicts, Conflict{Reason: Held, Target: target(key, ns), Source: key, Winner: held.Ref()})
		case i == 0:
			if hash == "" {
				hash = Hash(&claimants[0].Object)
			}
			plan.add(ns, &claimants[0], hash, cur)
		case i > 0:
			plan.Conflicts = append(plan.Conflicts, Conflict{Reason: Contended, Target: target(key, ns), Source: key, Winner: claimants[0].Ref()})
		case len(claimants) == 0 && cur != nil && isCopyOf(cur, key):
			plan.Steps = append(plan.Steps, Step{Action: Delete, Current: cur})
		}
	}
	return plan
}

func (p *SourcePlan) add(ns Namespace, src *Source, hash string, cur *Object) {
	want := src.copyFor(ns.Name, hash)
	// The controller only knows copies (its watch is filtered by the copy
	// label), so whatever it knows of is its own.
	switch action, reason := Decide(&want, cur, cur != nil && IsCopy(cur)); action {
	case Create, Update, Replace:
		p.Steps = append(p.Steps, Step{Action: action, Want: want, Current: cur, Reason: reason})
	case Block:
		p.Conflicts = append(p.Conflicts, Conflict{Reason: reason, Target: want.Ref(), Source: src.Ref()})
	}
}

func target(key Ref, ns Namespace) Ref {
	return Ref{Kind: key.Kind, Namespace: ns.Name, Name: key.Name}
}

func isCopyOf(o *Object, key Ref) bool {
	ref, ok := CopyOf(o)
	return ok && ref == key
}

// NamespacePlan is what should stand in one namespace.
type NamespacePlan struct {
	// Copies are the objects that should stand in the namespace, for the
	// hooks to return as attachments: the wanted copies, and copies kept as
	// they are because of a TypeMismatch.
	Copies    []Object
	Conflicts []Conflict
	// Invalid lists every source that cannot be read (whichever namespace
	// it would copy to, which an invalid selector cannot tell), for the
	// namespace to report; empty when the namespace does not accept copies.
	Invalid []Invalid
	// Replaced are the immutable copies left out of Copies so that
	// Metacontroller deletes them, to be created with their source's new
	// content on the next sync: an update would be refused. The hooks
	// report them (ImmutableChanged).
	Replaced []Conflict
}

// PlanNamespace decides which copies should stand in ns, given every
// source and the objects standing in ns by kind and name. ours says which
// standing objects the caller may change. An object that is not ours is
// never in the plan, so returning the plan can neither overwrite nor adopt it.
// A copy of a source that cannot be read is returned as it is, so that it
// stays, and keeps its place from other sources.
func PlanNamespace(ns Namespace, sources []Source, standing map[Ref]*Object, ours func(*Object) bool) NamespacePlan {
	var plan NamespacePlan
	if ns.Accepts() {
		plan.Invalid = InvalidSources(sources)
	}
	for _, group := range byKindAndName(sources) {
		claimants := Claimants(group, ns)
		place := target(group[0].Ref(), ns)
		if cur, held := standing[place], holder(standing[place], group); held != nil && ns.Accepts() && ours(cur) {
			plan.Copies = append(plan.Copies, asIs(cur))
			for _, c := range claimants {
				if c.Ref() != held.Ref() {
					plan.Conflicts = append(plan.Conflicts, Conflict{Reason: Held, Target: place, Source: c.Ref(), Winner: held.Ref()})
				}
			}
			continue
		}
		if len(claimants) == 0 {
			continue
		}
		winner := &claimants[0]
		for _, loser := range claimants[1:] {
			plan.Conflicts = append(plan.Conflicts, Conflict{Reason: Contended, Target: target(loser.Ref(), ns), Source: loser.Ref(), Winner: winner.Ref()})
		}
		want := winner.CopyFor(ns.Name)
		cur := standing[want.Ref()]
		action, reason := Decide(&want, cur, cur != nil && ours(cur))
		if action == Update && hasKeysBeyond(cur, &want) {
			// Metacontroller merges the answer into the object, so keys
			// added by hand would survive an update: recreate it instead.
			action = Replace
		}
		switch action {
		case Create, Update, Keep:
			plan.Copies = append(plan.Copies, want)
		case Replace:
			// Left out, so Metacontroller deletes it; the next sync creates it.
			if reason == ImmutableChanged {
				plan.Replaced = append(plan.Replaced, Conflict{Reason: reason, Target: want.Ref(), Source: winner.Ref()})
			}
		case Block:
			plan.Conflicts = append(plan.Conflicts, Conflict{Reason: reason, Target: want.Ref(), Source: winner.Ref()})
			if reason == TypeMismatch {
				plan.Copies = append(plan.Copies, asIs(cur))
			}
		}
	}
	return plan
}

// hasKeysBeyond reports whether o holds data keys that want does not.
func hasKeysBeyond(o, want *Object) bool {
	for k := range o.Data {
		if _, ok := want.Data[k]; !ok {
			return true
		}
	}
	for k := range o.BinaryData {
		if _, ok := want.BinaryData[k]; !ok {
			return true
		}
	}
	return false
}

// asIs is a standing copy reduced to the fields the mirror writes, so that
// returning it changes nothing.
func asIs(o *Object) Object {
	return Object{
		Kind: o.Kind,
		ObjectMeta: metav1.ObjectMeta{
			Name:      o.Name,
			Namespace: o.Namespace,
			Labels:    o.Labels,
			Annotations: map[string]string{
				AnnotationSource:      o.Annotations[AnnotationSource],
				AnnotationContentHash: o.Annotations[AnnotationContentHash],
			},
		},
		Type:       o.Type,
		Data:       o.Data,
		BinaryData: o.BinaryData,
		Immutable:  o.Immutable,
	}
}

// byKindAndName groups sources that compete for the same objects, in a
// stable order so that answers do not change between identical calls.
func byKindAndName(sources []Source) [][]Source {
	type group struct {
		kind Kind
		name string
	}
	index := map[group]int{}
	var out [][]Source
	for _, s := range sources {
		g := group{s.Kind, s.Name}
		i, ok := index[g]
		if !ok {
			i = len(out)
			index[g] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], s)
	}
	slices.SortFunc(out, func(a, b []Source) int {
		return cmp.Or(cmp.Compare(a[0].Kind, b[0].Kind), cmp.Compare(a[0].Name, b[0].Name))
	})
	return out
}

// ConflictsAnnotation renders conflicts, and the sources that cannot be
// read, for the namespace annotation, one per line in a stable order; nil
// when there are none, which removes it.
func ConflictsAnnotation(conflicts []Conflict, invalid ...Invalid) *string {
	if len(conflicts)+len(invalid) == 0 {
		return nil
	}
	lines := make([]string, 0, len(conflicts)+len(invalid))
	for _, c := range conflicts {
		lines = append(lines, c.String())
	}
	for _, inv := range invalid {
		lines = append(lines, inv.String())
	}
	slices.Sort(lines)
	s := strings.Join(lines, "\n")
	return &s
}
