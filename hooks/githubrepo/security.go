package githubrepo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v62/github"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// Security and analysis, and Dependabot alerts.
//
// Advanced security, secret scanning and push protection are in the
// repository's security_and_analysis: they are compared on every full read
// and written with the one repository update. Dependabot security updates
// are in security_and_analysis too, but the update does not set them
// (GitHub's description of it lists no dependabot_security_updates): they
// are written through automated-security-fixes. GitHub shows
// security_and_analysis only to the repository's admins; a token that sees
// none cannot compare, so it writes nothing and says so.
//
// Dependabot alerts (spec.vulnerabilityAlerts) are in no answer about the
// repository, so a change of them alone does not change its ETag, and only
// GET .../vulnerability-alerts tells them, at a rate-limit unit a time.
// Reading them on every sync would make every idle sync cost a unit; they
// are read only when the sync pays for a full read anyway (the ETag
// changed, the first sync, the sync after a write) and when
// status.lastSyncTime moves (at most every lastSyncEvery). So a change of
// the alerts alone is put back within the hour, at one unit an hour for
// each repository whose spec sets them; unset, they are never read.

// securityFeature is one feature the repository update switches.
type securityFeature struct {
	field string // under spec.securityAndAnalysis
	want  func(*v1.SecurityAndAnalysis) *v1.FeatureStatus
	seen  func(*github.SecurityAndAnalysis) string
	set   func(*github.SecurityAndAnalysis, string)
}

var updatedFeatures = []securityFeature{
	{"advancedSecurity",
		func(s *v1.SecurityAndAnalysis) *v1.FeatureStatus { return s.AdvancedSecurity },
		func(s *github.SecurityAndAnalysis) string { return s.GetAdvancedSecurity().GetStatus() },
		func(s *github.SecurityAndAnalysis, v string) {
			s.AdvancedSecurity = &github.AdvancedSecurity{Status: &v}
		}},
	{"secretScanning",
		func(s *v1.SecurityAndAnalysis) *v1.FeatureStatus { return s.SecretScanning },
		func(s *github.SecurityAndAnalysis) string { return s.GetSecretScanning().GetStatus() },
		func(s *github.SecurityAndAnalysis, v string) { s.SecretScanning = &github.SecretScanning{Status: &v} }},
	{"secretScanningPushProtection",
		func(s *v1.SecurityAndAnalysis) *v1.FeatureStatus { return s.SecretScanningPushProtection },
		func(s *github.SecurityAndAnalysis) string { return s.GetSecretScanningPushProtection().GetStatus() },
		func(s *github.SecurityAndAnalysis, v string) {
			s.SecretScanningPushProtection = &github.SecretScanningPushProtection{Status: &v}
		}},
}

// securityPatch is the security_and_analysis that brings the features the
// spec sets in line; nil when none differs, or when GitHub showed none to
// compare with (securityUnseen reports that).
func securityPatch(spec *v1.SecurityAndAnalysis, seen *github.SecurityAndAnalysis) *github.SecurityAndAnalysis {
	if spec == nil || seen == nil {
		return nil
	}
	var patch *github.SecurityAndAnalysis
	for _, f := range updatedFeatures {
		want := f.want(spec)
		if want == nil || string(*want) == f.seen(seen) {
			continue
		}
		if patch == nil {
			patch = &github.SecurityAndAnalysis{}
		}
		f.set(patch, string(*want))
	}
	return patch
}

// securityUpdatesChange is the new state of Dependabot security updates;
// nil when unmanaged, unchanged, or not shown.
func securityUpdatesChange(spec *v1.SecurityAndAnalysis, seen *github.SecurityAndAnalysis) *bool {
	if spec == nil || spec.DependabotSecurityUpdates == nil || seen == nil {
		return nil
	}
	want := *spec.DependabotSecurityUpdates
	if string(want) == seen.GetDependabotSecurityUpdates().GetStatus() {
		return nil
	}
	return github.Bool(want == v1.Enabled)
}

// managesSecurity says whether the spec sets any security_and_analysis
// feature.
func managesSecurity(s *v1.SecurityAndAnalysis) bool {
	return s != nil && (s.AdvancedSecurity != nil || s.SecretScanning != nil ||
		s.SecretScanningPushProtection != nil || s.DependabotSecurityUpdates != nil)
}

// securityWrites says whether the plan writes Dependabot alerts or
// security updates, which have endpoints of their own.
func (p plan) securityWrites() bool {
	return p.vulnerabilityAlerts != nil || p.dependabotSecurityUpdates != nil
}

