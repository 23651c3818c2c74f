package githubrepo_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

// guard sits between one GitHubRepo's hooks and the fake GitHub and checks
// every write against the claim on the repository at that moment: a
// repository may be written only while it carries this object's claim, or,
// unclaimed, to put the claim on it (adoption, a lost create's repository).
type guard struct {
	gh    *fake.Server
	base  http.RoundTripper
	uid   string
	mu    sync.Mutex
	wrong []string
}

var repoPath = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)(/.*)?$`)

func (g *guard) RoundTrip(r *http.Request) (*http.Response, error) {
	if m := repoPath.FindStringSubmatch(r.URL.Path); m != nil && r.Method != http.MethodGet {
		if repo, ok := g.gh.Repo(m[1], m[2]); ok {
			claim := claimValue(repo)
			claiming := m[3] == "/properties/values" || strings.HasPrefix(m[3], "/actions/variables")
			if !strings.HasSuffix(claim, "/"+g.uid) && (claim != "" || !claiming) {
				g.mu.Lock()
				g.wrong = append(g.wrong, fmt.Sprintf("%s %s while claimed by %q", r.Method, r.URL.Path, claim))
				g.mu.Unlock()
			}
		}
	}
	return g.base.RoundTrip(r)
}

func claimValue(r fake.Repo) string {
	if v, ok := r.CustomProperties["hookops-claim"].(string); ok {
		return v
	}
	return ""
}

// owner is one GitHubRepo of the property test, re-created under a new
// uid after each deletion.
type owner struct {
	h        *harness
	guard    *guard
	ns       string
	n        int  // incarnation
	deleting bool //  being deleted
}

func (o *owner) uid() string { return fmt.Sprintf("%s-%d", o.ns, o.n) }

func (o *owner) watch(gh *fake.Server) {
	o.guard = &guard{gh: gh, base: http.DefaultTransport, uid: o.uid()}
	o.h.hooks.HTTPClient = &http.Client{Transport: o.guard}
}

// Random spec edits, edits made on GitHub, lost and failed answers, token
// loss and deletions, over two GitHubRepos that name one repository. After
// every step: no write reached a repository without the writer's claim, no
// two live GitHubRepos hold the same repository, and no GitHubRepo has more
// than one repository carrying its claim.
func TestOwnershipProperties(t *testing.T) {
	for seed := range uint64(25) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runOwnershipProperty(t, seed) })
	}
}

func runOwnershipProperty(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 42))
	first := newHarness(t, map[string]any{"owner": "acme", "adoptExisting": rng.IntN(2) == 0})
	owners := []*owner{{h: first, ns: "team-a"}}
	owners = append(owners, &owner{h: first.twin("team-b", "", map[string]any{"owner": "acme", "adoptExisting": rng.IntN(2) == 0}), ns: "team-b"})
	for _, o := range owners {
		o.h.parent["metadata"].(map[string]any)["uid"] = o.uid()
		o.watch(first.gh)
	}
	gh := first.gh
	var log []string
	for step := range 60 {
		o := owners[rng.IntN(len(owners))]
		var what string
		switch k := rng.IntN(10); {
		case k < 4:
			what = "sync"
		case k == 4:
			what = "spec edit"
			o.h.edit(func(s map[string]any) { s["description"] = fmt.Sprintf("d%d", rng.IntN(3)) })
		case k == 5:
			what = "edit on GitHub"
			_, _ = gh.EditRepo("acme", "widgets", func(r *fake.Repo) error { r.Description = "by hand"; return nil })
			if r, ok := gh.Repo("acme", "widgets"); ok {
				_ = gh.Touch(r.ID)
			}
		case k == 6:
			method := []string{"POST", "PATCH", "PUT", "DELETE"}[rng.IntN(4)]
			what = "lost answer to the next " + method
			gh.InjectFault(fake.Fault{Method: method, After: rng.IntN(2) == 0, Status: 502, Times: 1})
		case k == 7:
			if rng.IntN(2) == 0 {
				what = "token loses access"
				gh.SetTokenRepos(token, "acme/nothing")
			} else {
				what = "token access back"
				gh.SetTokenRepos(token)
			}
		case k == 8:
			what = "GitHubRepo deleted"
			o.deleting = true
		default:
			what = "repository deleted on GitHub"
			_ = gh.DeleteRepo("acme", "widgets")
		}
		o.h.untilRetry()
		if o.deleting {
			if o.h.finalize().Finalized {
				o.n++
				o.h = first.twin(o.ns, o.uid(), map[string]any{"owner": "acme", "adoptExisting": rng.IntN(2) == 0})
				o.watch(gh)
				o.deleting = false
				what += ", finalized"
			}
		} else {
			o.h.sync()
		}
		log = append(log, fmt.Sprintf("%d %s/%s: %s -> %s", step, o.ns, o.uid(), what, o.h.condition("Error")))
		checkOwnership(t, gh, owners, log)
		if t.Failed() {
			return
		}
	}
}

func checkOwnership(t *testing.T, gh *fake.Server, owners []*owner, log []string) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Errorf(format+"\nsteps:\n%s", append(args, strings.Join(log, "\n"))...)
	}
	holders := map[int64][]string{}
	for _, o := range owners {
		o.guard.mu.Lock()
		wrong := o.guard.wrong
		o.guard.mu.Unlock()
		if len(wrong) > 0 {
			fail("%s wrote where it holds no claim: %v", o.uid(), wrong)
		}
		if st := o.h.status(); st.Claim != "" {
			holders[st.RepoID] = append(holders[st.RepoID], o.uid())
		}
		n := 0
		for _, r := range gh.Repos() {
			if strings.HasSuffix(claimValue(r), "/"+o.uid()) {
				n++
			}
		}
		if n > 1 {
			fail("%s has %d repositories", o.uid(), n)
		}
	}
	for id, h := range holders {
		if len(h) > 1 {
			fail("repository %d held by %v at once", id, h)
		}
	}
}
