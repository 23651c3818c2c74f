package mirror

import (
	"fmt"
	"slices"
	"strings"
)

// AnnotationCopies on a source: where its copies stand, as Summary renders
// it ("current 12/14; blocked: team-b (...), ..."), at most
// MaxCopiesAnnotation bytes.
const AnnotationCopies = Prefix + "copies"

// MaxCopiesAnnotation bounds the copies annotation, so that a source
// wanted by thousands of namespaces stays a small object: the namespaces
// that do not fit are counted ("and 7 more").
const MaxCopiesAnnotation = 1024

// CopiesStatus is where the copies of one source stand.
type CopiesStatus struct {
	// Wanted are the namespaces the source asks for and that accept it.
	Wanted []string
	// Blocked are the source's conflicts: the wanted namespaces it cannot
	// write its copy into, and why.
	Blocked []Conflict
	// Pending are wanted namespaces, not blocked, whose copy is not up to
	// date yet (a write failed or is still to come).
	Pending []string
}

// Current is how many wanted namespaces hold an up-to-date copy.
func (s CopiesStatus) Current() int {
	return len(s.Wanted) - len(s.Blocked) - len(s.Pending)
}

// StatusAfterSync is where the copies of src stand once a sync has carried
// out its plan: conflicts are those the plan and its writes met, failed the
// namespaces whose write failed. Every other wanted namespace holds its copy.
func StatusAfterSync(src Source, namespaces []Namespace, conflicts []Conflict, failed []string) CopiesStatus {
	st := CopiesStatus{Wanted: wanted(src, namespaces)}
	blocked := map[string]bool{}
	for _, c := range conflicts {
		if c.Source != src.Ref() || blocked[c.Target.Namespace] {
			continue
		}
		blocked[c.Target.Namespace] = true
		st.Blocked = append(st.Blocked, c)
	}
	for _, ns := range failed {
		if !blocked[ns] && slices.Contains(st.Wanted, ns) && !slices.Contains(st.Pending, ns) {
			st.Pending = append(st.Pending, ns)
		}
	}
	return st
}

// StatusFromStanding is where the copies of src stand, judged from what stands
// in each namespace: standing maps a namespace to the object of the copy's
// kind and name there (a copy or not), sources holds every source of that
// kind and name, and ours says which standing objects the caller may change.
// It decides as PlanNamespace does, so both agree on what is blocked.
func StatusFromStanding(src Source, sources []Source, namespaces []Namespace, standing map[string]*Object, ours func(*Object) bool) CopiesStatus {
	st := CopiesStatus{Wanted: wanted(src, namespaces)}
	hash := Hash(&src.Object)
	for _, ns := range namespaces {
		if !slices.Contains(st.Wanted, ns.Name) {
			continue
		}
		if c := Claimants(sources, ns); len(c) > 0 && c[0].Ref() != src.Ref() {
			st.Blocked = append(st.Blocked, Conflict{Reason: Contended, Target: target(src.Ref(), ns), Source: src.Ref(), Winner: c[0].Ref()})
			continue
		}
		want := src.copyFor(ns.Name, hash)
		cur := standing[ns.Name]
		switch action, reason := Decide(&want, cur, cur != nil && ours(cur)); action {
		case Keep:
		case Block:
			st.Blocked = append(st.Blocked, Conflict{Reason: reason, Target: want.Ref(), Source: src.Ref()})
		default:
			st.Pending = append(st.Pending, ns.Name)
		}
	}
	return st
}

// wanted lists, sorted, the namespaces src wants a copy in.
func wanted(src Source, namespaces []Namespace) []string {
	var out []string
	for _, ns := range namespaces {
		if src.Wants(ns) {
			out = append(out, ns.Name)
		}
	}
	slices.Sort(out)
	return out
}

// Summary renders the status for the copies annotation and Events: the
// count of current copies, then the blocked namespaces with the reason and
// the pending ones, each sorted by namespace, so that the same standing
// always gives the same text. Namespaces beyond MaxCopiesAnnotation are
// counted, not named.
func (s CopiesStatus) Summary() string {
	head := fmt.Sprintf("current %d/%d", s.Current(), len(s.Wanted))
	blocked := slices.Clone(s.Blocked)
	slices.SortFunc(blocked, func(a, b Conflict) int { return strings.Compare(a.Target.Namespace, b.Target.Namespace) })
	var items []string
	for _, c := range blocked {
		items = append(items, c.Target.Namespace+" ("+c.short()+")")
	}
	nBlocked := len(items)
	pending := slices.Sorted(slices.Values(s.Pending))
	items = append(items, pending...)
	return bounded(head, items, nBlocked, MaxCopiesAnnotation)
}

// bounded joins head, the first nBlocked items as "blocked: ..." and the
// rest as "pending: ...". Items are taken in order while they fit in max
// bytes with room left to say how many were left out.
func bounded(head string, items []string, nBlocked, max int) string {
	if s := render(head, items, nBlocked, 0); len(s) <= max {
		return s
	}
	room := max - len(head) - len("; blocked: ; pending: ; and 99999 more")
	keep := 0
	for _, it := range items {
		if room -= len(it) + len(", "); room < 0 {
			break
		}
		keep++
	}
	return render(head, items[:keep], min(nBlocked, keep), len(items)-keep)
}

func render(head string, items []string, nBlocked, more int) string {
	var b strings.Builder
	b.WriteString(head)
	if nBlocked > 0 {
		b.WriteString("; blocked: " + strings.Join(items[:nBlocked], ", "))
	}
	if len(items) > nBlocked {
		b.WriteString("; pending: " + strings.Join(items[nBlocked:], ", "))
	}
	if more > 0 {
		fmt.Fprintf(&b, "; and %d more", more)
	}
	return b.String()
}

// short is why a copy is blocked, in a few words for the summary.
func (c Conflict) short() string {
	switch c.Reason {
	case Occupied:
		return "a " + string(c.Target.Kind) + " not made by the mirror"
	case TypeMismatch:
		return "a copy of another Secret type"
	case Contended:
		return "taken by " + c.Winner.Path()
	}
	return string(c.Reason)
}
