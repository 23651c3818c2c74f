package fake

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// MergeSettings are a repository's pull request settings and the flags
// that go with them, under GitHub's names. Nil pointers and empty strings
// stand for GitHub's defaults for a new repository (every merge method
// allowed, the "Default message" titles and messages, forking allowed);
// a stored repository has them filled in.
type MergeSettings struct {
	AllowMergeCommit         *bool  `json:"allow_merge_commit"`
	AllowSquashMerge         *bool  `json:"allow_squash_merge"`
	AllowRebaseMerge         *bool  `json:"allow_rebase_merge"`
	AllowAutoMerge           bool   `json:"allow_auto_merge"`
	AllowUpdateBranch        bool   `json:"allow_update_branch"`
	DeleteBranchOnMerge      bool   `json:"delete_branch_on_merge"`
	SquashMergeCommitTitle   string `json:"squash_merge_commit_title,omitempty"`
	SquashMergeCommitMessage string `json:"squash_merge_commit_message,omitempty"`
	MergeCommitTitle         string `json:"merge_commit_title,omitempty"`
	MergeCommitMessage       string `json:"merge_commit_message,omitempty"`
	WebCommitSignoffRequired bool   `json:"web_commit_signoff_required"`
	// AllowForking is the repository's own forking setting. It counts only
	// for a private or internal repository of an organization that allows
	// forking them: public repositories can always be forked.
	AllowForking *bool `json:"allow_forking"`
}

// The values GitHub accepts, defaults first: a new repository's squash
// commits default to COMMIT_OR_PR_TITLE with COMMIT_MESSAGES and its merge
// commits to MERGE_MESSAGE with PR_TITLE, GitHub's "Default message".
var (
	squashTitles   = []string{"COMMIT_OR_PR_TITLE", "PR_TITLE"}
	squashMessages = []string{"COMMIT_MESSAGES", "PR_BODY", "BLANK"}
	mergeTitles    = []string{"MERGE_MESSAGE", "PR_TITLE"}
	mergeMessages  = []string{"PR_TITLE", "PR_BODY", "BLANK"}
)

func (m *MergeSettings) fillDefaults() {
	for _, p := range []**bool{&m.AllowMergeCommit, &m.AllowSquashMerge, &m.AllowRebaseMerge, &m.AllowForking} {
		if *p == nil {
			*p = ptr(true)
		}
	}
	for _, f := range []struct {
		v    *string
		enum []string
	}{
		{&m.SquashMergeCommitTitle, squashTitles}, {&m.SquashMergeCommitMessage, squashMessages},
		{&m.MergeCommitTitle, mergeTitles}, {&m.MergeCommitMessage, mergeMessages},
	} {
		if *f.v == "" {
			*f.v = f.enum[0]
		}
	}
}

// clone copies the pointers, so that an edit through one copy leaves the
// other alone.
func (m MergeSettings) clone() MergeSettings {
	for _, p := range []**bool{&m.AllowMergeCommit, &m.AllowSquashMerge, &m.AllowRebaseMerge, &m.AllowForking} {
		if *p != nil {
			*p = ptr(**p)
		}
	}
	return m
}

func on(p *bool) bool { return p == nil || *p }

// mergeRequest is the part of a create or update body that sets merge
// settings; both endpoints accept it.
type mergeRequest struct {
	AllowMergeCommit         *bool   `json:"allow_merge_commit"`
	AllowSquashMerge         *bool   `json:"allow_squash_merge"`
	AllowRebaseMerge         *bool   `json:"allow_rebase_merge"`
	AllowAutoMerge           *bool   `json:"allow_auto_merge"`
	DeleteBranchOnMerge      *bool   `json:"delete_branch_on_merge"`
	SquashMergeCommitTitle   *string `json:"squash_merge_commit_title"`
	SquashMergeCommitMessage *string `json:"squash_merge_commit_message"`
	MergeCommitTitle         *string `json:"merge_commit_title"`
	MergeCommitMessage       *string `json:"merge_commit_message"`
}

