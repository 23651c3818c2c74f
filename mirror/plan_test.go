package mirror_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/hookops/hookops/mirror"
)

// summary renders steps and conflicts as "action namespace" and
// "reason namespace" lines, sorted, for comparing with a table.
func summary(steps []mirror.Step, copies []mirror.Object, conflicts []mirror.Conflict) []string {
	var out []string
	for _, s := range steps {
		ns := s.Want.Namespace
		if s.Current != nil {
			ns = s.Current.Namespace
		}
		out = append(out, fmt.Sprintf("%s %s", s.Action, ns))
	}
	for _, c := range copies {
		out = append(out, fmt.Sprintf("copy %s from %s", c.Namespace, c.Annotations[mirror.AnnotationSource]))
	}
	for _, c := range conflicts {
		out = append(out, fmt.Sprintf("%s %s", c.Reason, c.Target.Namespace))
	}
	slices.Sort(out)
	return out
}

func TestPlanSource(t *testing.T) {
	src := source(configMap("shared", "ca", 10, "team-*", map[string]string{"k": "v"}))
	older := source(configMap("legacy", "ca", 0, "team-b", map[string]string{"k": "legacy"}))
	newer := source(configMap("zz", "ca", 20, "team-a", map[string]string{"k": "zz"}))
	stale := copyIn(source(configMap("shared", "ca", 10, "team-*", map[string]string{"k": "old"})), "team-a")
	notAccepting := mirror.Namespace{Name: "team-x"}
	terminating := mirror.Namespace{Name: "team-t", Labels: map[string]string{mirror.LabelAccept: "true"}, Terminating: true}

	cases := []struct {
		name       string
		sources    []mirror.Source
		namespaces []mirror.Namespace
		standing   map[string]*mirror.Object
		want       []string
	}{
		{
			name:       "creates in every accepting namespace that matches",
			sources:    []mirror.Source{src},
			namespaces: append(accepting("team-a", "team-b", "other", "shared"), notAccepting),
			want:       []string{"Create team-a", "Create team-b"},
		},
		{
			name:       "up-to-date copies need nothing, stale ones an update",
			sources:    []mirror.Source{src},
			namespaces: accepting("team-a", "team-b"),
			standing:   map[string]*mirror.Object{"team-a": stale, "team-b": copyIn(src, "team-b")},
			want:       []string{"Update team-a"},
		},
		{
			name:       "source gone: its copies are deleted",
			sources:    nil,
			namespaces: accepting("team-a", "team-b"),
			standing:   map[string]*mirror.Object{"team-a": copyIn(src, "team-a"), "team-b": copyIn(src, "team-b")},
			want:       []string{"Delete team-a", "Delete team-b"},
		},
		{
			name:       "namespace stopped accepting: the copy there is deleted",
			sources:    []mirror.Source{src},
			namespaces: append(accepting("team-a"), mirror.Namespace{Name: "team-b"}),
			standing:   map[string]*mirror.Object{"team-a": copyIn(src, "team-a"), "team-b": copyIn(src, "team-b")},
			want:       []string{"Delete team-b"},
		},
		{
			name:       "a foreign object is never touched and is reported",
			sources:    []mirror.Source{src},
			namespaces: accepting("team-a"),
			standing:   map[string]*mirror.Object{"team-a": foreign(mirror.ConfigMap, "team-a", "ca")},
			want:       []string{"Occupied team-a"},
		},
		{
			name:       "a foreign object is not deleted when the source goes",
			sources:    nil,
			namespaces: accepting("team-a"),
			standing:   map[string]*mirror.Object{"team-a": foreign(mirror.ConfigMap, "team-a", "ca")},
			want:       nil,
		},
		{
			name:       "copies of other sources are not deleted",
			sources:    nil,
			namespaces: accepting("team-a"),
			standing:   map[string]*mirror.Object{"team-a": copyIn(older, "team-a")},
			want:       nil,
		},
		{
			name:       "an older source wins a namespace both want",
			sources:    []mirror.Source{src, older},
			namespaces: accepting("team-a", "team-b"),
			want:       []string{"Contended team-b", "Create team-a"},
		},
		{
			name:       "the winner takes over the loser's copy",
			sources:    []mirror.Source{src, newer},
			namespaces: accepting("team-a"),
			standing:   map[string]*mirror.Object{"team-a": copyIn(newer, "team-a")},
			want:       []string{"Update team-a"},
		},
		{
			name:       "terminating namespaces are left to the namespace controller",
			sources:    []mirror.Source{src},
			namespaces: []mirror.Namespace{terminating},
			standing:   map[string]*mirror.Object{"team-t": copyIn(src, "team-t")},
			want:       nil,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan := mirror.PlanSource(src.Ref(), c.sources, c.namespaces, c.standing)
			if got := summary(plan.Steps, nil, plan.Conflicts); !slices.Equal(got, c.want) {
				t.Errorf("plan:\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

// The loser leaves its copy for the winner and reports; once the winner is
// the only one, the loser's copy is deleted only where nobody wants it.
func TestPlanSourceLoser(t *testing.T) {
	winner := source(configMap("a", "ca", 0, "team-a", nil))
	loser := source(configMap("b", "ca", 5, "team-*", nil))
	standing := map[string]*mirror.Object{"team-a": copyIn(loser, "team-a"), "team-b": copyIn(loser, "team-b")}

	plan := mirror.PlanSource(loser.Ref(), []mirror.Source{winner, loser}, accepting("team-a", "team-b"), standing)
	if got, want := summary(plan.Steps, nil, plan.Conflicts), []string{"Contended team-a"}; !slices.Equal(got, want) {
		t.Errorf("loser: got %q, want %q", got, want)
	}
	if c := plan.Conflicts[0]; c.Winner != winner.Ref() || !strings.Contains(c.String(), "a/ca wins") {
		t.Errorf("conflict %+v: %s", c, c)
	}

	plan = mirror.PlanSource(loser.Ref(), []mirror.Source{winner}, accepting("team-a", "team-b"), standing)
	if got, want := summary(plan.Steps, nil, plan.Conflicts), []string{"Delete team-b"}; !slices.Equal(got, want) {
		t.Errorf("loser gone: got %q, want %q", got, want)
	}
}

func TestPlanSourceSecretTypes(t *testing.T) {
	opaque := source(secret("shared", "reg", 0, "*", corev1.SecretTypeOpaque, map[string][]byte{"k": []byte("v")}))
	sameSourceTLS := copyIn(opaque, "team-a")
	sameSourceTLS.Type = corev1.SecretTypeTLS
	otherSourceTLS := copyIn(source(secret("gone", "reg", 0, "*", corev1.SecretTypeTLS, nil)), "team-b")
	token := secret("shared", "reg", 0, "*", corev1.SecretTypeServiceAccountToken, nil)

	plan := mirror.PlanSource(opaque.Ref(), []mirror.Source{opaque}, accepting("team-a", "team-b"),
		map[string]*mirror.Object{"team-a": sameSourceTLS, "team-b": otherSourceTLS})
	if got, want := summary(plan.Steps, nil, plan.Conflicts), []string{"Replace team-b", "TypeMismatch team-a"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, ok := mirror.ParseSource(token); ok {
		t.Fatal("a service-account token is a source")
	}
	// A token that was labelled is not a source, so its key only deletes.
	plan = mirror.PlanSource(token.Ref(), nil, accepting("team-a"), nil)
	if len(plan.Steps)+len(plan.Conflicts) != 0 {
		t.Errorf("token plan %+v", plan)
	}
}

func TestPlanNamespace(t *testing.T) {
	ns := accepting("team-a")[0]
	ca := source(configMap("shared", "ca", 10, "team-*", map[string]string{"k": "v"}))
	caOlder := source(configMap("legacy", "ca", 0, "team-a", map[string]string{"k": "legacy"}))
	settings := source(configMap("shared", "settings", 0, "*", nil))
	elsewhere := source(configMap("shared", "other", 0, "prod-*", nil))
	reg := source(secret("shared", "reg", 0, "*", corev1.SecretTypeDockerConfigJson, map[string][]byte{".dockerconfigjson": []byte("{}")}))
	own := source(configMap("team-a", "local", 0, "*", nil)) // a source in the target namespace itself
	ownedByUs := func(o *mirror.Object) bool { return o.Labels["owned"] == "yes" }
	owned := func(o *mirror.Object) *mirror.Object {
		o.Labels["owned"] = "yes"
		return o
	}
	key := func(kind mirror.Kind, name string) mirror.Ref {
		return mirror.Ref{Kind: kind, Namespace: "team-a", Name: name}
	}
	regTLS := owned(copyIn(reg, "team-a"))
	regTLS.Type = corev1.SecretTypeTLS
	regOtherTLS := owned(copyIn(source(secret("gone", "reg", 0, "*", corev1.SecretTypeTLS, nil)), "team-a"))

	cases := []struct {
		name     string
		sources  []mirror.Source
		standing map[mirror.Ref]*mirror.Object
		want     []string
	}{
		{
			name:    "every source that wants the namespace, and only those",
			sources: []mirror.Source{ca, settings, elsewhere, reg, own},
			want:    []string{"copy team-a from shared/ca", "copy team-a from shared/reg", "copy team-a from shared/settings"},
		},
		{
			name:     "our copies are returned whether or not they changed",
			sources:  []mirror.Source{ca, settings},
			standing: map[mirror.Ref]*mirror.Object{key(mirror.ConfigMap, "ca"): owned(copyIn(ca, "team-a"))},
			want:     []string{"copy team-a from shared/ca", "copy team-a from shared/settings"},
		},
		{
			name:     "a copy with keys added by hand is left out, to be recreated without them",
			sources:  []mirror.Source{ca},
			standing: map[mirror.Ref]*mirror.Object{key(mirror.ConfigMap, "ca"): withKey(owned(copyIn(ca, "team-a")), "added", "by hand")},
			want:     nil,
		},
		{
			name:     "a copy with a value changed by hand is updated in place",
			sources:  []mirror.Source{ca},
			standing: map[mirror.Ref]*mirror.Object{key(mirror.ConfigMap, "ca"): withKey(owned(copyIn(ca, "team-a")), "k", "changed")},
			want:     []string{"copy team-a from shared/ca"},
		},
		{
			name:     "a foreign object keeps its place and is reported",
			sources:  []mirror.Source{ca, settings},
			standing: map[mirror.Ref]*mirror.Object{key(mirror.ConfigMap, "ca"): foreign(mirror.ConfigMap, "team-a", "ca")},
			want:     []string{"Occupied team-a", "copy team-a from shared/settings"},
		},
		{
			name:     "a mirror copy we do not own is foreign too",
			sources:  []mirror.Source{ca},
			standing: map[mirror.Ref]*mirror.Object{key(mirror.ConfigMap, "ca"): copyIn(ca, "team-a")},
			want:     []string{"Occupied team-a"},
		},
		{
			name:     "the same name in another kind does not clash",
			sources:  []mirror.Source{ca},
			standing: map[mirror.Ref]*mirror.Object{key(mirror.Secret, "ca"): foreign(mirror.Secret, "team-a", "ca")},
			want:     []string{"copy team-a from shared/ca"},
		},
		{
			name:    "two sources, one name: the older wins, the other is reported",
			sources: []mirror.Source{ca, caOlder},
			want:    []string{"Contended team-a", "copy team-a from legacy/ca"},
		},
		{
			name:     "same source, other Secret type: kept as it is and reported",
			sources:  []mirror.Source{reg},
			standing: map[mirror.Ref]*mirror.Object{key(mirror.Secret, "reg"): regTLS},
			want:     []string{"TypeMismatch team-a", "copy team-a from shared/reg"},
		},
		{
			name:     "another source's copy of another Secret type: left out, to be recreated",
			sources:  []mirror.Source{reg},
			standing: map[mirror.Ref]*mirror.Object{key(mirror.Secret, "reg"): regOtherTLS},
			want:     nil,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan := mirror.PlanNamespace(ns, c.sources, c.standing, ownedByUs)
			if got := summary(nil, plan.Copies, plan.Conflicts); !slices.Equal(got, c.want) {
				t.Errorf("plan:\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

func withKey(o *mirror.Object, k, v string) *mirror.Object {
	data := map[string]string{k: v}
	for key, value := range o.Data {
		if key != k {
			data[key] = value
		}
	}
	o.Data = data
	return o
}

func TestPlanNamespaceKeepsMismatchAsItIs(t *testing.T) {
	reg := source(secret("shared", "reg", 0, "*", corev1.SecretTypeOpaque, map[string][]byte{"k": []byte("new")}))
	cur := copyIn(source(secret("shared", "reg", 0, "*", corev1.SecretTypeTLS, map[string][]byte{"k": []byte("old")})), "team-a")
	cur.UID, cur.ResourceVersion = "uid-1", "7"
	plan := mirror.PlanNamespace(accepting("team-a")[0], []mirror.Source{reg},
		map[mirror.Ref]*mirror.Object{cur.Ref(): cur}, func(*mirror.Object) bool { return true })
	if len(plan.Copies) != 1 {
		t.Fatalf("copies %+v", plan.Copies)
	}
	kept := plan.Copies[0]
	if kept.Type != corev1.SecretTypeTLS || string(kept.BinaryData["k"]) != "old" || kept.UID != "" || kept.ResourceVersion != "" {
		t.Errorf("kept %+v, want the standing copy's content without server fields", kept)
	}
}

func TestConflictsAnnotation(t *testing.T) {
	if mirror.ConflictsAnnotation(nil) != nil {
		t.Error("no conflicts should remove the annotation (nil)")
	}
	a := mirror.Conflict{Reason: mirror.Occupied, Target: mirror.Ref{Kind: mirror.Secret, Namespace: "team-a", Name: "x"}, Source: mirror.Ref{Kind: mirror.Secret, Namespace: "s", Name: "x"}}
	b := mirror.Conflict{Reason: mirror.Occupied, Target: mirror.Ref{Kind: mirror.ConfigMap, Namespace: "team-a", Name: "y"}, Source: mirror.Ref{Kind: mirror.ConfigMap, Namespace: "s", Name: "y"}}
	one, two := mirror.ConflictsAnnotation([]mirror.Conflict{a, b}), mirror.ConflictsAnnotation([]mirror.Conflict{b, a})
	if *one != *two {
		t.Errorf("order matters:\n%s\n%s", *one, *two)
	}
	if want := "ConfigMap team-a/y: exists and is not a mirror copy, left alone; no copy of s/y there"; strings.Split(*one, "\n")[0] != want {
		t.Errorf("annotation:\n%s\nwant first line %q", *one, want)
	}
}
