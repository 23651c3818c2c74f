package fake

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
)

// Token access: a fine-grained token can be limited to selected
// repositories, and a classic token to scopes, which it alone of its
// user's tokens is held to. An organization enforcing SAML SSO refuses its
// members' tokens until they are authorized for it. An installation access
// token is held to its installation's permissions and repositories.

const notAccessibleByToken = "Resource not accessible by personal access token"

// GitHub's answer to a token not authorized for an organization that
// enforces SAML SSO, with X-GitHub-SSO naming where to authorize it
// (https://docs.github.com/en/rest/authentication/authenticating-to-the-rest-api).
const (
	msgSAML = "Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization."
	docSAML = "https://docs.github.com/articles/authenticating-to-a-github-organization-with-saml-single-sign-on/"
)

// authorizeSSO authorizes token for the organizations named, besides any
// it was authorized for; none forgets them all.
func (st *state) authorizeSSO(token string, orgs []string) {
	if len(orgs) == 0 {
		delete(st.sso, token)
		return
	}
	for _, o := range orgs {
		if o = strings.ToLower(o); !slices.Contains(st.sso[token], o) {
			st.sso[token] = append(st.sso[token], o)
		}
	}
}

// ssoBlocks reports whether the organization owning a resource refuses the
// caller's token for want of SAML authorization: it enforces SAML SSO, the
// user is a member, and the token was not authorized for it. Installation
// tokens are not subject to SAML SSO, and outsiders have no SAML identity
// to check.
func (st *state) ssoBlocks(c *call, owner *account) bool {
	if c.itok != nil || c.app != nil || owner == nil || !owner.org || !owner.saml {
		return false
	}
	if owner.members[strings.ToLower(c.user)] == "" {
		return false
	}
	return !slices.Contains(st.sso[c.token], strings.ToLower(owner.Login))
}

// ssoReply is GitHub's 403 for a token not authorized for org, with the
// URL that authorizes it; the authorization request is opaque.
func (s *Server) ssoReply(c *call, org *account) reply {
	sum := sha256.Sum256([]byte(c.token + "\x00" + strings.ToLower(org.Login)))
	rep := errReply(http.StatusForbidden, msgSAML, docSAML)
	rep.header = http.Header{}
	rep.header.Set("X-GitHub-SSO", "required; url="+s.webURL+"/orgs/"+org.Login+"/sso?authorization_request="+base64.RawURLEncoding.EncodeToString(sum[:]))
	return rep
}

// SetTokenSSO authorizes token for the organizations named, as a user
// authorizes a classic token for SAML SSO; no names revoke every
// authorization. Reset restores Config.TokenSSO.
func (s *Server) SetTokenSSO(token string, orgs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.st.sso, token)
	s.st.authorizeSSO(token, orgs)
}

// permits records the App permissions an endpoint checks for, which
// GitHub names in X-Accepted-GitHub-Permissions, as "name=level" with
// alternatives separated by "; ".
func permits(perms string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		callFrom(r).ghPerms = perms
		h(w, r)
	}
}

// integration is GitHub's 403 for what an installation token may not do.
func integration(doc string) reply {
	return errReply(http.StatusForbidden, msgNotAccessibleByIntegration, doc)
}

// permFor is the access the caller has to a repository.
func (s *Server) permFor(c *call, r *Repo) perm {
	if c.itok == nil {
		return s.st.permission(c.user, r)
	}
	switch {
	case c.itok.covers(s.st, r):
		return c.itok.repoPerm()
	case !r.Private():
		return permPull
	}
	return permNone
}

// orgGate answers for an organization endpoint before its handler runs:
// 403 with X-GitHub-SSO for a member's token not authorized for it; for an
// installation token, 404 unless the App is installed on the organization
// and 403 without the permission the endpoint needs. ok means go on.
func (s *Server) orgGate(c *call, org *account, doc string) (reply, bool) {
	if org == nil || !org.org {
		return reply{}, true // the handler answers 404
	}
	if s.st.ssoBlocks(c, org) {
		return s.ssoReply(c, org), false
	}
	if c.itok == nil {
		return reply{}, true
	}
	if c.itok.inst.account != org {
		return notFound(doc), false
	}
	if !grants(c.itok.perms, c.ghPerms) {
		return integration(doc), false
	}
	return reply{}, true
}

// selectRepos limits token to the named repositories; none lifts the
// limit.
func (st *state) selectRepos(token string, fullNames []string) {
	if len(fullNames) == 0 {
		delete(st.selected, token)
		return
	}
	names := make([]string, len(fullNames))
	for i, n := range fullNames {
		names[i] = strings.ToLower(n)
	}
	st.selected[token] = names
}

// selects reports whether token may reach r.
func (st *state) selects(token string, r *Repo) bool {
	names, limited := st.selected[token]
	return !limited || st.namesSelect(names, r)
}

// hasScope reports whether token may act with scope; tokens without
// configured scopes have them all.
func (st *state) hasScope(token, scope string) bool {
	scopes, classic := st.scopes[token]
	return !classic || slices.Contains(scopes, scope)
}

// accepts records the scopes an endpoint checks for, which GitHub names in
// X-Accepted-OAuth-Scopes.
func accepts(scopes string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		callFrom(r).accepted = scopes
		h(w, r)
	}
}

// stampScopes tells a classic token's client which scopes it has and which
// the endpoint checks for, and a fine-grained actor's (an installation
// token, a fine-grained token) which permissions the endpoint checks for.
func (s *Server) stampScopes(h http.Header, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, fine := s.st.selected[c.token]
	if (c.itok != nil || fine) && c.ghPerms != "" {
		h.Set("X-Accepted-GitHub-Permissions", c.ghPerms)
	}
	scopes, classic := s.st.scopes[c.token]
	if !classic {
		return
	}
	h.Set("X-OAuth-Scopes", strings.Join(scopes, ", "))
	h.Set("X-Accepted-OAuth-Scopes", c.accepted)
}