func (in mergeRequest) empty() bool { return in == mergeRequest{} }

// flagsRequest is what only updating a repository accepts: GitHub's create
// request schemas have none of it.
type flagsRequest struct {
	AllowUpdateBranch        *bool `json:"allow_update_branch"`
	WebCommitSignoffRequired *bool `json:"web_commit_signoff_required"`
	AllowForking             *bool `json:"allow_forking"`
}

func (in flagsRequest) empty() bool { return in == flagsRequest{} }

// keepOwnersOnly drops delete_branch_on_merge true from a create in an
// organization by anyone but one of its owners: "The authenticated user
// must be an organization owner to set this property to true"
// (https://docs.github.com/rest/repos/repos#create-an-organization-repository).
// The docs do not say what GitHub answers otherwise; the fake creates the
// repository without it, which the answer shows.
func (in *mergeRequest) keepOwnersOnly(c *call, org *account) {
	d := in.DeleteBranchOnMerge
	if !org.org || d == nil || !*d || c.itok == nil && org.members[strings.ToLower(c.user)] == RoleAdmin {
		return
	}
	in.DeleteBranchOnMerge = nil
}

// Why GitHub refuses merge settings, where its words are known. The first
// is recorded from a create in integrations/terraform-provider-github#1
// ("422 Repository creation failed. [{Resource:Repository Field:
// Code:custom Message:Either :allow_merge_commit, :allow_squash_merge or
// :allow_rebase_merge must be true}]"), the second from an update in
// integrations/terraform-provider-github#2147.
const (
	noMergeMethod   = "Either :allow_merge_commit, :allow_squash_merge or :allow_rebase_merge must be true"
	noSquashMerge   = "Sorry, you need to allow the squash merge strategy in order to set the default squash commit message title or message. (no_squash_merge_strategy)"
	noMergeCommit   = "Sorry, you need to allow the merge commit strategy in order to set the default merge commit message title or message. (no_merge_commit_strategy)"
	noPrivateForks  = "This organization does not allow private repository forking"
	userForkingOnly = "Forking settings are only available for organization-owned private and internal repositories."
)

// applyTo validates the request against repo as it will be once applied,
// and applies it. failed is the answer's message for a refused
// combination: "Repository creation failed." or "Validation Failed".
func (in mergeRequest) applyTo(repo *Repo, doc, failed string) (reply, bool) {
	if rep, ok := in.checkEnums(doc); !ok {
		return rep, false
	}
	// The OpenAPI description says each title is "Required when using" its
	// message.
	switch {
	case in.SquashMergeCommitMessage != nil && in.SquashMergeCommitTitle == nil:
		return errReply(http.StatusUnprocessableEntity, "Invalid request.\n\n\"squash_merge_commit_title\" wasn't supplied.", doc), false
	case in.MergeCommitMessage != nil && in.MergeCommitTitle == nil:
		return errReply(http.StatusUnprocessableEntity, "Invalid request.\n\n\"merge_commit_title\" wasn't supplied.", doc), false
	}
	next := repo.MergeSettings.clone()
	setPtr(&next.AllowMergeCommit, in.AllowMergeCommit)
	setPtr(&next.AllowSquashMerge, in.AllowSquashMerge)
	setPtr(&next.AllowRebaseMerge, in.AllowRebaseMerge)
	set(&next.AllowAutoMerge, in.AllowAutoMerge)
	set(&next.DeleteBranchOnMerge, in.DeleteBranchOnMerge)
	set(&next.SquashMergeCommitTitle, in.SquashMergeCommitTitle)
	set(&next.SquashMergeCommitMessage, in.SquashMergeCommitMessage)
	set(&next.MergeCommitTitle, in.MergeCommitTitle)
	set(&next.MergeCommitMessage, in.MergeCommitMessage)
	if ferr := in.check(next); ferr != nil {
		return errReply(http.StatusUnprocessableEntity, failed, doc, *ferr), false
	}
	repo.MergeSettings = next
	return reply{}, true
}

