package e2e

import (
	"strings"
	"testing"
	"time"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// Security and analysis: a public repository with secret scanning and
// Dependabot alerts is Ready with both on GitHub; a private one asking
// for advanced security in acme, which has no GitHub Advanced Security
// licence, shows GitHub's refusal in its Error condition.
func TestSecurityAndAnalysis(t *testing.T) {
	parallel(t)
	timed(t)
	u := newUser(t, "sa1")
	u.secret()
	u.repo("scanned", `  name: sa1-scanned
  visibility: public
  securityAndAnalysis: {secretScanning: enabled}
  vulnerabilityAlerts: true
`)
	r := u.waitCondition("scanned", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, 30*time.Second)
	if !hasCondition(r, v1.ConditionReady, "True", v1.ReasonAvailable) {
		t.Errorf("not Ready:\n%s", formatStatus(r))
	}
	repo, ok := env.GitHub.RepoByID(r.Status.RepoID)
	if !ok || !repo.Security.SecretScanning || !repo.VulnerabilityAlerts {
		t.Errorf("the fake has %+v (found %v); want secret scanning and vulnerability alerts on", repo, ok)
	}

	u.repo("vault", `  name: sa1-vault
  visibility: private
  securityAndAnalysis: {advancedSecurity: enabled}
`)
	r = u.waitCondition("vault", v1.ConditionError, "True", v1.ReasonFeatureUnavailable, 30*time.Second)
	if msg := conditionMessage(r, v1.ConditionError); !strings.Contains(msg, "Advanced security has not been purchased.") ||
		!strings.Contains(msg, "securityAndAnalysis.advancedSecurity") {
		t.Errorf("the Error condition does not carry GitHub's message and the field:\n%s", formatStatus(r))
	}
	if repo, ok := env.GitHub.Repo("acme", "sa1-vault"); !ok || repo.Security.AdvancedSecurity {
		t.Errorf("acme/sa1-vault = %+v (found %v); want it created, without advanced security", repo, ok)
	}
}
