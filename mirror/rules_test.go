package mirror_test

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/hookops/hookops/mirror"
)

// immutableSource is an immutable ConfigMap source of shared/ca.
func immutableSource(data string) mirror.Source {
	o := configMap("shared", "ca", 0, "team-*", map[string]string{"k": data})
	o.Immutable = true
	return source(o)
}

func TestHashImmutable(t *testing.T) {
	mutable := &mirror.Object{Kind: mirror.ConfigMap, Data: map[string]string{"k": "v"}}
	immutable := &mirror.Object{Kind: mirror.ConfigMap, Data: map[string]string{"k": "v"}, Immutable: true}
	if mirror.Hash(mutable) == mirror.Hash(immutable) {
		t.Error("immutability does not change the hash")
	}
	// The hash of a mutable object is what it was before immutability was
	// hashed, so upgrading rewrites no copy.
	const before = "sha256:18a850fb1281d03cd8691a13d0d2c4a9a05cb1058e5251c978178db3b20b2579"
	if h := mirror.Hash(mutable); h != before {
		t.Errorf("hash %q, want %q as before", h, before)
	}
}

func TestDecideImmutable(t *testing.T) {
	newer := immutableSource("new")
	want := newer.CopyFor("team-a")
	oldCopy := copyIn(immutableSource("old"), "team-a")
	relabelled := copyIn(newer, "team-a")
	relabelled.Labels["app"] = "renamed"
	mutableCopy := copyIn(source(configMap("shared", "ca", 0, "team-*", map[string]string{"k": "old"})), "team-a")
	mutableWant := *copyIn(source(configMap("shared", "ca", 0, "team-*", map[string]string{"k": "new"})), "team-a")
	sameDataImmutable := copyIn(source(configMap("shared", "ca", 0, "team-*", map[string]string{"k": "new"})), "team-a")
	sameDataImmutable.Immutable = true

	cases := []struct {
		name     string
		want     *mirror.Object
		standing *mirror.Object
		ours     bool
		action   mirror.Action
		reason   mirror.Reason
	}{
		{"immutable copy up to date", &want, copyIn(newer, "team-a"), true, mirror.Keep, ""},
		{"immutable copy, source replaced with new content", &want, oldCopy, true, mirror.Replace, mirror.ImmutableChanged},
		{"immutable copy, only labels differ: metadata may change", &want, relabelled, true, mirror.Update, ""},
		{"mutable copy of a source made immutable: set in place", &want, mutableCopy, true, mirror.Update, ""},
		{"immutable copy of a source made mutable again (replaced)", &mutableWant, sameDataImmutable, true, mirror.Replace, mirror.ImmutableChanged},
		{"an immutable object that is not ours is never replaced", &want, oldCopy, false, mirror.Block, mirror.Occupied},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			action, reason := mirror.Decide(c.want, c.standing, c.ours)
			if action != c.action || reason != c.reason {
				t.Errorf("Decide = %s %q, want %s %q", action, reason, c.action, c.reason)
			}
		})
	}
}

func TestCopyForImmutable(t *testing.T) {
	s := immutableSource("v")
	c := s.CopyFor("team-a")
	if !c.Immutable || c.Annotations[mirror.AnnotationContentHash] != mirror.Hash(&s.Object) {
		t.Errorf("copy immutable %v, hash %q", c.Immutable, c.Annotations[mirror.AnnotationContentHash])
	}
	if cm := c.ConfigMap(); cm.Immutable == nil || !*cm.Immutable {
		t.Error("ConfigMap() drops immutable")
	}
	if sec := (&mirror.Object{Kind: mirror.Secret, Immutable: true}).Secret(); sec.Immutable == nil || !*sec.Immutable {
		t.Error("Secret() drops immutable")
	}
	if cm := (&mirror.Object{Kind: mirror.ConfigMap}).ConfigMap(); cm.Immutable != nil {
		t.Error("a mutable object is written with immutable: false rather than unset")
	}
	yes := true
	if !mirror.FromConfigMap(&corev1.ConfigMap{Immutable: &yes}).Immutable || !mirror.FromSecret(&corev1.Secret{Immutable: &yes}).Immutable {
		t.Error("FromConfigMap or FromSecret drops immutable")
	}
}

