package fake

import "strings"

// Token access: a fine-grained token can be limited to selected
// repositories, which it alone of its user's tokens is held to.

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
