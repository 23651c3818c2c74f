package mirror_test

import (
	"slices"
	"testing"

	"github.com/hookops/hookops/mirror"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern, name string
		want          bool
	}{
		{"team-a", "team-a", true},
		{"team-a", "team-ab", false},
		{"team-a", "my-team-a", false},
		{"team", "team-a", false},
		{"*", "anything", true},
		{"*", "", true},
		{"team-*", "team-a", true},
		{"team-*", "team-", true},
		{"team-*", "team", false},
		{"team-*", "my-team-a", false}, // anchored at the start
		{"*-prod", "shop-prod", true},
		{"*-prod", "shop-prod-eu", false}, // anchored at the end
		{"team-*-prod", "team-a-prod", true},
		{"team-*-prod", "team--prod", true},
		{"team-*-prod", "team-prod", false}, // prefix and suffix may not overlap
		{"a*a", "a", false},
		{"a*a", "aa", true},
		{"*b*b", "bb", true},
		{"*b*b", "b", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxcyyb", false},
		{"**", "x", true},
		{"team-?", "team-a", false}, // only '*' is a wildcard
		{"team-[ab]", "team-a", false},
		{"team-[ab]", "team-[ab]", true},
		{"", "", true},
		{"", "x", false},
	}
	for _, c := range cases {
		if got := mirror.Match(c.pattern, c.name); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.name, got, c.want)
		}
	}
}

func TestParsePatterns(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" , ,", nil},
		{"team-a", []string{"team-a"}},
		{"team-a, team-*,", []string{"team-a", "team-*"}},
		{" * ", []string{"*"}},
	}
	for _, c := range cases {
		if got := mirror.ParsePatterns(c.in); !slices.Equal(got, c.want) {
			t.Errorf("ParsePatterns(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMatchAny(t *testing.T) {
	patterns := []string{"team-a", "ops-*"}
	for name, want := range map[string]bool{"team-a": true, "ops-eu": true, "team-b": false, "devops-eu": false} {
		if got := mirror.MatchAny(patterns, name); got != want {
			t.Errorf("MatchAny(%q, %q) = %v, want %v", patterns, name, got, want)
		}
	}
}
