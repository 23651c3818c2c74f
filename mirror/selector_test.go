package mirror_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/hookops/hookops/mirror"
)

// selecting sets a source's to-namespace-selector annotation; to drops its
// to-namespaces annotation when empty.
func selecting(o mirror.Object, to, selector string) mirror.Object {
	o.Annotations = maps.Clone(o.Annotations)
	o.Annotations[mirror.AnnotationToNamespaceSelector] = selector
	if to == "" {
		delete(o.Annotations, mirror.AnnotationToNamespaces)
	} else {
		o.Annotations[mirror.AnnotationToNamespaces] = to
	}
	return o
}

// labelled is an accepting namespace with more labels.
func labelled(name string, kv ...string) mirror.Namespace {
	ns := accepting(name)[0]
	for i := 0; i+1 < len(kv); i += 2 {
		ns.Labels[kv[i]] = kv[i+1]
	}
	return ns
}

func TestParseSelector(t *testing.T) {
	cases := []struct {
		in      string
		none    bool   // no selector at all
		err     string // part of the error, if it is invalid
		matches map[string]string
	}{
		{in: "", none: true},
		{in: "  ", none: true},
		{in: "team=a", matches: map[string]string{"team": "a"}},
		{in: " team = a ", matches: map[string]string{"team": "a"}},
		{in: "team==a,tier!=db", matches: map[string]string{"team": "a", "tier": "web"}},
		{in: "env in (dev,test)", matches: map[string]string{"env": "test"}},
		{in: "env notin (prod)", matches: map[string]string{}},
		{in: "gpu", matches: map[string]string{"gpu": ""}},
		{in: "!legacy", matches: map[string]string{"team": "a"}},
		{in: "example.com/team=a", matches: map[string]string{"example.com/team": "a"}},
		{in: "env in (dev", err: "unable to parse requirement"},
		{in: "team=a tier=db", err: "expected: ',' or 'end of string'"},
		{in: "team=a,", err: "identifier after ','"},
		{in: ",", err: "expected"},
		{in: "team=no spaces", err: "expected"},
		{in: "team=" + strings.Repeat("x", 64), err: "must be no more than 63"},
		{in: "Bad Key=a", err: "expected"},
	}
	for _, c := range cases {
		sel, err := mirror.ParseSelector(c.in)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), mirror.AnnotationToNamespaceSelector) {
				t.Errorf("ParseSelector(%q) = %v, %v; want an error naming the annotation and %q", c.in, sel, err, c.err)
			}
		case err != nil:
			t.Errorf("ParseSelector(%q): %v", c.in, err)
		case c.none && sel != nil:
			t.Errorf("ParseSelector(%q) = %v, want none", c.in, sel)
		case !c.none && (sel == nil || !sel.Matches(labels.Set(c.matches))):
			t.Errorf("ParseSelector(%q) = %v, want one matching %v", c.in, sel, c.matches)
		}
	}
}

func TestParseSourceSelector(t *testing.T) {
	base := configMap("shared", "ca", 0, "", nil)
	cases := []struct {
		name, to, selector string
		source, invalid    bool
	}{
		{"selector only", "", "team=a", true, false},
		{"names and selector", "team-b", "team=a", true, false},
		{"blank selector, no names", "", " ", false, false},
		{"blank selector beside names", "team-b", "", true, false},
		{"invalid selector only", "", "env in (dev", true, true},
		{"invalid selector beside names", "team-b", "team=a tier=db", true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, ok := mirror.ParseSource(selecting(base, c.to, c.selector))
			if ok != c.source {
				t.Fatalf("ParseSource: source %v, want %v", ok, c.source)
			}
			if got := s.Err != nil; got != c.invalid {
				t.Errorf("Err = %v, want invalid %v", s.Err, c.invalid)
			}
			if inv := s.Invalid(); (inv != nil) != c.invalid || (inv != nil && (inv.Reason != mirror.InvalidSelector || inv.Source != s.Ref())) {
				t.Errorf("Invalid() = %+v", inv)
			}
		})
	}
}

func TestWantsUnion(t *testing.T) {
	src := source(selecting(configMap("shared", "ca", 0, "", nil), "team-a, ops-*", "tier in (gold,silver),!legacy"))
	invalid := source(selecting(configMap("shared", "ca", 0, "", nil), "team-a", "tier in (gold"))
	cases := []struct {
		name string
		ns   mirror.Namespace
		want bool
	}{
		{"named, no labels", labelled("team-a"), true},
		{"globbed, no labels", labelled("ops-eu"), true},
		{"selected by labels only", labelled("shop", "tier", "gold"), true},
		{"named, labels do not match", labelled("team-a", "tier", "bronze"), true},
		{"neither", labelled("shop", "tier", "bronze"), false},
		{"selector excludes it", labelled("shop", "tier", "gold", "legacy", "yes"), false},
		{"selected but not accepting", mirror.Namespace{Name: "shop", Labels: map[string]string{"tier": "gold"}}, false},
		{"selected but terminating", mirror.Namespace{Name: "shop", Labels: map[string]string{mirror.LabelAccept: "true", "tier": "gold"}, Terminating: true}, false},
		{"selected but the source's own", labelled("shared", "tier", "gold"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := src.Wants(c.ns); got != c.want {
				t.Errorf("Wants = %v, want %v", got, c.want)
			}
			if invalid.Wants(c.ns) || invalid.Selects(c.ns) {
				t.Error("a source with an invalid selector wants a namespace")
			}
		})
	}
	// Selects ignores consent: it is what a namespace event is checked
	// against, and a namespace that stops accepting must be looked at too.
	if !src.Selects(mirror.Namespace{Name: "shop", Labels: map[string]string{"tier": "gold"}}) {
		t.Error("Selects looks at the accept label")
	}
}