// setPtr is set for a setting stored as a pointer: dst gets a copy.
func setPtr[T any](dst **T, v *T) {
	if v != nil {
		*dst = ptr(*v)
	}
}

// check finds what GitHub refuses in the settings next that the request
// would leave. Which combinations of titles and messages exist is what
// GitHub's settings page offers (a squash commit's "Default message",
// COMMIT_OR_PR_TITLE with COMMIT_MESSAGES, or the pull request's title
// with any message; a merge commit's "Default message", MERGE_MESSAGE with
// PR_TITLE, or the pull request's title with its body or nothing); the
// words of those refusals are not recorded anywhere, so the fake's say
// what is wrong.
func (in mergeRequest) check(next MergeSettings) *fieldError {
	squash := in.SquashMergeCommitTitle != nil || in.SquashMergeCommitMessage != nil
	merge := in.MergeCommitTitle != nil || in.MergeCommitMessage != nil
	methods := in.AllowMergeCommit != nil || in.AllowSquashMerge != nil || in.AllowRebaseMerge != nil
	switch {
	case methods && !on(next.AllowMergeCommit) && !on(next.AllowSquashMerge) && !on(next.AllowRebaseMerge):
		return &fieldError{Resource: "Repository", Code: "custom", Message: noMergeMethod}
	case squash && !on(next.AllowSquashMerge):
		return &fieldError{Resource: "Repository", Code: "invalid", Field: "merge_commit_allowed", Message: noSquashMerge}
	case merge && !on(next.AllowMergeCommit):
		return &fieldError{Resource: "Repository", Code: "invalid", Field: "merge_commit_allowed", Message: noMergeCommit}
	case squash && next.SquashMergeCommitTitle == "COMMIT_OR_PR_TITLE" && next.SquashMergeCommitMessage != "COMMIT_MESSAGES":
		return &fieldError{Resource: "Repository", Code: "invalid", Field: "squash_merge_commit_message",
			Message: "squash_merge_commit_title COMMIT_OR_PR_TITLE can only be used with squash_merge_commit_message COMMIT_MESSAGES."}
	case merge && (next.MergeCommitTitle == "MERGE_MESSAGE") != (next.MergeCommitMessage == "PR_TITLE"):
		return &fieldError{Resource: "Repository", Code: "invalid", Field: "merge_commit_message",
			Message: "merge_commit_title MERGE_MESSAGE can only be used with merge_commit_message PR_TITLE, and PR_TITLE only with MERGE_MESSAGE."}
	}
	return nil
}

// checkEnums refuses a value outside an enum as GitHub's request schema
// validation does ("bogus is not a member of [\"open\", \"dismissed\"]").
func (in mergeRequest) checkEnums(doc string) (reply, bool) {
	for _, f := range []struct {
		name string
		v    *string
		enum []string
	}{
		{"squash_merge_commit_title", in.SquashMergeCommitTitle, squashTitles},
		{"squash_merge_commit_message", in.SquashMergeCommitMessage, squashMessages},
		{"merge_commit_title", in.MergeCommitTitle, mergeTitles},
		{"merge_commit_message", in.MergeCommitMessage, mergeMessages},
	} {
		if f.v == nil || slices.Contains(f.enum, *f.v) {
			continue
		}
		quoted := make([]string, len(f.enum))
		for i, e := range f.enum {
			quoted[i] = fmt.Sprintf("%q", e)
		}
		return errReply(http.StatusUnprocessableEntity,
			fmt.Sprintf("Invalid request.\n\nFor 'properties/%s', %s is not a member of [%s].", f.name, *f.v, strings.Join(quoted, ", ")), doc), false
	}
	return reply{}, true
}