// planSecurity completes the plan of a full read: it refuses to go on when
// the spec sets security features GitHub did not show, and reads the
// Dependabot alerts when the spec sets them.
func (s *session) planSecurity(ctx context.Context, r *github.Repository, p *plan) *failure {
	spec := &s.repo.Spec
	if managesSecurity(spec.SecurityAndAnalysis) && r.SecurityAndAnalysis == nil {
		return securityUnseen(r)
	}
	if spec.VulnerabilityAlerts == nil {
		return nil
	}
	on, err := s.gh.vulnerabilityAlerts(ctx, r.GetOwner().GetLogin(), r.GetName())
	if err != nil {
		return classify(err, "read whether Dependabot alerts are on")
	}
	if on != *spec.VulnerabilityAlerts {
		p.vulnerabilityAlerts = github.Bool(*spec.VulnerabilityAlerts)
	}
	return nil
}

func securityUnseen(r *github.Repository) *failure {
	return newFailure(v1.ReasonForbidden,
		"GitHub shows the security and analysis settings of %s only to its admins (and to the organization's owners and security managers), and shows this token none, so spec.securityAndAnalysis cannot be compared and nothing was written. Give the token admin access to the repository (Administration: write for a fine-grained token or an App), or unset spec.securityAndAnalysis; a GitHub Enterprise Server without these features shows none either",
		r.GetFullName())
}

// upToDate finishes a sync that found the repository unchanged (304). The
// Dependabot alerts are not part of that answer: they are checked when
// status.lastSyncTime is due to move anyway (see the top of this file).
// Writing them leaves the repository's answer, and so its ETag, as it was.
func (s *session) upToDate(ctx context.Context, obs observation) result {
	res := result{etag: obs.etag, claimed: true}
	want := s.repo.Spec.VulnerabilityAlerts
	if want == nil || !lastSyncDue(s.repo.Status.LastSyncTime, s.h.Now()) {
		return res
	}
	ctx, span := tracer().Start(ctx, "vulnerability-alerts")
	owner, name, _ := strings.Cut(s.known.fullName, "/")
	on, err := s.gh.vulnerabilityAlerts(ctx, owner, name)
	switch {
	case err != nil:
		res.failure = classify(err, "read whether Dependabot alerts are on")
	case on != *want:
		res.failure = s.writeAlerts(ctx, owner, name, *want)
	}
	endStep(span, "vulnerability-alerts", res.failure)
	return res
}

// securitySteps are the writes of Dependabot alerts and security updates.
// Security updates act on the alerts, so the alerts go on first and off
// last.
func (s *session) securitySteps(p plan) []step {
	var alerts, updates []step
	if want := p.vulnerabilityAlerts; want != nil {
		alerts = append(alerts, step{"vulnerability-alerts", func(ctx context.Context, r *github.Repository) (*github.Repository, *failure) {
			return r, s.writeAlerts(ctx, r.GetOwner().GetLogin(), r.GetName(), *want)
		}})
	}
	if want := p.dependabotSecurityUpdates; want != nil {
		updates = append(updates, step{"security-updates", func(ctx context.Context, r *github.Repository) (*github.Repository, *failure) {
			return r, s.writeSecurityUpdates(ctx, r, *want)
		}})
	}
	if p.vulnerabilityAlerts != nil && !*p.vulnerabilityAlerts {
		return append(updates, alerts...)
	}
	return append(alerts, updates...)
}

func (s *session) writeAlerts(ctx context.Context, owner, name string, on bool) *failure {
	if err := s.gh.setVulnerabilityAlerts(ctx, owner, name, on); err != nil {
		return featureRefused(err, fmt.Sprintf("turn %s the Dependabot alerts of %s/%s", onOff(on), owner, name), "", "vulnerabilityAlerts")
	}
	return nil
}

func (s *session) writeSecurityUpdates(ctx context.Context, r *github.Repository, on bool) *failure {
	if err := s.gh.setSecurityUpdates(ctx, r.GetOwner().GetLogin(), r.GetName(), on); err != nil {
		return featureRefused(err, fmt.Sprintf("turn %s the Dependabot security updates of %s", onOff(on), r.GetFullName()),
			"Security updates act on Dependabot alerts: set spec.vulnerabilityAlerts: true", "securityAndAnalysis.dependabotSecurityUpdates")
	}
	return nil
}

