package fake

import (
	"slices"
	"strconv"
)

// event is one webhook event, its payload rendered when it happened.
type event struct {
	name       string // X-GitHub-Event
	action     string
	repository string // owner/name, for the delivery log
	// targetType and targetID are X-GitHub-Hook-Installation-Target-*:
	// the organization (or, for a user's repository, the repository) the
	// webhook is installed on.
	targetType string
	targetID   int64
	payload    map[string]any
}

// change is one repository event a change of a repository makes.
type change struct {
	action  string
	changes map[string]any // the payload's "changes", nil for none
}

// repoChanges lists the repository events a change from before to after
// makes, in the order GitHub's web UI would make them: unarchiving first
// (an archived repository can change nothing else), archiving last. Only
// what GitHub documents an event for counts
// (https://docs.github.com/en/webhooks/webhook-events-and-payloads#repository):
// "edited" covers the description, homepage, default branch and topics
// only, so a change of features (issues, wiki, ...) alone sends nothing,
// and neither does one between private and internal.
func repoChanges(before, after Repo) []change {
	var out []change
	if before.Archived && !after.Archived {
		out = append(out, change{action: "unarchived"})
	}
	if before.Name != after.Name {
		out = append(out, change{action: "renamed", changes: map[string]any{
			"repository": map[string]any{"name": map[string]any{"from": before.Name}}}})
	}
	if edited := editedFields(before, after); len(edited) > 0 {
		out = append(out, change{action: "edited", changes: edited})
	}
	switch {
	case before.Visibility != "public" && after.Visibility == "public":
		out = append(out, change{action: "publicized"})
	case before.Visibility == "public" && after.Visibility != "public":
		out = append(out, change{action: "privatized"})
	}
	if !before.Archived && after.Archived {
		out = append(out, change{action: "archived"})
	}
	return out
}

// editedFields is the "changes" of an edited event: each changed field
// with its old value, description and homepage null when they were unset.
func editedFields(before, after Repo) map[string]any {
	out := map[string]any{}
	if before.Description != after.Description {
		out["description"] = map[string]any{"from": nullable(before.Description)}
	}
	if before.Homepage != after.Homepage {
		out["homepage"] = map[string]any{"from": nullable(before.Homepage)}
	}
	if before.DefaultBranch != after.DefaultBranch {
		out["default_branch"] = map[string]any{"from": before.DefaultBranch}
	}
	if !sameTopics(before.Topics, after.Topics) {
		out["topics"] = map[string]any{"from": append([]string{}, before.Topics...)}
	}
	return out
}

