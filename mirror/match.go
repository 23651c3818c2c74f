package mirror

import "strings"

// ParsePatterns splits a to-namespaces annotation into its patterns,
// dropping blanks, so "team-a, team-*," is ["team-a", "team-*"].
func ParsePatterns(annotation string) []string {
	var out []string
	for p := range strings.SplitSeq(annotation, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Match reports whether a namespace name matches one pattern. The only
// wildcard is '*', which matches any run of characters, including none; every
// other character matches itself. The match is anchored at both ends: "team"
// matches only "team", and "team-*" does not match "my-team-a".
func Match(pattern, name string) bool {
	prefix, rest, wild := strings.Cut(pattern, "*")
	if !wild {
		return pattern == name
	}
	if !strings.HasPrefix(name, prefix) {
		return false
	}
	name = name[len(prefix):]
	parts := strings.Split(rest, "*")
	last := parts[len(parts)-1]
	// Middle parts are matched leftmost-first, which is optimal for '*'-only
	// globs; the last part must end the name.
	for _, part := range parts[:len(parts)-1] {
		i := strings.Index(name, part)
		if i < 0 {
			return false
		}
		name = name[i+len(part):]
	}
	return strings.HasSuffix(name, last)
}

// MatchAny reports whether name matches one of the patterns.
func MatchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if Match(p, name) {
			return true
		}
	}
	return false
}
