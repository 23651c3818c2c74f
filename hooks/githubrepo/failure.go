package githubrepo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/budget"
)

// failure is an outcome the user sees as the Error condition, with what it
// takes to retry.
type failure struct {
	reason  string
	message string
	// resetAt is set when the primary rate limit is spent: nothing is sent
	// to GitHub before it.
	resetAt time.Time
	// secondary marks a secondary rate limit; retryAfter is GitHub's
	// Retry-After when it sent one.
	secondary  bool
	retryAfter time.Duration
	// waiting marks a request the credential's budget did not send: a
	// limit holds until resetAt, and nothing failed.
	waiting bool
	// held marks a deletion the deletion guard holds: nothing failed, and
	// nothing will change until someone confirms it.
	held bool
}

func fail(reason, format string, args ...any) *failure {
	return &failure{reason: reason, message: fmt.Sprintf(format, args...)}
}

// classify turns an error from a GitHub call into a failure. what says
// what was being done, for the message.
func classify(err error, what string) *failure {
	var rl *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	var resp *github.ErrorResponse
	var limited *budget.LimitedError
	switch {
	case errors.As(err, &limited):
		return limitedBy(limited, what)
	case errors.As(err, &rl):
		return &failure{reason: v1.ReasonRateLimited, resetAt: rl.Rate.Reset.Time,
			message: fmt.Sprintf("GitHub's rate limit for this token is spent (%d requests per hour) while trying to %s; hookops waits until it resets at %s", rl.Rate.Limit, what, rl.Rate.Reset.UTC().Format(time.RFC3339))}
	case errors.As(err, &abuse):
		return secondaryLimit(what, abuse.GetRetryAfter())
	case errors.As(err, &resp):
		return classifyResponse(resp, what)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return fail(v1.ReasonGitHubUnavailable, "GitHub did not answer in time while trying to %s; retrying with backoff", what)
	default:
		return fail(v1.ReasonGitHubUnavailable, "GitHub could not be reached while trying to %s: %s; retrying with backoff", what, scrub(err))
	}
}

// limitedBy reports a request the budget did not send. When GitHub said
// the credential is limited the wait counts as a failure, as any refusal
// does; when the budget keeps the credential from being limited, nothing
// failed.
func limitedBy(e *budget.LimitedError, what string) *failure {
	until := e.Until.UTC().Format(time.RFC3339)
	if e.GitHub {
		return &failure{reason: v1.ReasonRateLimited, resetAt: e.Until,
			message: fmt.Sprintf("%s holds this credential, so hookops did not %s: nothing is sent on the credential before %s", e.Limit, what, until)}
	}
	return &failure{reason: v1.ReasonRateLimited, resetAt: e.Until, waiting: true,
		message: fmt.Sprintf("this credential has used its budget under GitHub's documented limits (%s), so hookops did not %s yet: it goes on at %s", e.Limit, what, until)}
}

// notSent says whether err is the budget's: the request never left.
func notSent(err error) bool {
	var limited *budget.LimitedError
	return errors.As(err, &limited)
}

// secondaryLimit backs off for at least retryAfter (0: GitHub named no time).
func secondaryLimit(what string, retryAfter time.Duration) *failure {
	return &failure{reason: v1.ReasonRateLimited, secondary: true, retryAfter: retryAfter,
		message: fmt.Sprintf("GitHub's secondary rate limit was hit while trying to %s; hookops backs off before writing again", what)}
}

func classifyResponse(resp *github.ErrorResponse, what string) *failure {
	code := resp.Response.StatusCode
	msg := resp.Message
	switch {
	case code == http.StatusUnauthorized:
		return fail(v1.ReasonUnauthorized, "GitHub rejected the token (401 %s) while trying to %s: check that the token in the Secret is valid and has not expired or been revoked", msg, what)
	case code == http.StatusTooManyRequests && !strings.Contains(strings.ToLower(msg), "secondary rate limit") && resp.Response.Header.Get("X-RateLimit-Remaining") == "0":
		// GitHub answers the primary limit with 429 too; go-github knows
		// only the 403 form.
		reset, _ := strconv.ParseInt(resp.Response.Header.Get("X-RateLimit-Reset"), 10, 64)
		return &failure{reason: v1.ReasonRateLimited, resetAt: time.Unix(reset, 0),
			message: fmt.Sprintf("GitHub's primary rate limit for this token is spent (429) while trying to %s; hookops waits until it resets at %s", what, time.Unix(reset, 0).UTC().Format(time.RFC3339))}
	case code == http.StatusTooManyRequests || (code == http.StatusForbidden && strings.Contains(strings.ToLower(msg), "secondary rate limit")):
		// go-github reports a 429, and a 403 without its documentation
		// URL, as a plain ErrorResponse.
		retryAfter, _ := time.ParseDuration(resp.Response.Header.Get("Retry-After") + "s")
		return secondaryLimit(what, retryAfter)
	case code == http.StatusForbidden:
		return fail(v1.ReasonForbidden, "GitHub refused to %s (403 %s): the token needs the repo scope (and for organizations, permission to create and administer repositories)", what, msg)
	case code == http.StatusUnprocessableEntity:
		return fail(v1.ReasonInvalidSpec, "GitHub rejected the request to %s (422 %s%s): fix the spec", what, msg, details(resp))
	case code >= 500:
		return fail(v1.ReasonGitHubUnavailable, "GitHub answered %d while trying to %s; retrying with backoff", code, what)
	}
	return fail(v1.ReasonGitHubUnavailable, "GitHub answered %d %s while trying to %s; retrying with backoff", code, msg, what)
}

func details(resp *github.ErrorResponse) string {
	var parts []string
	for _, e := range resp.Errors {
		switch {
		case e.Message != "":
			parts = append(parts, e.Message)
		case e.Field != "":
			parts = append(parts, e.Field+" "+e.Code)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, "; ")
}

// scrub keeps an error message to its last part: transport errors embed the
// request URL, which is harmless, but nothing else from the request is ever
// wanted in a condition.
func scrub(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

func statusCode(err error) int {
	var resp *github.ErrorResponse
	if errors.As(err, &resp) && resp.Response != nil {
		return resp.Response.StatusCode
	}
	return 0
}

func isNotFound(err error) bool { return statusCode(err) == http.StatusNotFound }

// classifyDelete explains a refused deletion. GitHub answers 403 both when
// a classic token lacks the delete_repo scope (its X-OAuth-Scopes header
// lists the scopes it has) and when the organization lets only its owners
// delete repositories.
func classifyDelete(err error) *failure {
	var resp *github.ErrorResponse
	f := classify(err, "delete the repository")
	if f.reason != v1.ReasonForbidden || !errors.As(err, &resp) {
		return f
	}
	// Only classic tokens send the header; its absence says nothing.
	if scopes, classic := resp.Response.Header["X-Oauth-Scopes"]; classic &&
		!strings.Contains(","+strings.ReplaceAll(strings.Join(scopes, ","), " ", "")+",", ",delete_repo,") {
		return fail(v1.ReasonForbidden, "GitHub refused to delete the repository (403 %s): the token has the scopes %q but not delete_repo. Add the delete_repo scope to the token, or set spec.deletionPolicy: Archive or Orphan", resp.Message, strings.Join(scopes, ","))
	}
	return fail(v1.ReasonForbidden, "GitHub refused to delete the repository (403 %s): the organization may let only its owners delete repositories (members_can_delete_repositories), or the token lacks the permission (delete_repo scope; Administration: write). Have an organization owner delete it, or set spec.deletionPolicy: Archive or Orphan", resp.Message)
}