func sameTopics(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// repoEvent renders a repository event about repo (its state now), caused
// by sender, with the API at base.
func (s *Server) repoEvent(base string, c change, repo *Repo, sender string) event {
	body := s.repoBodyAt(base, repo, permAdmin, false)
	// A payload is not anyone's view of the repository.
	delete(body, "permissions")
	p := map[string]any{"action": c.action, "repository": body}
	if c.changes != nil {
		p["changes"] = c.changes
	}
	ev := event{name: "repository", action: c.action, repository: repo.FullName(), payload: p}
	s.addContext(&ev, base, repo, sender)
	return ev
}

// addContext adds the organization, the sender and the webhook target of
// an event about repo.
func (s *Server) addContext(ev *event, base string, repo *Repo, sender string) {
	owner := s.st.account(repo.Owner)
	ev.targetType, ev.targetID = "repository", repo.ID
	if owner.org {
		ev.payload["organization"] = s.orgSimple(base, owner)
		ev.targetType, ev.targetID = "organization", owner.ID
	}
	if a := s.st.account(sender); a != nil {
		ev.payload["sender"] = s.simpleUserAt(base, a)
	}
}

// orgSimple is GitHub's "organization-simple", the organization of a
// webhook payload.
func (s *Server) orgSimple(base string, a *account) map[string]any {
	api := base + "/orgs/" + a.Login
	return map[string]any{
		"login": a.Login, "id": a.ID, "node_id": nodeID("Organization", a.ID), "url": api,
		"repos_url": api + "/repos", "events_url": api + "/events", "hooks_url": api + "/hooks",
		"issues_url": api + "/issues", "members_url": api + "/members{/member}",
		"public_members_url": api + "/public_members{/member}",
		"avatar_url":         s.simpleUserAt(base, a)["avatar_url"], "description": "",
	}
}

// handSender is who a change made by hand is attributed to: whoever
// created the repository, else the owning organization's first admin, else
// the owner.
func (s *Server) handSender(repo *Repo) string {
	if repo.CreatedBy != "" && s.st.account(repo.CreatedBy) != nil {
		return repo.CreatedBy
	}
	owner := s.st.account(repo.Owner)
	var admins []string
	for login, role := range owner.members {
		if role == RoleAdmin {
			admins = append(admins, login)
		}
	}
	slices.Sort(admins)
	if len(admins) > 0 {
		return admins[0]
	}
	return owner.Login
}

// emitChangesLocked sends the repository events of a change of repo from
// before to its state now.
func (s *Server) emitChangesLocked(base, sender string, before Repo, repo *Repo) {
	for _, c := range repoChanges(before, *repo) {
		s.emitLocked("repository", func() event { return s.repoEvent(base, c, repo, sender) }, repo.Owner)
	}
}

// emitRepoLocked sends one repository event about repo.
func (s *Server) emitRepoLocked(base, sender, action string, repo *Repo) {
	s.emitLocked("repository", func() event { return s.repoEvent(base, change{action: action}, repo, sender) }, repo.Owner)
}

// transferEvent is the transferred event of repo, which belonged to from.
func (s *Server) transferEvent(base string, repo *Repo, from *account, sender string) event {
	key := "user"
	prev := s.simpleUserAt(base, from)
	if from.org {
		key, prev = "organization", s.orgSimple(base, from)
	}
	return s.repoEvent(base, change{action: "transferred", changes: map[string]any{
		"owner": map[string]any{"from": map[string]any{key: prev}}}}, repo, sender)
}

// starEvent is the star event of a star given by hand
// (https://docs.github.com/en/webhooks/webhook-events-and-payloads#star).
func (s *Server) starEvent(base string, repo *Repo, sender string) event {
	body := s.repoBodyAt(base, repo, permAdmin, false)
	delete(body, "permissions")
	ev := event{name: "star", action: "created", repository: repo.FullName(), payload: map[string]any{
		"action": "created", "starred_at": timestamp(s.now()), "repository": body}}
	s.addContext(&ev, base, repo, sender)
	return ev
}

// pingEvent is what GitHub sends a new webhook
// (https://docs.github.com/en/webhooks/webhook-events-and-payloads#ping).
func (s *Server) pingEvent(h Webhook, org *account) event {
	base := s.handBase()
	events := slices.Clone(h.Events)
	if len(events) == 0 {
		events = []string{"repository"}
	}
	hook := map[string]any{
		"type": "Organization", "id": h.ID, "name": "web", "active": true,
		"events":     events,
		"config":     map[string]any{"content_type": "json", "insecure_ssl": "0", "url": h.URL},
		"updated_at": timestamp(s.now()), "created_at": timestamp(s.now()),
	}
	p := map[string]any{"zen": "Keep it logically awesome.", "hook_id": h.ID, "hook": hook}
	ev := event{name: "ping", payload: p, targetType: "organization"}
	if org != nil {
		api := base + "/orgs/" + org.Login + "/hooks/" + strconv.FormatInt(h.ID, 10)
		hook["url"], hook["ping_url"], hook["deliveries_url"] = api, api+"/pings", api+"/deliveries"
		p["organization"] = s.orgSimple(base, org)
		ev.targetID = org.ID
	} else {
		// A webhook of every repository is like a GitHub Enterprise
		// Server's global webhook.
		hook["type"], ev.targetType = "Global", "global"
	}
	return ev
}
