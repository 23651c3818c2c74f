package githubrepo

import (
	"context"
	"encoding/json"
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
	// pending marks a request the credential's budget did not send: a
	// limit holds until resetAt, and nothing failed, so Synced is
	// ReconcilePending rather than ReconcileError.
	pending bool
	// held marks a deletion the deletion guard holds: nothing failed, and
	// nothing will change until someone confirms it.
	held bool
}

func newFailure(reason, format string, args ...any) *failure {
	return &failure{reason: reason, message: fmt.Sprintf(format, args...)}
}

// classify turns an error from a GitHub call into a failure. what says
// what was being done, for the message.
func classify(err error, what string) *failure {
	var rl *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	var resp *github.ErrorResponse
	var limited *budget.LimitedError
	var app *appError
	switch {
	case errors.As(err, &limited):
		return limitedBy(limited, what)
	case errors.As(err, &app):
		return appFailure(app, what)
	case errors.As(err, &rl):
		return &failure{reason: v1.ReasonRateLimited, resetAt: rl.Rate.Reset.Time,
			message: fmt.Sprintf("GitHub's rate limit for this token is spent (%d requests per hour) while trying to %s; hookops waits until it resets at %s", rl.Rate.Limit, what, rl.Rate.Reset.UTC().Format(time.RFC3339))}
	case errors.As(err, &abuse):
		return secondaryLimit(what, abuse.GetRetryAfter())
	case errors.As(err, &resp):
		return classifyResponse(resp, what)
	}
	if status, ok := tokenRefusal(err); ok {
		return installationRefused(status, what)
	}
	var syntax *json.SyntaxError
	var shape *json.UnmarshalTypeError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return newFailure(v1.ReasonGitHubUnavailable, "GitHub did not answer in time while trying to %s; retrying with backoff", what)
	case errors.As(err, &syntax), errors.As(err, &shape):
		// GitHub answered, but not in the shape hookops reads: a proxy's
		// error page, or a field GitHub has changed.
		return newFailure(v1.ReasonGitHubUnavailable, "GitHub's answer could not be read while trying to %s: %s; retrying with backoff", what, scrub(err))
	default:
		return newFailure(v1.ReasonGitHubUnavailable, "GitHub could not be reached while trying to %s: %s; retrying with backoff", what, scrub(err))
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
	return &failure{reason: v1.ReasonRateLimited, resetAt: e.Until, pending: true,
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
		return newFailure(v1.ReasonUnauthorized, "GitHub rejected the token (401 %s) while trying to %s: check that the token in the Secret is valid and has not expired or been revoked", msg, what)
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
		return forbidden(resp, what)
	case code == http.StatusUnprocessableEntity && strings.Contains(strings.ToLower(msg), "visibility can't be changed"):
		return newFailure(v1.ReasonOrganizationPolicy, "GitHub refused to %s (422 %s): the organization lets only its owners change visibility (members_can_change_repo_visibility). Have an owner change it, or leave spec.visibility unset", what, msg)
	case code == http.StatusUnprocessableEntity:
		return newFailure(v1.ReasonInvalidSpec, "GitHub rejected the request to %s (422 %s%s): fix the spec", what, msg, details(resp))
	case code >= 500:
		return newFailure(v1.ReasonGitHubUnavailable, "GitHub answered %d while trying to %s; retrying with backoff", code, what)
	}
	return newFailure(v1.ReasonGitHubUnavailable, "GitHub answered %d %s while trying to %s; retrying with backoff", code, msg, what)
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

// classifyDelete explains a refused deletion, with the way to keep the
// repository instead.
func classifyDelete(err error) *failure {
	f := classify(err, "delete the repository")
	switch f.reason {
	case v1.ReasonForbidden, v1.ReasonTokenScopeMissing, v1.ReasonOrganizationPolicy, v1.ReasonAppPermissionMissing, v1.ReasonTokenAccessMissing, v1.ReasonSSOAuthorizationMissing:
		f.message += "; or set spec.deletionPolicy: Archive or Orphan to keep the repository"
	}
	return f
}

// forbidden tells the causes of a 403 apart by what GitHub sends with it.
// https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api
func forbidden(resp *github.ErrorResponse, what string) *failure {
	h, msg := resp.Response.Header, resp.Message
	lower := strings.ToLower(msg)
	accepted := h.Get("X-Accepted-GitHub-Permissions")
	switch {
	case h.Get("X-GitHub-SSO") != "":
		// The header's url is where the token is authorised; it holds no
		// secret, but the user reaches it from the organization anyway.
		return newFailure(v1.ReasonSSOAuthorizationMissing, "GitHub refused to %s (403 %s): the organization enforces SAML single sign-on and this token is not authorised for it. Authorise the token for the organization (token settings, Configure SSO), then wait for the next sync", what, msg)
	case strings.Contains(lower, "installation has been suspended"):
		return installationRefused(http.StatusForbidden, what)
	case strings.Contains(lower, "not accessible by integration"):
		return newFailure(v1.ReasonAppPermissionMissing, "GitHub refused to %s (403 %s): the GitHub App lacks a permission%s. Grant it in the App's settings and have the installation accept it", what, msg, needs(accepted))
	case strings.Contains(lower, "not accessible by personal access token"):
		return newFailure(v1.ReasonTokenAccessMissing, "GitHub refused to %s (403 %s): the fine-grained token lacks this repository or a permission%s. Add the repository and permission to the token", what, msg, needs(accepted))
	case strings.Contains(lower, "members cannot"):
		return newFailure(v1.ReasonOrganizationPolicy, "GitHub refused to %s (403 %s): the organization keeps this to its owners. Have an organization owner do it, or use an owner's token", what, msg)
	}
	if scopes, classic := h["X-Oauth-Scopes"]; classic {
		if want := h.Get("X-Accepted-Oauth-Scopes"); want != "" && !hasScope(scopes, want) {
			return newFailure(v1.ReasonTokenScopeMissing, "GitHub refused to %s (403 %s): the token has the scopes %q but this needs %s. Add the scope to the token", what, msg, strings.Join(scopes, ","), want)
		}
	}
	return newFailure(v1.ReasonForbidden, "GitHub refused to %s (403 %s): the token or App lacks the permission (repo scope for a classic token; Administration: write for a fine-grained token or an App)", what, msg)
}

func needs(accepted string) string {
	if accepted == "" {
		return ""
	}
	return " (GitHub accepts " + accepted + ")"
}

// hasScope says whether the granted scopes include one of wanted's.
func hasScope(granted []string, wanted string) bool {
	have := "," + strings.ReplaceAll(strings.Join(granted, ","), " ", "") + ","
	for _, w := range strings.Split(wanted, ",") {
		if w = strings.TrimSpace(w); w != "" && strings.Contains(have, ","+w+",") {
			return true
		}
	}
	return false
}

// appFailure reports what kept hookops from acting as the App.
func appFailure(e *appError, what string) *failure {
	switch e.kind {
	case appKeyUnreadable:
		return newFailure(v1.ReasonAppKeyInvalid, "the Secret's privateKey is not a PEM RSA private key, so hookops cannot act as the App to %s: put the .pem file GitHub generated for the App there", what)
	case appNotInstalled:
		return newFailure(v1.ReasonAppNotInstalled, "the GitHub App is not installed on %s, so hookops cannot %s: install it on the account, or set installationID in the Secret", e.owner, what)
	}
	return newFailure(v1.ReasonAppKeyInvalid, "GitHub rejected the App's signed token while trying to %s: check appID, and that privateKey is one of the App's current keys (a key deleted in the App's settings stops working)", what)
}

// installationRefused reports GitHub's refusal to mint an installation
// token.
// https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app
func installationRefused(status int, what string) *failure {
	switch status {
	case http.StatusUnauthorized:
		return newFailure(v1.ReasonAppKeyInvalid, "GitHub rejected the App's signed token while trying to %s: check appID, and that privateKey is one of the App's current keys", what)
	case http.StatusForbidden:
		return newFailure(v1.ReasonAppInstallationSuspended, "the App's installation is suspended, so hookops cannot %s: an owner of the account unsuspends it in the installation's settings", what)
	case http.StatusNotFound:
		return newFailure(v1.ReasonAppNotInstalled, "the App's installation is gone (uninstalled, or installationID names another), so hookops cannot %s: install the App again, and fix or remove installationID in the Secret", what)
	}
	return newFailure(v1.ReasonGitHubUnavailable, "GitHub answered %d to minting the App's installation token while trying to %s; retrying with backoff", status, what)
}
