package githubrepo_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/deletionguard"
)

// TestDeletionGuard: with a limit of 2, the third deletion on a credential
// is held, stays held when the window has moved on, costs GitHub nothing
// while held, and goes on once confirmed.
func TestDeletionGuard(t *testing.T) {
	first := newHarness(t, map[string]any{"owner": "acme", "name": "r0"})
	first.hooks.Guard = &deletionguard.Guard{Store: &deletionguard.MemoryStore{}, Limit: 2, Window: 10 * time.Minute,
		Now: func() time.Time { return first.now }}
	hs := []*harness{first}
	for i := 1; i < 3; i++ {
		hs = append(hs, first.twin("team-a", fmt.Sprintf("u-%d", i+1), map[string]any{"owner": "acme", "name": fmt.Sprintf("r%d", i)}))
	}
	for _, h := range hs {
		h.sync()
		h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	}
	for _, h := range hs[:2] {
		if !h.finalize().Finalized {
			t.Fatalf("deletion within the limit not finalized: %s", h.message(v1.ConditionError))
		}
	}
	third := hs[2]
	if third.finalize().Finalized {
		t.Fatal("the third deletion within the window was carried out")
	}
	third.expect(v1.ConditionError, "True/DeletionGuard")
	msg := third.message(v1.ConditionError)
	for _, want := range []string{"2 repositories", "10m0s", "acme/r2", "kubectl annotate githubrepo widgets -n team-a github.hookops.dev/confirm-deletion=true", "Orphan"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	}
	if got := names(first.gh.Repos()); len(got) != 1 || got[0] != "acme/r2" {
		t.Fatalf("repositories left %v, want acme/r2", got)
	}

	third.later(time.Hour)
	before := third.requests("", "")
	if third.finalize().Finalized {
		t.Fatal("a held deletion went on by itself once the window moved")
	}
	third.expect(v1.ConditionError, "True/DeletionGuard")
	if n := third.requests("", "") - before; n != 0 {
		t.Errorf("a held deletion sent %d requests to GitHub", n)
	}
	if resync := third.last.ResyncAfterSeconds; resync < 60 {
		t.Errorf("a held deletion is looked at again after %vs, want minutes", resync)
	}

	third.parent["metadata"].(map[string]any)["annotations"] = map[string]any{v1.AnnotationConfirmDeletion: "true"}
	if !third.finalize().Finalized {
		t.Fatalf("the confirmed deletion did not finish: %s", third.message(v1.ConditionError))
	}
	if n := third.requests(http.MethodDelete, "/repos/acme/r2"); n != 1 || len(first.gh.Repos()) != 0 {
		t.Errorf("DELETE sent %d times, repositories left %v", n, names(first.gh.Repos()))
	}
}
