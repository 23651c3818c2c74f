package githubrepo

import (
	"slices"
	"testing"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// TestManagedSettings: status.managedSettings lists, sorted, the spec
// fields kept in line on GitHub and nothing else: create-only fields,
// deletionPolicy and adoptExisting are not kept in line.
func TestManagedSettings(t *testing.T) {
	enabled := v1.Enabled
	cases := []struct {
		name string
		spec v1.GitHubRepoSpec
		want []string
	}{
		{"nothing set", v1.GitHubRepoSpec{Owner: "acme", Name: "widgets"}, nil},
		{"create-only and lifecycle fields", v1.GitHubRepoSpec{
			Init: &v1.Init{AutoInit: ptr(true)}, Template: &v1.Template{Owner: "acme", Name: "tpl"},
			DeletionPolicy: v1.DeletionOrphan, AdoptExisting: true,
		}, nil},
		{"plain fields", v1.GitHubRepoSpec{
			Visibility: ptr(v1.Private), Description: ptr(""), Homepage: ptr("https://x"), Topics: ptr([]string{}),
			Archived: ptr(false), DefaultBranch: ptr("main"),
		}, []string{"archived", "defaultBranch", "description", "homepage", "topics", "visibility"}},
		{"features one by one", v1.GitHubRepoSpec{Features: &v1.Features{Wiki: ptr(false), Issues: ptr(true)}},
			[]string{"features.issues", "features.wiki"}},
		{"no feature set", v1.GitHubRepoSpec{Features: &v1.Features{}}, nil},
		{"merge settings and flags", v1.GitHubRepoSpec{
			AllowMergeCommit: ptr(false), AllowSquashMerge: ptr(true), AllowRebaseMerge: ptr(true), AllowAutoMerge: ptr(false),
			AllowUpdateBranch: ptr(true), DeleteBranchOnMerge: ptr(true),
			SquashMergeCommitTitle: ptr(v1.SquashTitlePR), SquashMergeCommitMessage: ptr(v1.SquashMessageBlank),
			MergeCommitTitle: ptr(v1.MergeTitlePR), MergeCommitMessage: ptr(v1.MergeMessagePRBody),
			WebCommitSignoffRequired: ptr(false), AllowForking: ptr(false), IsTemplate: ptr(false),
		}, []string{"allowAutoMerge", "allowForking", "allowMergeCommit", "allowRebaseMerge", "allowSquashMerge", "allowUpdateBranch",
			"deleteBranchOnMerge", "isTemplate", "mergeCommitMessage", "mergeCommitTitle", "squashMergeCommitMessage", "squashMergeCommitTitle",
			"webCommitSignoffRequired"}},
		{"custom properties by name", v1.GitHubRepoSpec{CustomProperties: map[string]v1.PropertyValue{
			"team": {String: ptr("core")}, "Region": {List: []string{"eu"}}, "cleared": {},
		}}, []string{"customProperties.Region", "customProperties.cleared", "customProperties.team"}},
		{"security and analysis", v1.GitHubRepoSpec{
			SecurityAndAnalysis: &v1.SecurityAndAnalysis{SecretScanning: &enabled, DependabotSecurityUpdates: &enabled},
			VulnerabilityAlerts: ptr(true),
		}, []string{"securityAndAnalysis.dependabotSecurityUpdates", "securityAndAnalysis.secretScanning", "vulnerabilityAlerts"}},
		{"all four security features", v1.GitHubRepoSpec{SecurityAndAnalysis: &v1.SecurityAndAnalysis{
			AdvancedSecurity: &enabled, SecretScanning: &enabled, SecretScanningPushProtection: &enabled, DependabotSecurityUpdates: &enabled,
		}}, []string{"securityAndAnalysis.advancedSecurity", "securityAndAnalysis.dependabotSecurityUpdates",
			"securityAndAnalysis.secretScanning", "securityAndAnalysis.secretScanningPushProtection"}},
		{"mixed, sorted", v1.GitHubRepoSpec{
			VulnerabilityAlerts: ptr(false), AllowAutoMerge: ptr(true), Description: ptr("d"),
			CustomProperties: map[string]v1.PropertyValue{"z": {String: ptr("1")}}, Features: &v1.Features{Projects: ptr(false)},
		}, []string{"allowAutoMerge", "customProperties.z", "description", "features.projects", "vulnerabilityAlerts"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := managedSettings(&c.spec)
			if !slices.Equal(got, c.want) {
				t.Errorf("managedSettings = %q, want %q", got, c.want)
			}
			if again := managedSettings(&c.spec); !slices.Equal(got, again) {
				t.Errorf("a second call gave %q: the list must follow from the spec alone", again)
			}
		})
	}
}
