package fake

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"
)

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// nullable renders an unset string as null, as GitHub does for description
// and homepage.
func nullable(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// nodeID follows GitHub's legacy global ID encoding.
func nodeID(kind string, id int64) string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "0%d:%s%d", len(kind), kind, id))
}

func isPublic(r *Repo) bool { return !r.Private() }

func (a *account) kind() string {
	switch {
	case a.org:
		return "Organization"
	case a.bot:
		return "Bot"
	}
	return "User"
}

// simpleUser is GitHub's "simple-user": how an account appears inside
// other objects.
func (s *Server) simpleUser(r *http.Request, a *account) map[string]any {
	return s.simpleUserAt(apiBase(r), a)
}

// simpleUserAt is simpleUser with the API at base.
func (s *Server) simpleUserAt(base string, a *account) map[string]any {
	api := base + "/users/" + a.Login
	return map[string]any{
		"login":               a.Login,
		"id":                  a.ID,
		"node_id":             nodeID(a.kind(), a.ID),
		"avatar_url":          fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", a.ID),
		"gravatar_id":         "",
		"url":                 api,
		"html_url":            s.webURL + "/" + a.Login,
		"followers_url":       api + "/followers",
		"following_url":       api + "/following{/other_user}",
		"gists_url":           api + "/gists{/gist_id}",
		"starred_url":         api + "/starred{/owner}{/repo}",
		"subscriptions_url":   api + "/subscriptions",
		"organizations_url":   api + "/orgs",
		"repos_url":           api + "/repos",
		"events_url":          api + "/events{/privacy}",
		"received_events_url": api + "/received_events",
		"type":                a.kind(),
		"user_view_type":      "public",
		"site_admin":          false,
	}
}

// publicUser is GitHub's "public-user", the body of GET /users/{login}.
func (s *Server) publicUser(r *http.Request, a *account) map[string]any {
	u := s.simpleUser(r, a)
	for k, v := range map[string]any{
		"name": nullable(a.Name), "company": nil, "blog": "", "location": nil,
		"email": nullable(a.Email), "hireable": nil, "bio": nil, "twitter_username": nil,
		"public_repos": s.st.countRepos(a.Login, isPublic), "public_gists": 0, "followers": 0, "following": 0,
		"created_at": timestamp(a.createdAt), "updated_at": timestamp(a.createdAt),
	} {
		u[k] = v
	}
	return u
}

// privateUser is GitHub's "private-user", the body of GET /user. The
// user_view_type is what lets a client (and the OpenAPI discriminator) tell
// it from a public-user.
func (s *Server) privateUser(r *http.Request, a *account) map[string]any {
	u := s.publicUser(r, a)
	private := s.st.countRepos(a.Login, (*Repo).Private)
	for k, v := range map[string]any{
		"user_view_type": "private", "private_gists": 0, "total_private_repos": private,
		"owned_private_repos": private, "disk_usage": 0, "collaborators": 0,
		"two_factor_authentication": true,
		"plan":                      map[string]any{"name": "free", "space": 976562499, "private_repos": 10000, "collaborators": 0},
	} {
		u[k] = v
	}
	return u
}

// orgBody is GitHub's "organization-full" for GET /orgs/{org}.
func (s *Server) orgBody(r *http.Request, a *account) map[string]any {
	api := apiBase(r) + "/orgs/" + a.Login
	return map[string]any{
		"login": a.Login, "id": a.ID, "node_id": nodeID("Organization", a.ID),
		"url": api, "repos_url": api + "/repos", "events_url": api + "/events", "hooks_url": api + "/hooks",
		"issues_url": api + "/issues", "members_url": api + "/members{/member}",
		"public_members_url": api + "/public_members{/member}",
		"avatar_url":         fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", a.ID),
		"description":        nil, "name": nullable(a.Name), "company": nil, "blog": "", "location": nil,
		"email": nil, "twitter_username": nil, "is_verified": false,
		"has_organization_projects": true, "has_repository_projects": true,
		"public_repos": s.st.countRepos(a.Login, isPublic), "public_gists": 0, "followers": 0, "following": 0,
		"html_url": s.webURL + "/" + a.Login, "type": "Organization",
		"created_at": timestamp(a.createdAt), "updated_at": timestamp(a.createdAt), "archived_at": nil,
		"members_can_create_repositories":    a.canCreate,
		"members_can_delete_repositories":    a.canDelete,
		"members_can_change_repo_visibility": a.canChangeVisibility,

		"members_can_fork_private_repositories": a.canForkPrivate,
	}
}

