package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/testkit"
)

// bulkCount is how many GitHubRepos scenario 9 applies at once; bulkBound
// is how long all of them may take to be Ready. Writes of one token are
// paced a second apart, so bulkCount creations need at least bulkCount−1
// seconds; the rest is room for the stand-in's two workers.
const (
	bulkCount = 20
	bulkBound = 60 * time.Second
)

// Scenario 9: 20 GitHubRepos in one kubectl apply → all Ready within a
// bound, exactly 20 repositories, no secondary rate limit hit, and this
// token's writes at least a second apart.
//
// It does not run in parallel: it keeps both of the stand-in's workers busy
// with paced writes, which would skew the timing the other scenarios measure.
func TestManyAtOnce(t *testing.T) {
	timed(t)
	u := newUser(t, "s9")
	u.secret()
	var docs []string
	want := map[string]bool{}
	for i := 1; i <= bulkCount; i++ {
		docs = append(docs, fmt.Sprintf(`apiVersion: github.hookops.dev/v1
kind: GitHubRepo
metadata: {name: bulk-%02d, namespace: %s}
spec:
  owner: acme
  name: s9-bulk-%02d
  visibility: private
  description: Bulk repository %d
  credentialsSecretRef: {name: gh-token}
`, i, u.ns, i, i))
		want[fmt.Sprintf("s9-bulk-%02d", i)] = true
	}
	hitsBefore := env.GitHub.SecondaryLimitHits()
	start := time.Now()
	u.kubectlApply(strings.Join(docs, "---\n"))

	var notReady []string
	testkit.Eventually(t, bulkBound, fmt.Sprintf("all %d GitHubRepos Ready", bulkCount), func() (bool, string) {
		list, err := u.dyn.Resource(ghrGVR).Namespace(u.ns).List(testkit.Context(u.t), metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		notReady = notReady[:0]
		for _, item := range list.Items {
			r, err := toRepo(item.Object)
			if err != nil {
				t.Fatalf("ghr %s/%s: %v", u.ns, item.GetName(), err)
			}
			if !hasCondition(r, v1.ConditionReady, "True", v1.ReasonAvailable) {
				notReady = append(notReady, r.Name)
			}
		}
		return len(list.Items) == bulkCount && len(notReady) == 0, fmt.Sprintf("%d GitHubRepos, not Ready: %v", len(list.Items), notReady)
	})
	elapsed := time.Since(start)

	creates := u.requests(fake.RequestFilter{Method: "POST"})
	writes := mutations(u.requests(fake.RequestFilter{}))
	slices.SortFunc(writes, func(a, b fake.Request) int { return a.Time.Compare(b.Time) })
	minGap, at := time.Duration(-1), -1
	for i := 1; i < len(writes); i++ {
		if gap := writes[i].Time.Sub(writes[i-1].Time); minGap < 0 || gap < minGap {
			minGap, at = gap, i
		}
	}
	globalGap, _ := env.GitHub.MinMutationGap()
	t.Logf("%d GitHubRepos Ready %s after kubectl apply (bound %s); %d writes, %d creates; smallest gap between two writes of %s: %s; fake's MinMutationGap over all tokens: %s",
		bulkCount, elapsed.Round(100*time.Millisecond), bulkBound, len(writes), len(creates), u.login, minGap.Round(time.Millisecond), globalGap.Round(time.Millisecond))

	repos := u.reposCreated()
	var names []string
	for _, r := range repos {
		names = append(names, r.Name)
		if !want[r.Name] || r.Visibility != "private" {
			t.Errorf("unexpected repository %+v", r)
		}
	}
	if len(repos) != bulkCount {
		t.Errorf("%s has %d repositories, want %d: %v", u.login, len(repos), bulkCount, names)
	}
	if len(creates) != bulkCount {
		t.Errorf("%d create requests, want %d:\n%s", len(creates), bulkCount, formatRequests(creates))
	}
	if hits := env.GitHub.SecondaryLimitHits(); hits != hitsBefore {
		t.Errorf("secondary rate limit hits went from %d to %d", hitsBefore, hits)
	}
	// The fake's MinMutationGap is the minimum over every token, so this
	// token's spacing is computed from its own requests. The pacer spaces
	// the start of writes by 1s; arrival at the fake may differ by a few ms.
	if minGap >= 0 && minGap < 950*time.Millisecond {
		t.Errorf("two writes of %s only %s apart, want ≥ 1s:\n%s", u.login, minGap.Round(time.Millisecond), formatRequests(writes[max(0, at-3):min(len(writes), at+3)]))
	}
}
