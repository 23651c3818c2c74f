package githubrepo

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v62/github"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// decision is what a sync does after observing GitHub.
type decision int

const (
	decideFail     decision = iota // stop: obs.failure says why; nothing is written
	decideUpToDate                 // a 304: nothing changed on GitHub or in the spec
	decideUpdate                   // ours: bring it in line with the spec
	decideClaim                    // ours by record or by a create of ours, but not claimed yet: claim, then update
	decideAdopt                    // someone else's and adoptExisting: claim, then update
	decideCreate                   // there is none: create it
)

var decisionNames = [...]string{"fail", "up-to-date", "update", "claim", "adopt", "create"}

func (d decision) String() string { return decisionNames[d] }

type observation struct {
	decision decision
	repo     *github.Repository // as read; nil when unchanged or absent
	etag     string
	origin   v1.Origin // how the repository came to be ours, when this observation found out
	note     string
	failure  *failure
}

// observe finds the repository and decides what to do with it. A
// repository is written only after it is proven ours: read by the recorded
// id on the recorded host with the recorded node id and owner, and carrying
// our claim (or none, when our own record names it).
func (s *session) observe(ctx context.Context) (obs observation) {
	ctx, span := tracer().Start(ctx, "observe", trace.WithAttributes(attribute.Int64("github.repo.id", s.known.id)))
	defer func() { endStep(span, obs.decision.String(), obs.failure) }()
	if s.known.id == 0 {
		return s.observeByName(ctx, "")
	}
	obs, found := s.observeByID(ctx)
	if found {
		return obs
	}
	return s.observeByName(ctx, fmt.Sprintf("re-created: repository id %d is no longer visible to this token", s.known.id))
}

// observeByID reads the recorded repository, conditionally when the last
// sync applied this generation, so that an unchanged repository costs no
// rate limit. found is false on a 404.
func (s *session) observeByID(ctx context.Context) (obs observation, found bool) {
	etag := ""
	if syncedAt(s.repo) && s.repo.Status.RepoID == s.known.id {
		etag = s.repo.Status.ETag
	}
	current, newETag, notModified, err := s.gh.getByID(ctx, s.known.id, etag)
	switch {
	case notModified:
		return observation{decision: decideUpToDate, etag: newETag}, true
	case isNotFound(err):
		return observation{}, false
	case err != nil:
		return observation{decision: decideFail, failure: classify(err, "read the repository")}, true
	}
	if f := s.verify(current); f != nil {
		return observation{decision: decideFail, failure: f}, true
	}
	c, f := s.readClaim(ctx, current)
	switch {
	case f != nil:
		return observation{decision: decideFail, repo: current, failure: f}, true
	case c.none():
		// Ours by record, from before claims or with the claim write lost.
		return observation{decision: decideClaim, repo: current, etag: newETag}, true
	case !c.sameOwner(s.claim):
		return observation{decision: decideFail, repo: current, failure: ownedElsewhere(current, c)}, true
	}
	return observation{decision: decideUpdate, repo: current, etag: newETag}, true
}

// verify checks that the repository read by the recorded id is the recorded
// one: the same node id and the same owner.
func (s *session) verify(r *github.Repository) *failure {
	k := s.known
	switch {
	case k.nodeID != "" && r.GetNodeID() != k.nodeID:
		return newFailure(v1.ReasonIdentityMismatch,
			"repository id %d on %s is %s with node id %q, but this GitHubRepo recorded node id %q: it is not the repository hookops manages, so nothing was written. If the credentials point at the wrong GitHub, fix the Secret's baseURL",
			k.id, s.host, r.GetFullName(), r.GetNodeID(), k.nodeID)
	case k.fullName != "" && !strings.EqualFold(r.GetOwner().GetLogin(), k.owner()):
		return newFailure(v1.ReasonIdentityMismatch,
			"repository %s now belongs to %s, not %s (transferred on GitHub?); nothing was written. To manage it there, delete this GitHubRepo with spec.deletionPolicy: Orphan and create one with spec.owner: %s and spec.adoptExisting: true",
			k.fullName, r.GetOwner().GetLogin(), k.owner(), r.GetOwner().GetLogin())
	}
	return nil
}

// observeByName looks for the repository by name, for a GitHubRepo that
// records none (or whose recorded one is gone), and decides whose it is.
func (s *session) observeByName(ctx context.Context, note string) observation {
	owner, name := s.repo.Spec.Owner, repoName(s.repo)
	existing, etag, err := s.gh.getByName(ctx, owner, name)
	switch {
	case err != nil && !isNotFound(err):
		return observation{decision: decideFail, failure: classify(err, "look up "+owner+"/"+name)}
	case existing == nil:
		return observation{decision: decideCreate, note: note}
	}
	c, f := s.readClaim(ctx, existing)
	if f != nil {
		return observation{decision: decideFail, failure: f}
	}
	attempt := s.known.createAttempt
	switch {
	case c.sameOwner(s.claim):
		origin := s.known.origin
		if origin == "" {
			origin = v1.OriginCreated
		}
		return observation{decision: decideUpdate, repo: existing, etag: etag, origin: origin, note: "found the repository this GitHubRepo created, whose answer was lost"}
	case !c.none() && s.repo.Spec.AdoptExisting && s.repo.Annotations[v1.AnnotationTakeOver] == c.String():
		return observation{decision: decideAdopt, repo: existing, etag: etag, origin: v1.OriginAdopted, note: "taken over from " + c.describe()}
	case !c.none():
		return observation{decision: decideFail, failure: ownedElsewhere(existing, c)}
	case attempt != nil && createdSince(existing, attempt.Time):
		return observation{decision: decideClaim, repo: existing, etag: etag, origin: v1.OriginCreated, note: "found the repository this GitHubRepo created, whose answer was lost"}
	case s.repo.Spec.AdoptExisting:
		return observation{decision: decideAdopt, repo: existing, etag: etag, origin: v1.OriginAdopted, note: "adopted an existing repository"}
	}
	return observation{decision: decideFail, failure: newFailure(v1.ReasonAlreadyExists,
		"repository %s/%s already exists and this GitHubRepo did not create it; nothing was changed. Set spec.adoptExisting: true to manage it, or choose another spec.name", owner, name)}
}

func ownedElsewhere(r *github.Repository, c claim) *failure {
	return newFailure(v1.ReasonOwnedElsewhere,
		"repository %s is managed by %s; nothing was written. Choose another spec.name, or, to take it over deliberately, set spec.adoptExisting: true and the annotation %s: %q",
		r.GetFullName(), c.describe(), v1.AnnotationTakeOver, c.String())
}
