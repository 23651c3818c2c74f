package githubrepo

import (
	"strings"

	"github.com/google/go-github/v62/github"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// mergeField is one merge setting or repository flag of the spec: its
// spec name, whether the spec sets it, whether GitHub's create request
// takes it, whether GitHub hides it from credentials that cannot push, and
// how it is copied into a request and compared with GitHub.
type mergeField struct {
	name   string
	set    bool
	create bool // GitHub's create request schemas list it
	hidden bool // GitHub shows it only to credentials that may push
	// differs compares the spec's value with the repository's; unseen
	// reports that the repository's answer lacks it.
	differs func(r *github.Repository) bool
	unseen  func(r *github.Repository) bool
	// copyTo puts the spec's value in a request.
	copyTo func(req *github.Repository)
}

// mergeFields describes the merge settings and flags of s, in the spec's
// order.
func mergeFields(s *v1.GitHubRepoSpec) []mergeField {
	b := func(name string, want *bool, create, hidden bool, field func(*github.Repository) **bool) mergeField {
		return mergeField{name: name, set: want != nil, create: create, hidden: hidden,
			differs: func(r *github.Repository) bool { have := *field(r); return have == nil || *have != *want },
			unseen:  func(r *github.Repository) bool { return *field(r) == nil },
			copyTo:  func(req *github.Repository) { *field(req) = github.Bool(*want) },
		}
	}
	str := func(name string, want *string, field func(*github.Repository) **string) mergeField {
		return mergeField{name: name, set: want != nil, create: true, hidden: true,
			differs: func(r *github.Repository) bool { have := *field(r); return have == nil || *have != *want },
			unseen:  func(r *github.Repository) bool { return *field(r) == nil },
			copyTo:  func(req *github.Repository) { *field(req) = github.String(*want) },
		}
	}
	return []mergeField{
		b("allowMergeCommit", s.AllowMergeCommit, true, true, func(r *github.Repository) **bool { return &r.AllowMergeCommit }),
		b("allowSquashMerge", s.AllowSquashMerge, true, true, func(r *github.Repository) **bool { return &r.AllowSquashMerge }),
		b("allowRebaseMerge", s.AllowRebaseMerge, true, true, func(r *github.Repository) **bool { return &r.AllowRebaseMerge }),
		b("allowAutoMerge", s.AllowAutoMerge, true, true, func(r *github.Repository) **bool { return &r.AllowAutoMerge }),
		b("allowUpdateBranch", s.AllowUpdateBranch, false, true, func(r *github.Repository) **bool { return &r.AllowUpdateBranch }),
		b("deleteBranchOnMerge", s.DeleteBranchOnMerge, true, true, func(r *github.Repository) **bool { return &r.DeleteBranchOnMerge }),
		str("squashMergeCommitTitle", (*string)(s.SquashMergeCommitTitle), func(r *github.Repository) **string { return &r.SquashMergeCommitTitle }),
		str("squashMergeCommitMessage", (*string)(s.SquashMergeCommitMessage), func(r *github.Repository) **string { return &r.SquashMergeCommitMessage }),
		str("mergeCommitTitle", (*string)(s.MergeCommitTitle), func(r *github.Repository) **string { return &r.MergeCommitTitle }),
		str("mergeCommitMessage", (*string)(s.MergeCommitMessage), func(r *github.Repository) **string { return &r.MergeCommitMessage }),
		b("webCommitSignoffRequired", s.WebCommitSignoffRequired, false, false, func(r *github.Repository) **bool { return &r.WebCommitSignoffRequired }),
		b("allowForking", s.AllowForking, false, false, func(r *github.Repository) **bool { return &r.AllowForking }),
		b("isTemplate", s.IsTemplate, true, false, func(r *github.Repository) **bool { return &r.IsTemplate }),
	}
}

// diffMerge adds to patch the merge settings and flags the spec sets and
// GitHub has otherwise, with set (diff's helper, which marks the patch
// changed). GitHub requires a commit title with its message ("Required
// when using" the message, in its OpenAPI description), so a changed
// message goes with its title, and a changed title with the spec's
// message, so that GitHub checks the pair the spec asks for.
func diffMerge(s *v1.GitHubRepoSpec, repo, patch *github.Repository, set func(bool, func())) {
	fields := mergeFields(s)
	for _, f := range fields {
		if f.set {
			set(f.differs(repo), func() { f.copyTo(patch) })
		}
	}
	pair(fields, "squashMergeCommitTitle", "squashMergeCommitMessage", patch,
		&patch.SquashMergeCommitTitle, &patch.SquashMergeCommitMessage, repo.SquashMergeCommitTitle)
	pair(fields, "mergeCommitTitle", "mergeCommitMessage", patch,
		&patch.MergeCommitTitle, &patch.MergeCommitMessage, repo.MergeCommitTitle)
}

// pair completes a title and message pair in patch when one of them is in
// it, with the spec's values; a message the spec sets without its title
// goes with GitHub's title, which changes nothing.
func pair(fields []mergeField, title, message string, patch *github.Repository, patchTitle, patchMessage **string, haveTitle *string) {
	if *patchTitle == nil && *patchMessage == nil {
		return
	}
	for _, f := range fields {
		if f.set && (f.name == title || f.name == message) {
			f.copyTo(patch)
		}
	}
	if *patchTitle == nil {
		*patchTitle = haveTitle
	}
}

// addCreateSettings puts the merge settings GitHub's create request
// takes into the create body, so that a new repository needs no update for
// them; the others are applied by the first update. In an organization,
// delete_branch_on_merge true is GitHub's to take from an organization
// owner only (https://docs.github.com/rest/repos/repos#create-an-organization-repository),
// which an App never is: it too is left to the update.
func addCreateSettings(req *github.Repository, s *v1.GitHubRepoSpec, org bool) {
	for _, f := range mergeFields(s) {
		if !f.set || !f.create || org && f.name == "deleteBranchOnMerge" && *s.DeleteBranchOnMerge {
			continue
		}
		f.copyTo(req)
	}
}

// settingsProblem finds what keeps hookops from keeping the spec's merge
// settings and flags in line on repo, before anything is written: a
// setting GitHub does not show this credential (it could only be written
// blind, again on every sync), or allowForking where GitHub does not let it
// be set.
func settingsProblem(s *v1.GitHubRepoSpec, repo *github.Repository, app bool) *failure {
	var unseen []string
	for _, f := range mergeFields(s) {
		if f.set && f.hidden && f.unseen(repo) {
			unseen = append(unseen, f.name)
		}
	}
	if len(unseen) > 0 {
		return unseenSettings(unseen, repo.GetFullName(), app)
	}
	return forkingProblem(s, repo)
}

// unseenSettings explains merge settings GitHub leaves out of its answer:
// it shows them only to credentials that may push to the repository; for a
// GitHub App (and a fine-grained token) Administration: write is not
// enough, Contents: write is needed
// (integrations/terraform-provider-github#679).
func unseenSettings(names []string, repo string, app bool) *failure {
	if app {
		return newFailure(v1.ReasonAppPermissionMissing,
			"GitHub does not show the GitHub App the merge settings of %s (%s): it shows them only to credentials that may push (or this GitHub Enterprise Server predates them). Grant the App Contents: write (Administration: write is not enough) and have the installation accept it, or unset those fields",
			repo, strings.Join(names, ", "))
	}
	return newFailure(v1.ReasonTokenAccessMissing,
		"GitHub does not show this token the merge settings of %s (%s): it shows them only to credentials that may push (or this GitHub Enterprise Server predates them). Give a fine-grained token Contents: write on the repository (a classic token needs the repo scope and a user who may push), or unset those fields",
		repo, strings.Join(names, ", "))
}

// forkingProblem refuses an allowForking GitHub would not keep: forking is
// a setting of an organization's private and internal repositories only
// (https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/managing-repository-settings/managing-the-forking-policy-for-your-repository).
// A public repository, and a user's, can always be forked as far as GitHub
// says; asking otherwise could never be put in place, so it is reported
// without a write. The repository's visibility is the spec's when it sets
// one, as the same update changes it first.
func forkingProblem(s *v1.GitHubRepoSpec, repo *github.Repository) *failure {
	want := s.AllowForking
	if want == nil || *want == repo.GetAllowForking() {
		return nil
	}
	vis := visibility(repo)
	if s.Visibility != nil {
		vis = string(*s.Visibility)
	}
	switch {
	case repo.GetOwner().GetType() != "Organization":
		return newFailure(v1.ReasonInvalidSpec,
			"spec.allowForking: %v cannot be kept on %s: GitHub lets organizations set forking for their private and internal repositories only, and %s is a user. Unset allowForking",
			*want, repo.GetFullName(), repo.GetOwner().GetLogin())
	case vis == string(v1.Public):
		return newFailure(v1.ReasonInvalidSpec,
			"spec.allowForking: %v cannot be kept on %s: a public repository can always be forked. Unset allowForking, or make the repository private or internal",
			*want, repo.GetFullName())
	}
	return nil
}

// patchFields names the spec fields an update carries, for the messages of
// its failures.
func patchFields(s *v1.GitHubRepoSpec, p *github.Repository) []string {
	var out []string
	for _, f := range []struct {
		name string
		in   bool
	}{
		{"name", p.Name != nil}, {"visibility", p.Visibility != nil}, {"description", p.Description != nil},
		{"homepage", p.Homepage != nil}, {"features.issues", p.HasIssues != nil}, {"features.wiki", p.HasWiki != nil},
		{"features.projects", p.HasProjects != nil}, {"features.discussions", p.HasDiscussions != nil},
	} {
		if f.in {
			out = append(out, f.name)
		}
	}
	for _, f := range mergeFields(s) {
		if f.set && !f.unseen(p) {
			out = append(out, f.name)
		}
	}
	return out
}

// updateWhat says what an update does, naming the spec fields it carries.
func updateWhat(s *v1.GitHubRepoSpec, p *github.Repository) string {
	fields := patchFields(s, p)
	if len(fields) == 0 {
		return "update the repository"
	}
	return "update the repository (" + strings.Join(fields, ", ") + ")"
}

// createWhat says what a create does, naming the merge settings and flags
// its request carries.
func createWhat(s *v1.GitHubRepoSpec) string {
	var names []string
	for _, f := range mergeFields(s) {
		if f.set && f.create {
			names = append(names, f.name)
		}
	}
	if len(names) == 0 {
		return "create the repository"
	}
	return "create the repository (with " + strings.Join(names, ", ") + ")"
}
