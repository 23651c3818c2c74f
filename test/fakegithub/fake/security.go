package fake

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// Security and analysis: the features GitHub reports in a repository's
// security_and_analysis and changes through PATCH /repos/{owner}/{repo};
// Dependabot alerts ("vulnerability alerts"), which only their own
// endpoint shows and changes; and Dependabot security updates, which
// security_and_analysis shows and automated-security-fixes changes.

const (
	docVulnerabilityAlerts  = "https://docs.github.com/rest/repos/repos#check-if-vulnerability-alerts-are-enabled-for-a-repository"
	docEnableVulnAlerts     = "https://docs.github.com/rest/repos/repos#enable-vulnerability-alerts"
	docDisableVulnAlerts    = "https://docs.github.com/rest/repos/repos#disable-vulnerability-alerts"
	docSecurityFixes        = "https://docs.github.com/rest/repos/repos#check-if-dependabot-security-updates-are-enabled-for-a-repository"
	docEnableSecurityFixes  = "https://docs.github.com/rest/repos/repos#enable-dependabot-security-updates"
	docDisableSecurityFixes = "https://docs.github.com/rest/repos/repos#disable-dependabot-security-updates"
)

// GitHub's refusals of security features a repository's plan or
// visibility does not offer, in its words (422 to PATCH /repos/{owner}/{repo}).
const (
	// integrations/terraform-provider-github#2190: advanced_security sent
	// for a public repository.
	msgAdvancedSecurityPublic = "Advanced security is always available for public repos"
	// integrations/terraform-provider-github#1962: advanced_security
	// enabled without a licence.
	msgAdvancedSecurityNotPurchased = "Advanced security has not been purchased."
	// Secret scanning enabled on a private repository of an account
	// without a licence, as recorded in a public write-up of the API's
	// answers ("PATCH ... security_and_analysis[secret_scanning][status]=enabled
	// -> HTTP 422").
	msgSecretScanningUnavailable = "Secret scanning is not available for this repository."
	// ministryofjustice/modernisation-platform#6918: secret scanning
	// enabled on a private repository of a licensed organization whose
	// advanced security is off.
	msgSecretScanningNeedsAdvancedSecurity = "Secret scanning can only be enabled on repos where Advanced Security is enabled."
	// Enabling Dependabot security updates while Dependabot alerts are off.
	// GitHub documents the rule ("You can enable Dependabot security
	// updates for any repository that uses Dependabot alerts and the
	// dependency graph", Configuring Dependabot security updates) but not
	// the answer, which its description of the endpoint leaves out; this
	// wording is not GitHub's verbatim.
	msgSecurityFixesNeedAlerts = "Vulnerability alerts must be enabled to configure automated security fixes"
)

// Security is the state of a repository's security and analysis features;
// false is disabled.
type Security struct {
	AdvancedSecurity             bool `json:"advanced_security,omitempty"`
	SecretScanning               bool `json:"secret_scanning,omitempty"`
	SecretScanningPushProtection bool `json:"secret_scanning_push_protection,omitempty"`
	DependabotSecurityUpdates    bool `json:"dependabot_security_updates,omitempty"`
}

// repoRoute registers a repository operation with the classic scope and
// the App permission it needs (see apiRoutes).
type repoRoute func(scope, perms string, need perm, op func(*http.Request, *Repo, perm) reply) http.HandlerFunc

// securityRoutes serves vulnerability alerts and Dependabot security
// updates under prefix. GitHub asks for admin access to the repository for
// all of them ("The authenticated user must have admin access", or "admin
// read access" to check), and Administration read or write of an App.
func (s *Server) securityRoutes(r chi.Router, prefix string, repo repoRoute) {
	r.Get(prefix+"/vulnerability-alerts", repo("repo", "administration=read", permAdmin, s.getVulnerabilityAlerts))
	r.Put(prefix+"/vulnerability-alerts", repo("repo", "administration=write", permAdmin, s.setVulnerabilityAlerts(true)))
	r.Delete(prefix+"/vulnerability-alerts", repo("repo", "administration=write", permAdmin, s.setVulnerabilityAlerts(false)))
	r.Get(prefix+"/automated-security-fixes", repo("repo", "administration=read", permAdmin, s.getSecurityFixes))
	r.Put(prefix+"/automated-security-fixes", repo("repo", "administration=write", permAdmin, s.setSecurityFixes(true)))
	r.Delete(prefix+"/automated-security-fixes", repo("repo", "administration=write", permAdmin, s.setSecurityFixes(false)))
}

// getVulnerabilityAlerts answers 204 when Dependabot alerts are on and 404
// when they are off, as GitHub's description of the operation says.
func (s *Server) getVulnerabilityAlerts(_ *http.Request, repo *Repo, _ perm) reply {
	if !repo.VulnerabilityAlerts {
		return notFound(docVulnerabilityAlerts)
	}
	return reply{status: http.StatusNoContent}
}

// setVulnerabilityAlerts turns Dependabot alerts on or off. Security
// updates act on the alerts, so turning the alerts off turns them off too.
// The repository's body does not carry the alerts, so neither it nor its
// ETag changes, unless security updates went off with them.
func (s *Server) setVulnerabilityAlerts(on bool) func(*http.Request, *Repo, perm) reply {
	doc := docEnableVulnAlerts
	if !on {
		doc = docDisableVulnAlerts
	}
	return func(_ *http.Request, repo *Repo, _ perm) reply {
		if repo.Archived {
			return errReply(http.StatusForbidden, archivedReadOnly, doc)
		}
		repo.VulnerabilityAlerts = on
		if !on {
			repo.Security.DependabotSecurityUpdates = false
		}
		return reply{status: http.StatusNoContent}
	}
}

