package githubrepo

import (
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// TestDiffMergeSettings: only the merge settings and flags the spec sets
// and GitHub has otherwise go into the one update, and a commit message
// always goes with its title, which GitHub requires.
func TestDiffMergeSettings(t *testing.T) {
	observed := func() *github.Repository {
		return &github.Repository{
			Name: ptr("widgets"), AllowMergeCommit: ptr(true), AllowSquashMerge: ptr(true), AllowRebaseMerge: ptr(true),
			AllowAutoMerge: ptr(false), AllowUpdateBranch: ptr(false), DeleteBranchOnMerge: ptr(false),
			SquashMergeCommitTitle: ptr("COMMIT_OR_PR_TITLE"), SquashMergeCommitMessage: ptr("COMMIT_MESSAGES"),
			MergeCommitTitle: ptr("MERGE_MESSAGE"), MergeCommitMessage: ptr("PR_TITLE"),
			WebCommitSignoffRequired: ptr(false), AllowForking: ptr(true), IsTemplate: ptr(false),
		}
	}
	squashPR, bodyMsg, blank := v1.SquashTitlePR, v1.SquashMessagePRBody, v1.MergeMessageBlank
	cases := []struct {
		name string
		spec v1.GitHubRepoSpec
		repo func(*github.Repository)
		want *github.Repository // nil: no update
	}{
		{"as on GitHub", v1.GitHubRepoSpec{AllowMergeCommit: ptr(true), AllowAutoMerge: ptr(false), IsTemplate: ptr(false),
			SquashMergeCommitTitle: ptr(v1.SquashTitleCommitOrPR), SquashMergeCommitMessage: ptr(v1.SquashMessageCommits)}, nil, nil},
		{"only what differs", v1.GitHubRepoSpec{AllowMergeCommit: ptr(true), AllowRebaseMerge: ptr(false), WebCommitSignoffRequired: ptr(true)}, nil,
			&github.Repository{AllowRebaseMerge: ptr(false), WebCommitSignoffRequired: ptr(true)}},
		{"a changed message goes with its title", v1.GitHubRepoSpec{SquashMergeCommitTitle: &squashPR, SquashMergeCommitMessage: &bodyMsg},
			func(r *github.Repository) { r.SquashMergeCommitTitle = ptr("PR_TITLE") },
			&github.Repository{SquashMergeCommitTitle: ptr("PR_TITLE"), SquashMergeCommitMessage: ptr("PR_BODY")}},
		{"a changed title goes with its message", v1.GitHubRepoSpec{MergeCommitTitle: ptr(v1.MergeTitlePR), MergeCommitMessage: &blank},
			func(r *github.Repository) { r.MergeCommitMessage = ptr("BLANK") },
			&github.Repository{MergeCommitTitle: ptr("PR_TITLE"), MergeCommitMessage: ptr("BLANK")}},
		{"a message set alone goes with GitHub's title", v1.GitHubRepoSpec{SquashMergeCommitMessage: &bodyMsg}, nil,
			&github.Repository{SquashMergeCommitTitle: ptr("COMMIT_OR_PR_TITLE"), SquashMergeCommitMessage: ptr("PR_BODY")}},
		{"a title set alone goes alone", v1.GitHubRepoSpec{SquashMergeCommitTitle: &squashPR}, nil,
			&github.Repository{SquashMergeCommitTitle: ptr("PR_TITLE")}},
		{"with the rest of the update", v1.GitHubRepoSpec{Description: ptr("d"), AllowAutoMerge: ptr(true)}, nil,
			&github.Repository{Description: ptr("d"), AllowAutoMerge: ptr(true)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := observed()
			if c.repo != nil {
				c.repo(r)
			}
			p := diff(&c.spec, "widgets", r)
			if got, want := github.Stringify(p.patch), github.Stringify(c.want); got != want {
				t.Errorf("patch = %s, want %s", got, want)
			}
		})
	}
}

// TestSettingsProblem: what keeps merge settings and flags from being kept
// in line is found before anything is written.
func TestSettingsProblem(t *testing.T) {
	org := &github.User{Login: ptr("acme"), Type: ptr("Organization")}
	user := &github.User{Login: ptr("octocat"), Type: ptr("User")}
	repo := func(owner *github.User, vis string, edit func(*github.Repository)) *github.Repository {
		r := &github.Repository{FullName: ptr(owner.GetLogin() + "/widgets"), Owner: owner, Visibility: ptr(vis),
			AllowMergeCommit: ptr(true), AllowAutoMerge: ptr(false), AllowForking: ptr(true)}
		if edit != nil {
			edit(r)
		}
		return r
	}
	hide := func(r *github.Repository) { r.AllowMergeCommit, r.AllowAutoMerge = nil, nil }
	public := v1.Public
	cases := []struct {
		name   string
		spec   v1.GitHubRepoSpec
		repo   *github.Repository
		app    bool
		reason string // "": none
		says   string
	}{
		{"nothing set", v1.GitHubRepoSpec{}, repo(org, "private", hide), false, "", ""},
		{"unseen by an App", v1.GitHubRepoSpec{AllowAutoMerge: ptr(true), AllowMergeCommit: ptr(true)}, repo(org, "private", hide), true,
			v1.ReasonAppPermissionMissing, "(allowMergeCommit, allowAutoMerge)"},
		{"unseen by a token", v1.GitHubRepoSpec{AllowAutoMerge: ptr(true)}, repo(org, "private", hide), false,
			v1.ReasonTokenAccessMissing, "Contents: write"},
		{"seen", v1.GitHubRepoSpec{AllowAutoMerge: ptr(true)}, repo(org, "private", nil), true, "", ""},
		{"forking of a private organization repository", v1.GitHubRepoSpec{AllowForking: ptr(false)}, repo(org, "private", nil), false, "", ""},
		{"forking of a public repository", v1.GitHubRepoSpec{AllowForking: ptr(false)}, repo(org, "public", nil), false,
			v1.ReasonInvalidSpec, "a public repository can always be forked"},
		{"forking of a repository the spec makes public", v1.GitHubRepoSpec{AllowForking: ptr(false), Visibility: &public}, repo(org, "private", nil), false,
			v1.ReasonInvalidSpec, "a public repository can always be forked"},
		{"forking allowed on a public repository", v1.GitHubRepoSpec{AllowForking: ptr(true)}, repo(org, "public", nil), false, "", ""},
		{"forking of a user's repository", v1.GitHubRepoSpec{AllowForking: ptr(false)}, repo(user, "private", nil), false,
			v1.ReasonInvalidSpec, "octocat is a user"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := settingsProblem(&c.spec, c.repo, c.app)
			switch {
			case c.reason == "" && f != nil:
				t.Errorf("problem %s: %s, want none", f.reason, f.message)
			case c.reason != "" && f == nil:
				t.Errorf("no problem, want %s", c.reason)
			case f != nil && (f.reason != c.reason || !strings.Contains(f.message, c.says)):
				t.Errorf("problem %s: %s, want %s saying %q", f.reason, f.message, c.reason, c.says)
			}
		})
	}
}

// TestUpdateWhat: a failed update names the spec fields it carried.
func TestUpdateWhat(t *testing.T) {
	spec := &v1.GitHubRepoSpec{AllowSquashMerge: ptr(false), AllowAutoMerge: ptr(true)}
	patch := &github.Repository{Description: ptr("d"), AllowSquashMerge: ptr(false)}
	if got, want := updateWhat(spec, patch), "update the repository (description, allowSquashMerge)"; got != want {
		t.Errorf("updateWhat = %q, want %q", got, want)
	}
	if got := updateWhat(spec, &github.Repository{}); got != "update the repository" {
		t.Errorf("updateWhat of an empty update = %q", got)
	}
}
