package fake

import (
	"errors"
	"fmt"
	"strings"
)

// These methods read and change state directly, bypassing authentication,
// permissions and rate limits: for seeding, and for making the drift a
// person clicking in GitHub's UI would cause. Like such a person's
// changes, they send the webhook events GitHub sends for them.

// Seed adds accounts, tokens and repositories to the current state. Reset
// drops them again.
func (s *Server) Seed(cfg Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.st.seed(cfg, s.now()); err != nil {
		return err
	}
	for _, r := range cfg.Repos {
		if repo, moved := s.st.lookup(r.Owner, r.Name); repo != nil && !moved {
			s.emitRepoLocked(s.handBase(), s.handSender(repo), "created", repo)
		}
	}
	return nil
}

// AddRepo stores r (start from NewRepo) and returns it with its id and
// timestamps filled in.
func (s *Server) AddRepo(r Repo) (Repo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, err := s.st.addRepo(r, s.now())
	if err != nil {
		return Repo{}, fmt.Errorf("add repo %s: %w", r.FullName(), err)
	}
	s.emitRepoLocked(s.handBase(), s.handSender(stored), "created", stored)
	return stored.clone(), nil
}

// Repo finds a repository by its current name, case-insensitively.
func (s *Server) Repo(owner, name string) (Repo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, moved := s.st.lookup(owner, name)
	if r == nil || moved {
		return Repo{}, false
	}
	return r.clone(), true
}

// RepoByID finds a repository by id.
func (s *Server) RepoByID(id int64) (Repo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.repos[id]
	if r == nil {
		return Repo{}, false
	}
	return r.clone(), true
}

// Repos lists every repository by id.
func (s *Server) Repos() []Repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.sortedRepos()
}

var errNoRepo = errors.New("no such repository")

// EditRepo changes a repository in place. A new Name is a rename, leaving
// the old name redirecting; Owner and ID can't change. UpdatedAt is bumped
// unless edit sets it.
func (s *Server) EditRepo(owner, name string, edit func(*Repo) error) (Repo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, moved := s.st.lookup(owner, name)
	if r == nil || moved {
		return Repo{}, fmt.Errorf("edit %s/%s: %w", owner, name, errNoRepo)
	}
	orig, next := r.clone(), r.clone()
	before := next.UpdatedAt
	if err := edit(&next); err != nil {
		return Repo{}, fmt.Errorf("edit %s: %w", r.FullName(), err)
	}
	next = next.clone() // property lists decoded from JSON become []string
	if next.ID != r.ID || !strings.EqualFold(next.Owner, r.Owner) {
		return Repo{}, fmt.Errorf("edit %s: id and owner are fixed", r.FullName())
	}
	if next.Name != r.Name {
		if err := s.st.rename(r, next.Name); err != nil {
			return Repo{}, fmt.Errorf("rename %s: %w", r.FullName(), err)
		}
	}
	if next.UpdatedAt.Equal(before) {
		next.UpdatedAt = s.now()
	}
	next.Owner = r.Owner
	*r = next
	s.emitChangesLocked(s.handBase(), s.handSender(r), orig, r)
	return r.clone(), nil
}

// DeleteRepo removes a repository and any redirects to it.
func (s *Server) DeleteRepo(owner, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, moved := s.st.lookup(owner, name)
	if r == nil || moved {
		return fmt.Errorf("delete %s/%s: %w", owner, name, errNoRepo)
	}
	s.emitRepoLocked(s.handBase(), s.handSender(r), "deleted", r)
	s.st.deleteRepo(r)
	return nil
}

// TransferRepo moves a repository to another owner, as its admin would in
// its settings: the old name redirects, and the custom property values of
// the old organization go.
func (s *Server) TransferRepo(owner, name, newOwner string) (Repo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, moved := s.st.lookup(owner, name)
	if r == nil || moved {
		return Repo{}, fmt.Errorf("transfer %s/%s: %w", owner, name, errNoRepo)
	}
	from, to := s.st.account(r.Owner), s.st.account(newOwner)
	if to == nil {
		return Repo{}, fmt.Errorf("transfer %s to %s: no such account", r.FullName(), newOwner)
	}
	sender := s.handSender(r)
	if err := s.st.transfer(r, to); err != nil {
		return Repo{}, fmt.Errorf("transfer %s/%s to %s: %w", owner, name, newOwner, err)
	}
	r.UpdatedAt = s.now()
	s.emitLocked("repository", func() event { return s.transferEvent(s.handBase(), r, from, sender) }, from.Login, to.Login)
	return r.clone(), nil
}

// Touch simulates activity nobody configured on repository id: a push
// (pushed_at) and a star (stargazers_count), which move updated_at too.
// The settings stay the same; the body, and so its ETag, changes.
func (s *Server) Touch(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.repos[id]
	if r == nil {
		return fmt.Errorf("touch %d: %w", id, errNoRepo)
	}
	now := s.now()
	r.PushedAt, r.UpdatedAt = now, now
	r.Stars++
	// The push and the star are push and star events, not repository
	// events: only a webhook subscribed to star gets this one.
	s.emitLocked("star", func() event { return s.starEvent(s.handBase(), r, s.handSender(r)) }, r.Owner)
	return nil
}

// SetTokenRepos limits token to the named repositories (owner/name), as a
// fine-grained token is limited to selected repositories: others that are
// private are 404 to it, and public ones are read-only. No names lift the
// limit. Reset restores Config.TokenRepos.
func (s *Server) SetTokenRepos(token string, fullNames ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.selectRepos(token, fullNames)
}

var errNoMember = errors.New("no such organization member")

// RemoveMember takes a user out of an organization, so the user's tokens
// no longer see its private repositories.
func (s *Server) RemoveMember(org, login string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.account(org)
	if a == nil || !a.org || a.members[strings.ToLower(login)] == "" {
		return fmt.Errorf("remove %s from %s: %w", login, org, errNoMember)
	}
	delete(a.members, strings.ToLower(login))
	return nil
}