// repoLinks are the hypermedia URLs of a repository, relative to its API URL.
var repoLinks = map[string]string{
	"forks_url": "/forks", "keys_url": "/keys{/key_id}", "collaborators_url": "/collaborators{/collaborator}",
	"teams_url": "/teams", "hooks_url": "/hooks", "issue_events_url": "/issues/events{/number}",
	"events_url": "/events", "assignees_url": "/assignees{/user}", "branches_url": "/branches{/branch}",
	"tags_url": "/tags", "blobs_url": "/git/blobs{/sha}", "git_tags_url": "/git/tags{/sha}",
	"git_refs_url": "/git/refs{/sha}", "trees_url": "/git/trees{/sha}", "statuses_url": "/statuses/{sha}",
	"languages_url": "/languages", "stargazers_url": "/stargazers", "contributors_url": "/contributors",
	"subscribers_url": "/subscribers", "subscription_url": "/subscription", "commits_url": "/commits{/sha}",
	"git_commits_url": "/git/commits{/sha}", "comments_url": "/comments{/number}",
	"issue_comment_url": "/issues/comments{/number}", "contents_url": "/contents/{+path}",
	"compare_url": "/compare/{base}...{head}", "merges_url": "/merges", "archive_url": "/{archive_format}{/ref}",
	"downloads_url": "/downloads", "issues_url": "/issues{/number}", "pulls_url": "/pulls{/number}",
	"milestones_url": "/milestones{/number}", "notifications_url": "/notifications{?since,all,participating}",
	"labels_url": "/labels{/name}", "releases_url": "/releases{/id}", "deployments_url": "/deployments",
}

// repoBody is GitHub's "full-repository" as a user with permission p sees
// it: only admins see security_and_analysis. Only GET answers carry
// temp_clone_token, as in the recorded exchanges.
func (s *Server) repoBody(r *http.Request, repo *Repo, p perm, withCloneToken bool) map[string]any {
	b := s.repoBodyAt(apiBase(r), repo, p, withCloneToken)
	if p >= permAdmin {
		b["security_and_analysis"] = securityBody(repo)
	}
	hideMergeSettings(b, callFrom(r), p)
	return b
}

// repoBodyAt is repoBody with the API at base.
func (s *Server) repoBodyAt(base string, repo *Repo, p perm, withCloneToken bool) map[string]any {
	owner := s.st.account(repo.Owner)
	ownerBody := s.simpleUserAt(base, owner)
	api := base + "/repos/" + repo.FullName()
	web := s.webURL + "/" + repo.FullName()
	host := strings.TrimPrefix(strings.TrimPrefix(s.webURL, "https://"), "http://")
	b := map[string]any{
		"id": repo.ID, "node_id": nodeID("Repository", repo.ID), "name": repo.Name, "full_name": repo.FullName(),
		"private": repo.Private(), "owner": ownerBody, "html_url": web,
		"description": nullable(repo.Description), "fork": false, "url": api,
		"created_at": timestamp(repo.CreatedAt), "updated_at": timestamp(repo.UpdatedAt), "pushed_at": timestamp(repo.PushedAt),
		"git_url": "git://" + host + "/" + repo.FullName() + ".git", "ssh_url": "git@" + host + ":" + repo.FullName() + ".git",
		"clone_url": web + ".git", "svn_url": web, "homepage": nullable(repo.Homepage),
		"size": 0, "stargazers_count": repo.Stars, "watchers_count": repo.Stars, "language": nil,
		"has_issues": repo.HasIssues, "has_projects": repo.HasProjects, "has_downloads": repo.HasDownloads,
		"has_wiki": repo.HasWiki, "has_pages": false, "has_discussions": repo.HasDiscussions,
		"forks_count": 0, "mirror_url": nil, "archived": repo.Archived, "disabled": false, "open_issues_count": 0,
		"license": licenseBody(base, repo.License), "is_template": repo.IsTemplate, "topics": append([]string{}, repo.Topics...),
		"visibility": repo.Visibility, "forks": 0, "open_issues": 0, "watchers": repo.Stars,
		"default_branch": repo.DefaultBranch,
		"permissions": map[string]bool{
			"admin": p >= permAdmin, "maintain": p >= permAdmin, "push": p >= permPush, "triage": p >= permPush, "pull": p >= permPull,
		},
		"network_count": 0, "subscribers_count": 0,
	}
	maps.Copy(b, mergeBody(repo, owner))
	for k, suffix := range repoLinks {
		b[k] = api + suffix
	}
	if owner.org {
		b["organization"] = ownerBody
		props := map[string]any{}
		for k, v := range repo.CustomProperties {
			props[k] = cloneValue(v)
		}
		b["custom_properties"] = props
	}
	if withCloneToken {
		b["temp_clone_token"] = ""
	}
	if tmpl := s.templateBody(base, repo); tmpl != nil {
		b["template_repository"] = tmpl
	}
	return b
}

var licenses = map[string][2]string{ // key -> name, SPDX id
	"mit":          {"MIT License", "MIT"},
	"apache-2.0":   {"Apache License 2.0", "Apache-2.0"},
	"bsd-3-clause": {`BSD 3-Clause "New" or "Revised" License`, "BSD-3-Clause"},
	"gpl-3.0":      {"GNU General Public License v3.0", "GPL-3.0"},
	"mpl-2.0":      {"Mozilla Public License 2.0", "MPL-2.0"},
	"unlicense":    {"The Unlicense", "Unlicense"},
}

func licenseBody(base, key string) any {
	if key == "" {
		return nil
	}
	l, ok := licenses[key]
	if !ok {
		l = [2]string{"Other", "NOASSERTION"}
	}
	return map[string]any{
		"key": key, "name": l[0], "spdx_id": l[1], "url": base + "/licenses/" + key,
		"node_id": base64.StdEncoding.EncodeToString([]byte("License:" + key)),
	}
}
