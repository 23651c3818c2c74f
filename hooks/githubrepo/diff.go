package githubrepo

import (
	"slices"
	"strings"

	"github.com/google/go-github/v62/github"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// plan is the writes that bring a repository in line with its spec, in the
// order they must happen: an archived repository is read-only, so
// unarchiving comes first and archiving last.
type plan struct {
	unarchive     bool
	patch         *github.Repository // only the managed fields that differ; nil for none
	topics        *[]string          // the full new list; nil when unchanged
	defaultBranch *string
	archive       bool
	properties    map[string]v1.PropertyValue // the named custom properties that differ; nil for none

	// Dependabot alerts and security updates, the new state; nil when
	// unchanged. They have endpoints of their own (see security.go).
	vulnerabilityAlerts       *bool
	dependabotSecurityUpdates *bool
}

func (p plan) empty() bool {
	return !p.unarchive && !p.edits() && !p.archive
}

// edits says whether the plan writes anything besides archiving or
// unarchiving: what an archived repository refuses.
func (p plan) edits() bool {
	return p.patch != nil || p.topics != nil || p.defaultBranch != nil || p.properties != nil || p.securityWrites()
}

// diff compares the spec with the observed repository. Fields the spec
// leaves unset are not managed and never appear in a plan.
func diff(spec *v1.GitHubRepoSpec, name string, repo *github.Repository) plan {
	var p plan
	patch := &github.Repository{}
	changed := false
	set := func(cond bool, apply func()) {
		if cond {
			apply()
			changed = true
		}
	}
	set(repo.GetName() != name, func() { patch.Name = github.String(name) })
	if v := spec.Visibility; v != nil {
		set(string(*v) != visibility(repo), func() { patch.Visibility = github.String(string(*v)) })
	}
	if d := spec.Description; d != nil {
		set(*d != repo.GetDescription(), func() { patch.Description = github.String(*d) })
	}
	if h := spec.Homepage; h != nil {
		set(*h != repo.GetHomepage(), func() { patch.Homepage = github.String(*h) })
	}
	if f := spec.Features; f != nil {
		setBool := func(want *bool, have bool, field **bool) {
			if want != nil {
				set(*want != have, func() { *field = github.Bool(*want) })
			}
		}
		setBool(f.Issues, repo.GetHasIssues(), &patch.HasIssues)
		setBool(f.Wiki, repo.GetHasWiki(), &patch.HasWiki)
		setBool(f.Projects, repo.GetHasProjects(), &patch.HasProjects)
		setBool(f.Discussions, repo.GetHasDiscussions(), &patch.HasDiscussions)
	}
	diffMerge(spec, repo, patch, set)
	if sa := securityPatch(spec.SecurityAndAnalysis, repo.GetSecurityAndAnalysis()); sa != nil {
		patch.SecurityAndAnalysis, changed = sa, true
	}
	if changed {
		p.patch = patch
	}
	p.dependabotSecurityUpdates = securityUpdatesChange(spec.SecurityAndAnalysis, repo.GetSecurityAndAnalysis())
	if t := spec.Topics; t != nil {
		if want := normalizeTopics(*t); !slices.Equal(want, normalizeTopics(repo.Topics)) {
			p.topics = &want
		}
	}
	if b := spec.DefaultBranch; b != nil && *b != repo.GetDefaultBranch() {
		p.defaultBranch = github.String(*b)
	}
	if a := spec.Archived; a != nil && *a != repo.GetArchived() {
		p.unarchive, p.archive = !*a, *a
	}
	p.properties = diffProperties(spec.CustomProperties, repo)
	return p
}

// visibility reads a repository's visibility, falling back on the private
// flag for servers that do not report it.
func visibility(r *github.Repository) string {
	if v := r.GetVisibility(); v != "" {
		return v
	}
	if r.GetPrivate() {
		return string(v1.Private)
	}
	return string(v1.Public)
}

// normalizeTopics sorts and de-duplicates, as GitHub stores topics as a set
// in lower case.
func normalizeTopics(t []string) []string {
	out := make([]string, 0, len(t))
	for _, s := range t {
		out = append(out, strings.ToLower(s))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
