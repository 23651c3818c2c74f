package fake

import (
	"net/http"
	"slices"
	"strings"
)

// Token access: a fine-grained token can be limited to selected
// repositories, and a classic token to scopes, which it alone of its
// user's tokens is held to.

const notAccessibleByToken = "Resource not accessible by personal access token"

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

// selects reports whether token may reach r. GitHub selects repositories,
// not names, so a selected name that now redirects still selects the
// renamed repository.
func (st *state) selects(token string, r *Repo) bool {
	names, limited := st.selected[token]
	if !limited {
		return true
	}
	for _, n := range names {
		if id, ok := st.names[n]; ok && id == r.ID {
			return true
		}
		if id, ok := st.redirects[n]; ok && id == r.ID {
			return true
		}
	}
	return false
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
// the endpoint checks for.
func (s *Server) stampScopes(h http.Header, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	scopes, classic := s.st.scopes[c.token]
	if !classic {
		return
	}
	h.Set("X-OAuth-Scopes", strings.Join(scopes, ", "))
	h.Set("X-Accepted-OAuth-Scopes", c.accepted)
}
