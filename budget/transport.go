package budget

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Transport sends the requests of one credential within its budget. A
// request the budget refuses is not sent: RoundTrip returns the
// *LimitedError.
type Transport struct {
	Base   http.RoundTripper
	Budget *Budget
	Cred   string // an id of the credential, never the token
	// Margin is the time a request needs before its context's deadline;
	// a request that could not start earlier is left for a later call.
	Margin time.Duration
}

func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	done, err := t.Budget.Take(r.Context(), t.Cred, KindOf(r.Method, r.URL.Path), t.Margin)
	if err != nil {
		return nil, err
	}
	resp, err := t.Base.RoundTrip(r)
	if err != nil {
		done(nil)
		return nil, err
	}
	a := &Answer{Status: resp.StatusCode, Header: resp.Header}
	if a.Status == http.StatusForbidden || a.Status == http.StatusTooManyRequests {
		a.Secondary = secondary(resp)
	}
	done(a)
	return resp, nil
}

// createPath is where repositories are created: in an organization, in
// the token's account, or from a template (reached by id after the
// template was renamed).
var createPath = regexp.MustCompile(`/(orgs/[^/]+|user)/repos$|/(repos/[^/]+/[^/]+|repositories/\d+)/generate$`)

// KindOf says what a request does: GitHub's points count reads apart, and
// creating a repository is what a flood of new objects does.
func KindOf(method, path string) Kind {
	switch {
	case method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions:
		return Read
	case method == http.MethodPost && createPath.MatchString(path):
		return Create
	}
	return Update
}

// secondary reads an error body for GitHub's secondary-limit message and
// puts the body back for the client. Error bodies are small; a larger one
// is read only in part.
func secondary(resp *http.Response) bool {
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	rest := resp.Body
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(data), rest), rest}
	if err != nil {
		return false
	}
	body := strings.ToLower(string(data))
	return strings.Contains(body, "secondary rate limit") || strings.Contains(body, "secondary-rate-limits")
}
