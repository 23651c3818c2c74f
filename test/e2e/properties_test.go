package e2e

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/testkit"
)

// Custom properties: the named organization custom properties go with the
// create, so no write follows it; values changed by hand on GitHub are put
// back at the next resync with one PATCH .../properties/values.
// https://docs.github.com/rest/repos/custom-properties
func TestCustomProperties(t *testing.T) {
	parallel(t)
	timed(t)
	u := newUser(t, "p1")
	u.secret()
	u.repo("props", `  name: p1-props
  customProperties:
    team: payments
    tier: gold
    langs: [go, rust]
`)
	r := u.waitCondition("props", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, 30*time.Second)
	id := r.Status.RepoID
	claim := r.Status.Claim
	want := fmt.Sprintf(`{"hookops-claim":%q,"langs":["go","rust"],"team":"payments","tier":"gold"}`, claim)
	values := func() (bool, string) {
		repo, ok := env.GitHub.RepoByID(id)
		if !ok {
			return false, "the repository is gone"
		}
		b, _ := json.Marshal(repo.CustomProperties)
		return string(b) == want, "custom properties: " + string(b)
	}
	if ok, got := values(); !ok {
		t.Errorf("after the create, %s; want %s", got, want)
	}
	if w := mutations(u.repoRequests("p1-props", id)); len(w) != 0 {
		t.Errorf("writes after the create, want none: the create carries the properties:\n%s", formatRequests(w))
	}

	edited := time.Now()
	if _, err := env.GitHub.EditRepo("acme", "p1-props", func(r *fake.Repo) error {
		r.CustomProperties["tier"], r.CustomProperties["langs"] = "silver", []string{"python"}
		delete(r.CustomProperties, "team")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 15*time.Second, "custom properties put back", values)
	t.Logf("custom properties put back %s after the edit", time.Since(edited).Round(100*time.Millisecond))
	writes := mutations(since(u.repoRequests("p1-props", id), edited))
	if len(writes) != 1 || writes[0].Method != "PATCH" || writes[0].Path != "/repos/acme/p1-props/properties/values" {
		t.Errorf("putting the values back took these writes, want one PATCH /repos/acme/p1-props/properties/values:\n%s", formatRequests(writes))
	}
	u.waitCondition("props", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, 10*time.Second)
}
