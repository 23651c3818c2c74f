package githubrepo

import (
	"testing"

	"github.com/google/go-github/v62/github"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// TestSecurityDiff: only the features the spec sets are compared, and a
// repository whose answer shows no security_and_analysis is never patched
// blindly.
func TestSecurityDiff(t *testing.T) {
	enabled, disabled := ptr(v1.Enabled), ptr(v1.Disabled)
	seen := func() *github.SecurityAndAnalysis {
		return &github.SecurityAndAnalysis{
			AdvancedSecurity:             &github.AdvancedSecurity{Status: ptr("disabled")},
			SecretScanning:               &github.SecretScanning{Status: ptr("enabled")},
			SecretScanningPushProtection: &github.SecretScanningPushProtection{Status: ptr("disabled")},
			DependabotSecurityUpdates:    &github.DependabotSecurityUpdates{Status: ptr("disabled")},
		}
	}
	cases := []struct {
		name    string
		spec    *v1.SecurityAndAnalysis
		seen    *github.SecurityAndAnalysis
		patch   string // github.Stringify of the patch; "" for none
		updates *bool
	}{
		{"unset", nil, seen(), "", nil},
		{"all set, all in line", &v1.SecurityAndAnalysis{AdvancedSecurity: disabled, SecretScanning: enabled,
			SecretScanningPushProtection: disabled, DependabotSecurityUpdates: disabled}, seen(), "", nil},
		{"only what differs", &v1.SecurityAndAnalysis{SecretScanning: enabled, SecretScanningPushProtection: enabled}, seen(),
			`github.SecurityAndAnalysis{SecretScanningPushProtection:github.SecretScanningPushProtection{Status:"enabled"}}`, nil},
		{"security updates have their own write", &v1.SecurityAndAnalysis{DependabotSecurityUpdates: enabled}, seen(), "", ptr(true)},
		{"a feature GitHub does not show is asked for", &v1.SecurityAndAnalysis{AdvancedSecurity: enabled},
			&github.SecurityAndAnalysis{}, `github.SecurityAndAnalysis{AdvancedSecurity:github.AdvancedSecurity{Status:"enabled"}}`, nil},
		{"no block, no blind write", &v1.SecurityAndAnalysis{SecretScanning: disabled, DependabotSecurityUpdates: enabled}, nil, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec := &v1.GitHubRepoSpec{SecurityAndAnalysis: c.spec}
			p := diff(spec, "widgets", &github.Repository{Name: ptr("widgets"), SecurityAndAnalysis: c.seen})
			got := ""
			if p.patch != nil {
				got = github.Stringify(p.patch.SecurityAndAnalysis)
			}
			if got != c.patch {
				t.Errorf("patch = %s, want %s", got, c.patch)
			}
			if (p.dependabotSecurityUpdates == nil) != (c.updates == nil) || p.dependabotSecurityUpdates != nil && *p.dependabotSecurityUpdates != *c.updates {
				t.Errorf("security updates = %v, want %v", p.dependabotSecurityUpdates, c.updates)
			}
		})
	}
}
