package githubrepo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// A claim on GitHub names the GitHubRepo that manages a repository, so that
// every hookops instance, in any cluster, can tell its own repositories from
// others'. The uid decides: it is unique to one object, so two clusters, or
// a deleted and re-created object of the same name, never share a claim.
// The cluster, namespace and name are there for people to read.
//
// Where it lives: in an organization, the string custom property
// Hooks.ClaimProperty. GitHub returns custom properties in every repository
// body, so checking the claim costs no extra request, and the create request
// itself carries it (POST /orgs/{org}/repos accepts custom_properties): a
// repository whose create answer was lost is recognised by it. User accounts
// have no custom properties; there the claim is the repository Actions
// variable claimVariable, written right after the create, and a create whose
// answer was lost is recognised by status.createAttemptTime (see observe.go).
// A repository generated from a template is claimed the same way in an
// organization too, since the generate request takes no custom_properties
// (see template.go).
type claim struct {
	cluster, namespace, name, uid string
}

// claimVariable holds the claim on a repository of a user account.
const claimVariable = "HOOKOPS_CLAIM"

func claimFor(cluster string, r *v1.GitHubRepo) claim {
	return claim{cluster: cluster, namespace: r.Namespace, name: r.Name, uid: string(r.UID)}
}

func (c claim) String() string {
	if c == (claim{}) {
		return ""
	}
	return c.cluster + "/" + c.namespace + "/" + c.name + "/" + c.uid
}

// parseClaim reads a claim; anything else in the property or variable is
// someone's value that is not a claim, and counts as a claim by a stranger.
func parseClaim(s string) claim {
	parts := strings.Split(s, "/")
	if len(parts) != 4 || parts[3] == "" {
		return claim{cluster: "?", uid: s}
	}
	return claim{cluster: parts[0], namespace: parts[1], name: parts[2], uid: parts[3]}
}

func (c claim) none() bool { return c == (claim{}) }

// sameOwner reports whether both claims name the same object.
func (c claim) sameOwner(o claim) bool { return !c.none() && c.uid == o.uid }

// describe names the claim's owner for a message.
func (c claim) describe() string {
	if c.cluster == "?" {
		return fmt.Sprintf("someone else (the value %q)", c.uid)
	}
	return fmt.Sprintf("GitHubRepo %s/%s (uid %s) in cluster %q", c.namespace, c.name, c.uid, c.cluster)
}

func isOrgRepo(r *github.Repository) bool { return r.GetOwner().GetType() == "Organization" }

// readClaim reads the claim on a repository: from its body in an
// organization, from the claim variable on a user account.
func (s *session) readClaim(ctx context.Context, r *github.Repository) (claim, *failure) {
	if isOrgRepo(r) {
		return parseClaimValue(r.CustomProperties[s.h.ClaimProperty]), nil
	}
	value, err := s.gh.getVariable(ctx, r.GetOwner().GetLogin(), r.GetName(), claimVariable)
	if err != nil && !isNotFound(err) {
		return claim{}, classify(err, "read the ownership claim of "+r.GetFullName())
	}
	return parseClaimValue(value), nil
}

func parseClaimValue(v string) claim {
	if v == "" {
		return claim{}
	}
	return parseClaim(v)
}

// writeClaim puts this GitHubRepo's claim on the repository, replacing
// whatever claim was there (the caller has decided it may).
func (s *session) writeClaim(ctx context.Context, r *github.Repository) *failure {
	owner, name := r.GetOwner().GetLogin(), r.GetName()
	var err error
	if isOrgRepo(r) {
		err = s.gh.setProperty(ctx, owner, name, s.h.ClaimProperty, s.claim.String())
	} else {
		err = s.gh.setVariable(ctx, owner, name, claimVariable, s.claim.String())
	}
	if err != nil {
		return s.claimFailure(err, isOrgRepo(r), r.GetOwner().GetLogin(), "write the ownership claim on "+r.GetFullName())
	}
	return nil
}

// clearClaim removes this GitHubRepo's claim, and only that.
func (s *session) clearClaim(ctx context.Context, r *github.Repository) error {
	owner, name := r.GetOwner().GetLogin(), r.GetName()
	if isOrgRepo(r) {
		return s.gh.setProperty(ctx, owner, name, s.h.ClaimProperty, "")
	}
	err := s.gh.deleteVariable(ctx, owner, name, claimVariable)
	if isNotFound(err) {
		return nil
	}
	return err
}

// claimFailure explains a refused claim write: most often the organization
// has no such custom property yet.
func (s *session) claimFailure(err error, org bool, owner, what string) *failure {
	if code := statusCode(err); org && (code == 422 || code == 404) {
		return newFailure(v1.ReasonClaimUnavailable, "%s: GitHub refused the custom property %q (%d). hookops keeps its ownership claim in that organization custom property; an organization owner creates it once with: gh api -X PUT /orgs/%s/properties/schema/%s -f value_type=string",
			what, s.h.ClaimProperty, code, owner, s.h.ClaimProperty)
	}
	return classify(err, what)
}

// createdSince reports whether the repository was created at or after the
// create hookops sent at attempt (with slack for the two clocks).
func createdSince(r *github.Repository, attempt time.Time) bool {
	const skew = 30 * time.Second
	return !r.GetCreatedAt().Time.Before(attempt.Add(-skew))
}