func TestApplyImmutable(t *testing.T) {
	want := *copyIn(immutableSource("v"), "team-a")
	cur := copyIn(source(configMap("shared", "ca", 0, "team-*", map[string]string{"k": "v"})), "team-a")
	if got := mirror.Apply(&want, cur); !got.Immutable || !mirror.Matches(&want, &got) {
		t.Errorf("applied: immutable %v", got.Immutable)
	}
}

func TestPlanSourceImmutableReplaced(t *testing.T) {
	src := immutableSource("new")
	plan := mirror.PlanSource(src.Ref(), []mirror.Source{src}, accepting("team-a", "team-b"),
		map[string]*mirror.Object{"team-a": copyIn(immutableSource("old"), "team-a"), "team-b": copyIn(src, "team-b")})
	if len(plan.Steps) != 1 || plan.Steps[0].Action != mirror.Replace {
		t.Fatalf("steps %+v", plan.Steps)
	}
	r, ok := plan.Steps[0].Replaced()
	if !ok || r.Reason != mirror.ImmutableChanged || r.Target.Namespace != "team-a" || r.Source != src.Ref() {
		t.Errorf("Replaced() = %+v, %v", r, ok)
	}
	if !plan.Steps[0].Want.Immutable || plan.Steps[0].Want.Data["k"] != "new" {
		t.Errorf("replacement %+v", plan.Steps[0].Want)
	}
	other := mirror.Step{Action: mirror.Replace, Want: src.CopyFor("team-a")}
	if _, ok := other.Replaced(); ok {
		t.Error("a Replace for another reason is reported as an immutable one")
	}
}

func TestPlanNamespaceImmutableReplaced(t *testing.T) {
	ns := accepting("team-a")[0]
	src := immutableSource("new")
	old := copyIn(immutableSource("old"), "team-a")
	standing := map[mirror.Ref]*mirror.Object{old.Ref(): old}
	plan := mirror.PlanNamespace(ns, []mirror.Source{src}, standing, func(*mirror.Object) bool { return true })
	if len(plan.Copies) != 0 || len(plan.Conflicts) != 0 {
		t.Fatalf("copies %d conflicts %v: a stale immutable copy must be left out, so that it is deleted", len(plan.Copies), plan.Conflicts)
	}
	if len(plan.Replaced) != 1 || plan.Replaced[0].Reason != mirror.ImmutableChanged || plan.Replaced[0].Target != old.Ref() {
		t.Errorf("replaced %+v", plan.Replaced)
	}
	// The next sync, once it is gone, creates it with the new content.
	plan = mirror.PlanNamespace(ns, []mirror.Source{src}, nil, func(*mirror.Object) bool { return true })
	if len(plan.Copies) != 1 || !plan.Copies[0].Immutable || plan.Copies[0].Data["k"] != "new" || len(plan.Replaced) != 0 {
		t.Errorf("next sync: %+v", plan)
	}
}