// applyTo applies the flags to repo, whose visibility the same request
// may just have changed. allow_forking is the forking policy of a private
// or internal repository owned by an organization, which an organization
// owner must first allow for the organization
// (https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/managing-repository-settings/managing-the-forking-policy-for-your-repository).
// Where the organization does not allow it, GitHub refuses the field
// whatever its value (cli/cli#10000, where GitHub's maintainers call that
// intended); it refuses it for a private repository of a user too
// (integrations/terraform-provider-github#3100, in words not recorded). On
// a public repository, which anyone may fork, it changes nothing.
func (in flagsRequest) applyTo(repo *Repo, owner *account, doc string) (reply, bool) {
	if in.AllowForking != nil && repo.Private() {
		switch {
		case !owner.org:
			return errReply(http.StatusUnprocessableEntity, "Validation Failed", doc,
				fieldError{Resource: "Repository", Code: "invalid", Field: "allow_forking", Message: userForkingOnly}), false
		case !owner.canForkPrivate:
			return errReply(http.StatusUnprocessableEntity, noPrivateForks, doc), false
		}
		setPtr(&repo.AllowForking, in.AllowForking)
	}
	set(&repo.AllowUpdateBranch, in.AllowUpdateBranch)
	set(&repo.WebCommitSignoffRequired, in.WebCommitSignoffRequired)
	return reply{}, true
}

// forkingAllowed is allow_forking as GitHub reports it: always true for a
// public repository and for a user's, the repository's own setting for an
// organization's private or internal one where the organization allows
// forking them, and false where it does not.
func forkingAllowed(repo *Repo, owner *account) bool {
	switch {
	case !repo.Private(), !owner.org:
		return true
	case !owner.canForkPrivate:
		return false
	}
	return on(repo.AllowForking)
}

// mergeKeys are the keys of a repository's body that GitHub shows only to
// those who may push to it: an App's installation token needs contents
// write to see them, administration write is not enough
// (integrations/terraform-provider-github#679 and the note it added to the
// provider's github_repository documentation, #1727), and a reader without
// push access is not shown them (hub4j/github-api#1506).
var mergeKeys = []string{
	"allow_merge_commit", "allow_squash_merge", "allow_rebase_merge", "allow_auto_merge",
	"allow_update_branch", "delete_branch_on_merge", "use_squash_pr_title_as_default",
	"squash_merge_commit_title", "squash_merge_commit_message", "merge_commit_title", "merge_commit_message",
}

// mergeBody is the part of a repository's body that this file keeps.
func mergeBody(repo *Repo, owner *account) map[string]any {
	m := repo.MergeSettings
	m.fillDefaults()
	return map[string]any{
		"allow_merge_commit": *m.AllowMergeCommit, "allow_squash_merge": *m.AllowSquashMerge,
		"allow_rebase_merge": *m.AllowRebaseMerge, "allow_auto_merge": m.AllowAutoMerge,
		"allow_update_branch": m.AllowUpdateBranch, "delete_branch_on_merge": m.DeleteBranchOnMerge,
		"use_squash_pr_title_as_default": m.SquashMergeCommitTitle == "PR_TITLE",
		"squash_merge_commit_title":      m.SquashMergeCommitTitle, "squash_merge_commit_message": m.SquashMergeCommitMessage,
		"merge_commit_title": m.MergeCommitTitle, "merge_commit_message": m.MergeCommitMessage,
		"web_commit_signoff_required": m.WebCommitSignoffRequired,
		"allow_forking":               forkingAllowed(repo, owner),
	}
}

// seesMergeSettings says whether the caller is shown mergeKeys.
func seesMergeSettings(c *call, p perm) bool {
	if c.itok != nil {
		return permLevel(c.itok.perms["contents"]) >= permLevel("write")
	}
	return p >= permPush
}

// hideMergeSettings drops what the caller may not see from a repository's
// body.
func hideMergeSettings(body map[string]any, c *call, p perm) {
	if seesMergeSettings(c, p) {
		return
	}
	for _, k := range mergeKeys {
		delete(body, k)
	}
}
