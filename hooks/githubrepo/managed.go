package githubrepo

import (
	"slices"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// managedSettings lists, sorted, the spec fields hookops keeps in line on
// GitHub: those set among the ones it compares with GitHub on every full
// read. It follows from the spec alone, so it changes only when the spec
// does and costs no status write while nothing changes. Fields used only
// when the repository is created (init, template) and those that govern
// hookops itself (deletionPolicy, adoptExisting) are not kept in line, and
// not listed.
func managedSettings(s *v1.GitHubRepoSpec) []string {
	var out []string
	add := func(name string, set bool) {
		if set {
			out = append(out, name)
		}
	}
	add("visibility", s.Visibility != nil)
	add("description", s.Description != nil)
	add("homepage", s.Homepage != nil)
	add("topics", s.Topics != nil)
	add("archived", s.Archived != nil)
	add("defaultBranch", s.DefaultBranch != nil)
	if f := s.Features; f != nil {
		add("features.issues", f.Issues != nil)
		add("features.wiki", f.Wiki != nil)
		add("features.projects", f.Projects != nil)
		add("features.discussions", f.Discussions != nil)
	}
	for _, m := range mergeFields(s) {
		add(m.name, m.set)
	}
	for name := range s.CustomProperties {
		add("customProperties."+name, true)
	}
	if sa := s.SecurityAndAnalysis; sa != nil {
		add("securityAndAnalysis.advancedSecurity", sa.AdvancedSecurity != nil)
		add("securityAndAnalysis.secretScanning", sa.SecretScanning != nil)
		add("securityAndAnalysis.secretScanningPushProtection", sa.SecretScanningPushProtection != nil)
		add("securityAndAnalysis.dependabotSecurityUpdates", sa.DependabotSecurityUpdates != nil)
	}
	add("vulnerabilityAlerts", s.VulnerabilityAlerts != nil)
	slices.Sort(out)
	return out
}