// A source whose label list is malformed is reported, like one whose
// selector is: its copies are neither created, changed nor deleted, and no
// rival takes them over, until it is fixed. A namespace that stops
// accepting still loses them.
func TestPlanInvalidSource(t *testing.T) {
	bad := func(data string, to string) mirror.Source {
		o := configMap("shared", "ca", 0, to, map[string]string{"k": data})
		o.Annotations[mirror.AnnotationStripLabels] = "not a key"
		return source(o)
	}
	src := bad("new", "team-*")
	stale := copyIn(source(configMap("shared", "ca", 0, "team-*", map[string]string{"k": "old"})), "team-a")
	rival := source(configMap("zz", "ca", 5, "team-*", map[string]string{"k": "zz"}))

	cases := []struct {
		name       string
		sources    []mirror.Source
		namespaces []mirror.Namespace
		standing   map[string]*mirror.Object
		want       []string
	}{
		{"nothing new is created", []mirror.Source{src}, accepting("team-a"), nil, nil},
		{"a stale copy is not updated", []mirror.Source{src}, accepting("team-a"), map[string]*mirror.Object{"team-a": stale}, nil},
		{"a copy no longer wanted is not deleted", []mirror.Source{bad("new", "prod-*")}, accepting("team-a"), map[string]*mirror.Object{"team-a": stale}, nil},
		{"a namespace that stops accepting loses it", []mirror.Source{src}, []mirror.Namespace{{Name: "team-a"}}, map[string]*mirror.Object{"team-a": stale}, []string{"Delete team-a"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan := mirror.PlanSource(src.Ref(), c.sources, c.namespaces, c.standing)
			if got := summary(plan.Steps, nil, plan.Conflicts); !slices.Equal(got, c.want) {
				t.Errorf("plan:\n got %q\nwant %q", got, c.want)
			}
			if plan.Invalid == nil || plan.Invalid.Reason != mirror.InvalidSource || !strings.Contains(plan.Invalid.String(), mirror.AnnotationStripLabels) {
				t.Errorf("invalid = %+v, want InvalidSource naming %s", plan.Invalid, mirror.AnnotationStripLabels)
			}
		})
	}

	t.Run("a newer rival does not take the place over", func(t *testing.T) {
		plan := mirror.PlanSource(rival.Ref(), []mirror.Source{src, rival}, accepting("team-a"), map[string]*mirror.Object{"team-a": stale})
		if got := summary(plan.Steps, nil, plan.Conflicts); !slices.Equal(got, []string{"Held team-a"}) {
			t.Errorf("rival's plan %q", got)
		}
	})

	ns := accepting("team-a")[0]
	ours := func(*mirror.Object) bool { return true }
	nsCases := []struct {
		name     string
		sources  []mirror.Source
		ns       mirror.Namespace
		standing map[mirror.Ref]*mirror.Object
		want     []string
	}{
		{"nothing new is created", []mirror.Source{src}, ns, nil, nil},
		{"a stale copy is kept as it is", []mirror.Source{src}, ns, map[mirror.Ref]*mirror.Object{stale.Ref(): stale}, []string{"copy team-a from shared/ca"}},
		{"a copy no longer wanted is kept", []mirror.Source{bad("new", "prod-*")}, ns, map[mirror.Ref]*mirror.Object{stale.Ref(): stale}, []string{"copy team-a from shared/ca"}},
		{"a namespace that stops accepting loses it", []mirror.Source{src}, mirror.Namespace{Name: "team-a"}, map[mirror.Ref]*mirror.Object{stale.Ref(): stale}, nil},
		{"a rival waits", []mirror.Source{src, rival}, ns, map[mirror.Ref]*mirror.Object{stale.Ref(): stale}, []string{"Held team-a", "copy team-a from shared/ca"}},
	}
	for _, c := range nsCases {
		t.Run("namespace: "+c.name, func(t *testing.T) {
			plan := mirror.PlanNamespace(c.ns, c.sources, c.standing, ours)
			if got := summary(nil, plan.Copies, plan.Conflicts); !slices.Equal(got, c.want) {
				t.Errorf("plan:\n got %q\nwant %q", got, c.want)
			}
			for _, cp := range plan.Copies {
				if cp.Data["k"] != "old" {
					t.Errorf("the kept copy changed: %v", cp.Data)
				}
			}
			if wantReport := c.ns.Accepts(); (len(plan.Invalid) == 1) != wantReport {
				t.Errorf("invalid = %+v, want reported: %v", plan.Invalid, wantReport)
			}
		})
	}
}

// A copy made before the rules (by an older version, or while keep-labels
// named the label) loses a GitOps label: it no longer matches.
func TestDecideDropsGitOpsLabel(t *testing.T) {
	o := configMap("shared", "ca", 0, "*", map[string]string{"k": "v"})
	o.Labels["app.kubernetes.io/instance"] = "platform"
	s := source(o)
	want := s.CopyFor("team-a")
	old := copyIn(s, "team-a")
	old.Labels["app.kubernetes.io/instance"] = "platform"
	if action, _ := mirror.Decide(&want, old, true); action != mirror.Update {
		t.Errorf("Decide = %s, want Update", action)
	}
	if got := mirror.Apply(&want, old); got.Labels["app.kubernetes.io/instance"] != "" {
		t.Errorf("Apply kept the label: %v", got.Labels)
	}
}