// getSecurityFixes answers whether Dependabot security updates are on; 404
// while Dependabot alerts are off ("Not Found if Dependabot is not enabled
// for the repository").
func (s *Server) getSecurityFixes(_ *http.Request, repo *Repo, _ perm) reply {
	if !repo.VulnerabilityAlerts {
		return notFound(docSecurityFixes)
	}
	return reply{status: http.StatusOK, body: map[string]bool{"enabled": repo.Security.DependabotSecurityUpdates, "paused": false}}
}

// setSecurityFixes turns Dependabot security updates on, which needs
// Dependabot alerts, or off.
func (s *Server) setSecurityFixes(on bool) func(*http.Request, *Repo, perm) reply {
	doc := docEnableSecurityFixes
	if !on {
		doc = docDisableSecurityFixes
	}
	return func(_ *http.Request, repo *Repo, _ perm) reply {
		switch {
		case repo.Archived:
			return errReply(http.StatusForbidden, archivedReadOnly, doc)
		case on && !repo.VulnerabilityAlerts:
			return errReply(http.StatusUnprocessableEntity, msgSecurityFixesNeedAlerts, doc)
		}
		repo.Security.DependabotSecurityUpdates = on
		return reply{status: http.StatusNoContent}
	}
}

// featureStatus is one feature of a security_and_analysis update.
type featureStatus struct {
	Status *string `json:"status"`
}

// securityPatch is the security_and_analysis of PATCH /repos/{owner}/{repo}.
// dependabot_security_updates is not among the fields GitHub's description
// of the update lists (automated-security-fixes sets it), so, like any
// field the update does not know, it is ignored.
type securityPatch struct {
	AdvancedSecurity             *featureStatus `json:"advanced_security"`
	SecretScanning               *featureStatus `json:"secret_scanning"`
	SecretScanningPushProtection *featureStatus `json:"secret_scanning_push_protection"`
}

// wanted reads a feature's status: nil when not given; ok is false for a
// status other than enabled or disabled.
func (f *featureStatus) wanted() (on *bool, ok bool) {
	if f == nil || f.Status == nil {
		return nil, true
	}
	switch *f.Status {
	case "enabled", "disabled":
		v := *f.Status == "enabled"
		return &v, true
	}
	return nil, false
}

// apply changes repo's features as asked, or says why GitHub refuses. Only
// public repositories, and private ones of a licensed organization with
// advanced security on, can have secret scanning. Push protection asked
// for without secret scanning is ignored: GitHub answers 200 and leaves it
// disabled (as recorded in the same write-up as
// msgSecretScanningUnavailable). Turning a feature off turns off what
// needs it.
func (in *securityPatch) apply(repo *Repo, owner *account) (reply, bool) {
	if in == nil {
		return reply{}, true
	}
	as, okAS := in.AdvancedSecurity.wanted()
	ss, okSS := in.SecretScanning.wanted()
	pp, okPP := in.SecretScanningPushProtection.wanted()
	if !okAS || !okSS || !okPP {
		return errReply(http.StatusUnprocessableEntity, "Validation Failed", docUpdateRepo,
			fieldError{Resource: "Repository", Code: "invalid", Field: "security_and_analysis"}), false
	}
	licensed, sec := owner.org && owner.ghas, repo.Security
	if as != nil {
		switch {
		case !repo.Private():
			return errReply(http.StatusUnprocessableEntity, msgAdvancedSecurityPublic, docUpdateRepo), false
		case *as && !licensed:
			return errReply(http.StatusUnprocessableEntity, msgAdvancedSecurityNotPurchased, docUpdateRepo), false
		}
		sec.AdvancedSecurity = *as
		if !*as {
			sec.SecretScanning, sec.SecretScanningPushProtection = false, false
		}
	}
	if ss != nil {
		switch {
		case *ss && repo.Private() && !licensed:
			return errReply(http.StatusUnprocessableEntity, msgSecretScanningUnavailable, docUpdateRepo), false
		case *ss && repo.Private() && !sec.AdvancedSecurity:
			return errReply(http.StatusUnprocessableEntity, msgSecretScanningNeedsAdvancedSecurity, docUpdateRepo), false
		}
		sec.SecretScanning = *ss
		if !*ss {
			sec.SecretScanningPushProtection = false
		}
	}
	if pp != nil && (!*pp || sec.SecretScanning) {
		sec.SecretScanningPushProtection = *pp
	}
	repo.Security = sec
	return reply{}, true
}

// securityBody is the security_and_analysis GitHub shows a repository's
// admins ("In order to see the security_and_analysis block for a
// repository you must have admin permissions for the repository or be an
// owner or security manager for the organization", Get a repository); it
// leaves advanced_security out for a public repository, which has it
// always.
func securityBody(repo *Repo) map[string]any {
	status := func(on bool) map[string]string {
		if on {
			return map[string]string{"status": "enabled"}
		}
		return map[string]string{"status": "disabled"}
	}
	sec := repo.Security
	b := map[string]any{
		"secret_scanning":                 status(sec.SecretScanning),
		"secret_scanning_push_protection": status(sec.SecretScanningPushProtection),
		"dependabot_security_updates":     status(sec.DependabotSecurityUpdates),
	}
	if repo.Private() {
		b["advanced_security"] = status(sec.AdvancedSecurity)
	}
	return b
}
