package mirror_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hookops/hookops/mirror"
)

func TestStatusAfterSync(t *testing.T) {
	src := source(configMap("shared", "ca", 10, "team-*", map[string]string{"k": "v"}))
	other := source(configMap("shared", "other", 10, "team-*", nil))
	older := source(configMap("legacy", "ca", 0, "team-b", nil))
	occupied := func(ns string) mirror.Conflict {
		return mirror.Conflict{Reason: mirror.Occupied, Target: mirror.Ref{Kind: mirror.ConfigMap, Namespace: ns, Name: "ca"}, Source: src.Ref()}
	}
	contended := mirror.Conflict{Reason: mirror.Contended, Target: mirror.Ref{Kind: mirror.ConfigMap, Namespace: "team-b", Name: "ca"}, Source: src.Ref(), Winner: older.Ref()}

	cases := []struct {
		name       string
		namespaces []mirror.Namespace
		conflicts  []mirror.Conflict
		failed     []string
		want       string
	}{
		{
			name:       "every wanted namespace holds its copy",
			namespaces: append(accepting("team-a", "team-b", "other", "shared"), mirror.Namespace{Name: "team-x"}),
			want:       "current 2/2",
		},
		{
			name:       "no namespace wanted",
			namespaces: accepting("other"),
			want:       "current 0/0",
		},
		{
			name:       "blocked namespaces are sorted and say why",
			namespaces: accepting("team-a", "team-b", "team-c", "team-d"),
			conflicts:  []mirror.Conflict{occupied("team-d"), contended, occupied("team-a")},
			want:       "current 1/4; blocked: team-a (a ConfigMap not made by the mirror), team-b (taken by legacy/ca), team-d (a ConfigMap not made by the mirror)",
		},
		{
			name:       "a failed write is pending; a blocked namespace counts once",
			namespaces: accepting("team-a", "team-b", "team-c"),
			conflicts:  []mirror.Conflict{occupied("team-a"), occupied("team-a")},
			failed:     []string{"team-c", "team-a", "team-c"},
			want:       "current 1/3; blocked: team-a (a ConfigMap not made by the mirror); pending: team-c",
		},
		{
			name:       "conflicts of other sources are not this source's",
			namespaces: accepting("team-a"),
			conflicts:  []mirror.Conflict{{Reason: mirror.Occupied, Target: mirror.Ref{Kind: mirror.ConfigMap, Namespace: "team-a", Name: "other"}, Source: other.Ref()}},
			want:       "current 1/1",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mirror.StatusAfterSync(src, c.namespaces, c.conflicts, c.failed).Summary()
			if got != c.want {
				t.Errorf("summary\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestStatusFromStanding(t *testing.T) {
	src := source(configMap("shared", "ca", 10, "team-*", map[string]string{"k": "v"}))
	older := source(configMap("legacy", "ca", 0, "team-b", nil))
	stale := copyIn(source(configMap("shared", "ca", 10, "team-*", map[string]string{"k": "old"})), "team-c")
	standing := map[string]*mirror.Object{
		"team-a": copyIn(src, "team-a"),
		"team-b": copyIn(older, "team-b"),
		"team-c": stale,
		"team-d": foreign(mirror.ConfigMap, "team-d", "ca"),
		"team-e": copyIn(src, "team-e"), // a copy, but not the caller's
	}
	ours := func(o *mirror.Object) bool { return mirror.IsCopy(o) && o.Namespace != "team-e" }
	got := mirror.StatusFromStanding(src, []mirror.Source{older, src}, accepting("team-a", "team-b", "team-c", "team-d", "team-e", "team-f"), standing, ours).Summary()
	want := "current 1/6; blocked: team-b (taken by legacy/ca), team-d (a ConfigMap not made by the mirror), team-e (a ConfigMap not made by the mirror); pending: team-c, team-f"
	if got != want {
		t.Errorf("summary\n got %q\nwant %q", got, want)
	}
}

// A source wanted by many blocked namespaces gets a summary within the
// bound that names the first ones in order and counts the rest; the same
// standing in another order gives the same text.
func TestSummaryBounded(t *testing.T) {
	src := source(configMap("shared", "ca", 10, "*", nil))
	var names []string
	var conflicts, reversed []mirror.Conflict
	for i := range 500 {
		ns := fmt.Sprintf("team-%03d", i)
		names = append(names, ns)
		conflicts = append(conflicts, mirror.Conflict{Reason: mirror.Occupied, Target: mirror.Ref{Kind: mirror.ConfigMap, Namespace: ns, Name: "ca"}, Source: src.Ref()})
	}
	for i := range conflicts {
		reversed = append(reversed, conflicts[len(conflicts)-1-i])
	}
	names = append(names, "ok-1", "ok-2")
	namespaces := accepting(append(names, "pending-1")...)
	got := mirror.StatusAfterSync(src, namespaces, conflicts, []string{"pending-1"}).Summary()
	if len(got) > mirror.MaxCopiesAnnotation {
		t.Errorf("summary is %d bytes, more than %d", len(got), mirror.MaxCopiesAnnotation)
	}
	if !strings.HasPrefix(got, "current 2/503; blocked: team-000 (a ConfigMap not made by the mirror), team-001 (") {
		t.Errorf("summary starts %q", got[:min(len(got), 120)])
	}
	named := strings.Count(got, "(a ConfigMap")
	if suffix := fmt.Sprintf("; and %d more", 501-named); !strings.HasSuffix(got, suffix) {
		t.Errorf("summary ends %q, want %q", got[max(0, len(got)-40):], suffix)
	}
	if again := mirror.StatusAfterSync(src, namespaces, reversed, []string{"pending-1"}).Summary(); again != got {
		t.Errorf("the same standing in another order gives\n%q\nnot\n%q", again, got)
	}
}