func TestNamespaceChanged(t *testing.T) {
	acc := func(kv ...string) mirror.Namespace { return labelled("a", kv...) }
	closed := mirror.Namespace{Name: "a", Labels: map[string]string{"tier": "gold"}}
	closedOther := mirror.Namespace{Name: "a", Labels: map[string]string{"tier": "bronze"}}
	terminating := acc()
	terminating.Terminating = true
	cases := []struct {
		name     string
		old, cur mirror.Namespace
		want     bool
	}{
		{"nothing changed", acc("tier", "gold"), acc("tier", "gold"), false},
		{"label changed", acc("tier", "gold"), acc("tier", "bronze"), true},
		{"label added", acc(), acc("tier", "gold"), true},
		{"label removed", acc("tier", "gold"), acc(), true},
		{"starts accepting", closed, acc("tier", "gold"), true},
		{"stops accepting", acc("tier", "gold"), closed, true},
		{"starts terminating", acc(), terminating, true},
		{"labels of a namespace that does not accept", closed, closedOther, false},
	}
	for _, c := range cases {
		if got := mirror.NamespaceChanged(c.old, c.cur); got != c.want {
			t.Errorf("%s: NamespaceChanged = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPlanSourceSelector(t *testing.T) {
	src := source(selecting(configMap("shared", "ca", 10, "", map[string]string{"k": "v"}), "team-a", "tier=gold"))
	namespaces := []mirror.Namespace{
		labelled("team-a"), labelled("gold-1", "tier", "gold"), labelled("gold-2", "tier", "gold"),
		labelled("bronze", "tier", "bronze"), {Name: "closed", Labels: map[string]string{"tier": "gold"}},
	}
	standing := map[string]*mirror.Object{"bronze": copyIn(src, "bronze"), "closed": copyIn(src, "closed")}
	plan := mirror.PlanSource(src.Ref(), []mirror.Source{src}, namespaces, standing)
	want := []string{"Create gold-1", "Create gold-2", "Create team-a", "Delete bronze", "Delete closed"}
	if got := summary(plan.Steps, nil, plan.Conflicts); !slices.Equal(got, want) || plan.Invalid != nil {
		t.Errorf("plan:\n got %q (invalid %v)\nwant %q", got, plan.Invalid, want)
	}
}

// A source whose selector does not parse keeps its copies as they are and
// no rival takes them over, except where a namespace stopped accepting.
func TestPlanSourceInvalid(t *testing.T) {
	valid := configMap("shared", "ca", 10, "team-*", map[string]string{"k": "v"})
	before := source(valid)
	broken := source(selecting(valid, "team-*", "tier in (gold"))
	broken.Data = map[string]string{"k": "changed meanwhile"}
	rival := source(configMap("other", "ca", 20, "team-*", map[string]string{"k": "rival"}))
	closed := mirror.Namespace{Name: "team-c"}
	namespaces := append(accepting("team-a", "team-b", "team-new"), closed)
	standing := map[string]*mirror.Object{
		"team-a": copyIn(before, "team-a"),
		"team-b": copyIn(before, "team-b"),
		"team-c": copyIn(before, "team-c"),
	}

	plan := mirror.PlanSource(broken.Ref(), []mirror.Source{broken, rival}, namespaces, standing)
	if got, want := summary(plan.Steps, nil, plan.Conflicts), []string{"Delete team-c"}; !slices.Equal(got, want) {
		t.Errorf("invalid source: got %q, want %q", got, want)
	}
	if plan.Invalid == nil || plan.Invalid.Source != broken.Ref() || !strings.Contains(plan.Invalid.String(), "tier in (gold") {
		t.Errorf("Invalid = %+v", plan.Invalid)
	}

	plan = mirror.PlanSource(rival.Ref(), []mirror.Source{broken, rival}, namespaces, standing)
	want := []string{"Create team-new", "Held team-a", "Held team-b"}
	if got := summary(plan.Steps, nil, plan.Conflicts); !slices.Equal(got, want) || plan.Invalid != nil {
		t.Errorf("rival: got %q, want %q", got, want)
	}
	if c := plan.Conflicts[0]; c.Winner != broken.Ref() || !strings.Contains(c.String(), "holds the copy of shared/ca") {
		t.Errorf("held conflict %+v: %s", c, c)
	}

	// Gone, the usual rules apply again: its copies go, or the rival takes
	// them over.
	plan = mirror.PlanSource(broken.Ref(), nil, namespaces, standing)
	if got, want := summary(plan.Steps, nil, plan.Conflicts), []string{"Delete team-a", "Delete team-b", "Delete team-c"}; !slices.Equal(got, want) {
		t.Errorf("source gone: got %q, want %q", got, want)
	}
	plan = mirror.PlanSource(rival.Ref(), []mirror.Source{rival}, namespaces, standing)
	if got, want := summary(plan.Steps, nil, plan.Conflicts), []string{"Create team-new", "Update team-a", "Update team-b"}; !slices.Equal(got, want) {
		t.Errorf("rival alone: got %q, want %q", got, want)
	}
}

func TestPlanNamespaceInvalid(t *testing.T) {
	ns := labelled("team-a", "tier", "gold")
	valid := configMap("shared", "ca", 10, "", map[string]string{"k": "v"})
	before := source(selecting(valid, "", "tier=gold"))
	broken := source(selecting(valid, "", "tier=gold tier=silver"))
	rival := source(configMap("other", "ca", 20, "team-*", map[string]string{"k": "rival"}))
	brokenSettings := source(selecting(configMap("shared", "settings", 0, "", nil), "team-a", "("))
	mine := func(*mirror.Object) bool { return true }
	nobody := func(*mirror.Object) bool { return false }
	held := copyIn(before, "team-a")
	held.UID, held.ResourceVersion = "uid-1", "7"
	place := held.Ref()

	cases := []struct {
		name     string
		ns       mirror.Namespace
		sources  []mirror.Source
		standing map[mirror.Ref]*mirror.Object
		ours     func(*mirror.Object) bool
		want     []string
		invalid  int
	}{
		{"its copy is returned as it is", ns, []mirror.Source{broken}, map[mirror.Ref]*mirror.Object{place: held}, mine,
			[]string{"copy team-a from shared/ca"}, 1},
		{"a rival does not take the copy over", ns, []mirror.Source{broken, rival}, map[mirror.Ref]*mirror.Object{place: held}, mine,
			[]string{"Held team-a", "copy team-a from shared/ca"}, 1},
		{"a copy that is not ours is not adopted", ns, []mirror.Source{broken}, map[mirror.Ref]*mirror.Object{place: held}, nobody,
			nil, 1},
		{"nothing new is copied", ns, []mirror.Source{broken, brokenSettings}, nil, mine, nil, 2},
		{"a rival copies where it holds nothing", ns, []mirror.Source{broken, rival}, nil, mine,
			[]string{"copy team-a from other/ca"}, 1},
		{"a namespace that does not accept keeps nothing and reports nothing", mirror.Namespace{Name: "team-a", Labels: map[string]string{"tier": "gold"}},
			[]mirror.Source{broken}, map[mirror.Ref]*mirror.Object{place: held}, mine, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan := mirror.PlanNamespace(c.ns, c.sources, c.standing, c.ours)
			if got := summary(nil, plan.Copies, plan.Conflicts); !slices.Equal(got, c.want) {
				t.Errorf("plan:\n got %q\nwant %q", got, c.want)
			}
			if len(plan.Invalid) != c.invalid {
				t.Errorf("invalid %+v, want %d", plan.Invalid, c.invalid)
			}
			for _, cp := range plan.Copies {
				if cp.Annotations[mirror.AnnotationSource] == "shared/ca" && (cp.Data["k"] != "v" || cp.UID != "" || cp.ResourceVersion != "") {
					t.Errorf("held copy %+v, want it as it stands without server fields", cp)
				}
			}
		})
	}
}

func TestConflictsAnnotationInvalid(t *testing.T) {
	a := source(selecting(configMap("s", "a", 0, "", nil), "", "env in (dev"))
	b := source(selecting(configMap("s", "b", 0, "", nil), "", "!"))
	invalid := mirror.InvalidSources([]mirror.Source{b, source(configMap("s", "ok", 0, "*", nil)), a})
	if len(invalid) != 2 || invalid[0].Source.Name != "a" {
		t.Fatalf("InvalidSources = %+v, want a then b", invalid)
	}
	ann := mirror.ConflictsAnnotation(nil, invalid...)
	if ann == nil {
		t.Fatal("invalid sources alone leave no annotation")
	}
	lines := strings.Split(*ann, "\n")
	want := `ConfigMap s/a: invalid mirror.hookops.dev/to-namespace-selector "env in (dev": `
	if len(lines) != 2 || !strings.HasPrefix(lines[0], want) || !strings.HasSuffix(lines[0], "nothing is copied from it and its copies are left as they are until it is fixed") {
		t.Errorf("annotation:\n%s\nwant 2 lines, the first starting %q", *ann, want)
	}
}