// securedUpdate is the repository update when it switches security
// features. A 422 about one is GitHub refusing what the repository's plan
// or visibility lacks; a feature GitHub accepted but left as it was (push
// protection without secret scanning) is reported, not asked for again and
// again unseen.
func (s *session) securedUpdate(name string, patch *github.Repository) step {
	return step{name, func(ctx context.Context, r *github.Repository) (*github.Repository, *failure) {
		asked := patch.SecurityAndAnalysis
		updated, err := s.gh.edit(ctx, r.GetOwner().GetLogin(), r.GetName(), patch)
		if err != nil {
			return nil, featureRefused(err, "update "+r.GetFullName(),
				"GitHub Advanced Security and secret scanning on private or internal repositories need the organization's licence, and a public repository has advanced security always",
				askedFields(asked)...)
		}
		if left := unapplied(asked, updated.GetSecurityAndAnalysis()); len(left) > 0 {
			return nil, featureLeft(updated.GetFullName(), left)
		}
		return updated, nil
	}}
}

// askedFields names the spec fields a security_and_analysis update sets.
func askedFields(asked *github.SecurityAndAnalysis) []string {
	var out []string
	for _, f := range updatedFeatures {
		if f.seen(asked) != "" {
			out = append(out, "securityAndAnalysis."+f.field)
		}
	}
	return out
}

// unapplied is the features of asked that the answer shows otherwise, each
// as "field status"; none when the answer shows no security_and_analysis.
func unapplied(asked, got *github.SecurityAndAnalysis) []string {
	if got == nil {
		return nil
	}
	var out []string
	for _, f := range updatedFeatures {
		if want := f.seen(asked); want != "" && f.seen(got) != want {
			out = append(out, "securityAndAnalysis."+f.field+" "+f.seen(got))
		}
	}
	return out
}

func featureLeft(repo string, left []string) *failure {
	msg := fmt.Sprintf("GitHub accepted the update of %s but left %s", repo, strings.Join(left, ", "))
	if strings.Contains(msg, "secretScanningPushProtection") {
		msg += "; push protection works only with secret scanning on: set securityAndAnalysis.secretScanning: enabled"
	}
	return newFailure(v1.ReasonFeatureUnavailable, "%s. Otherwise the repository's plan does not offer it: unset the field to leave it alone", msg)
}

// featureRefused explains a refused security write: a 422 naming a
// security feature is the repository not offering it, with hint (may be
// empty) saying why it may not; anything else is classified as usual.
func featureRefused(err error, what, hint string, fields ...string) *failure {
	var resp *github.ErrorResponse
	if statusCode(err) != http.StatusUnprocessableEntity || !errors.As(err, &resp) || !aboutSecurity(resp.Message) {
		return classify(err, what)
	}
	if hint != "" {
		hint += ". "
	}
	return newFailure(v1.ReasonFeatureUnavailable,
		"GitHub refused to %s (422 %s): this repository does not offer %s. %sChange the plan or the visibility, or unset the field to leave it alone",
		what, resp.Message, strings.Join(fields, ", "), hint)
}

func aboutSecurity(msg string) bool {
	msg = strings.ToLower(msg)
	for _, w := range []string{"advanced security", "secret scanning", "push protection", "dependabot", "vulnerability alerts", "security fixes"} {
		if strings.Contains(msg, w) {
			return true
		}
	}
	return false
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// vulnerabilityAlerts reads whether Dependabot alerts are on: GitHub
// answers 204 when they are and 404 when they are not.
func (g *gitHub) vulnerabilityAlerts(ctx context.Context, owner, name string) (bool, error) {
	on, resp, err := g.c.Repositories.GetVulnerabilityAlerts(ctx, owner, name)
	g.track(resp)
	return on, err
}

func (g *gitHub) setVulnerabilityAlerts(ctx context.Context, owner, name string, on bool) error {
	return g.toggle(ctx, owner, name, on, g.c.Repositories.EnableVulnerabilityAlerts, g.c.Repositories.DisableVulnerabilityAlerts)
}

func (g *gitHub) setSecurityUpdates(ctx context.Context, owner, name string, on bool) error {
	return g.toggle(ctx, owner, name, on, g.c.Repositories.EnableAutomatedSecurityFixes, g.c.Repositories.DisableAutomatedSecurityFixes)
}

// toggle switches a repository feature that has an endpoint of its own,
// PUT to turn it on and DELETE to turn it off.
func (g *gitHub) toggle(ctx context.Context, owner, name string, on bool, enable, disable func(context.Context, string, string) (*github.Response, error)) error {
	set := disable
	if on {
		set = enable
	}
	resp, err := set(ctx, owner, name)
	g.track(resp)
	return err
}
