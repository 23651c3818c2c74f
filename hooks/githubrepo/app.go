package githubrepo

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v62/github"
)

// appIdle is how long an App installation's transport, and its token, is
// kept without use.
const appIdle = 2 * time.Hour

// Apps keeps one installation transport per GitHub App, installation, API
// host and private key. ghinstallation mints an installation token on
// first use and again a minute before it expires (GitHub: after an hour),
// so a token is minted once an hour per installation, not once a sync; a
// restarted process mints a new one. A rotated key in the Secret is a new
// entry. Tokens live only here, in memory.
type Apps struct {
	mu      sync.Mutex
	entries map[appKey]*appEntry
}

type appKey struct {
	host  string
	app   int64
	owner string // the account, when the installation is looked up
	inst  int64
	key   [sha256.Size]byte
}

type appEntry struct {
	inst     *ghinstallation.Transport
	lastUsed time.Time
}

// NewApps returns an empty cache.
func NewApps() *Apps { return &Apps{entries: map[appKey]*appEntry{}} }

// transport returns the round tripper that authenticates as the App's
// installation on owner's account.
func (a *Apps) transport(base http.RoundTripper, baseURL string, app *appCredentials, owner string) http.RoundTripper {
	t := &appTransport{apps: a, base: base, baseURL: strings.TrimSuffix(cmp.Or(baseURL, "https://api.github.com/"), "/"), app: app}
	// The cache key is the same for every request of the transport: by
	// installation, or by the owner whose installation is looked up.
	t.key = appKey{host: t.baseURL, app: app.id, inst: app.installationID, key: sha256.Sum256(app.privateKey)}
	if app.installationID == 0 {
		t.key.owner = strings.ToLower(owner)
	}
	return t
}

// appTransport resolves the installation on first use and sends each
// request with its installation token.
type appTransport struct {
	apps    *Apps
	base    http.RoundTripper
	baseURL string
	app     *appCredentials
	key     appKey
}

func (t *appTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	e, err := t.apps.entry(r, t)
	if err != nil {
		return nil, err
	}
	resp, err := e.inst.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || r.GetBody == nil && r.Body != nil {
		return resp, err
	}
	// GitHub no longer takes the token (expired early by its clock, or
	// revoked): mint a new one and send the request again, once.
	_ = resp.Body.Close()
	t.apps.forget(t.key)
	if e, err = t.apps.entry(r, t); err != nil {
		return nil, err
	}
	retry := r.Clone(r.Context())
	if r.GetBody != nil {
		if retry.Body, err = r.GetBody(); err != nil {
			return nil, err
		}
	}
	return e.inst.RoundTrip(retry)
}

// entry finds or makes the installation transport, looking the
// installation up on the owner's account when the Secret names none.
func (a *Apps) entry(r *http.Request, t *appTransport) (*appEntry, error) {
	k := t.key
	a.mu.Lock()
	e, ok := a.entries[k]
	if ok {
		e.lastUsed = time.Now()
		a.mu.Unlock()
		return e, nil
	}
	a.mu.Unlock()
	atr, err := ghinstallation.NewAppsTransport(t.base, t.app.id, t.app.privateKey)
	if err != nil {
		return nil, &appError{kind: appKeyUnreadable, err: err}
	}
	atr.BaseURL = t.baseURL
	inst := t.app.installationID
	if inst == 0 {
		if inst, err = t.findInstallation(r, atr); err != nil {
			return nil, err
		}
	}
	itr := ghinstallation.NewFromAppsTransport(atr, inst)
	itr.BaseURL = t.baseURL
	e = &appEntry{inst: itr, lastUsed: time.Now()}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pruneLocked()
	a.entries[k] = e
	return e, nil
}

// findInstallation asks GitHub, as the App, for its installation on the
// owner's account: an organization's first, then a user's.
func (t *appTransport) findInstallation(r *http.Request, atr *ghinstallation.AppsTransport) (int64, error) {
	c, err := github.NewClient(&http.Client{Transport: atr}).WithEnterpriseURLs(t.baseURL+"/", t.baseURL+"/")
	if err != nil {
		return 0, err
	}
	owner := t.key.owner
	inst, _, err := c.Apps.FindOrganizationInstallation(r.Context(), owner)
	if isNotFound(err) {
		inst, _, err = c.Apps.FindUserInstallation(r.Context(), owner)
	}
	switch {
	case isNotFound(err):
		return 0, &appError{kind: appNotInstalled, owner: owner, err: err}
	case statusCode(err) == http.StatusUnauthorized:
		return 0, &appError{kind: appKeyRejected, err: err}
	case err != nil:
		return 0, err
	}
	return inst.GetID(), nil
}

func (a *Apps) forget(k appKey) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.entries, k)
}

// pruneLocked drops installations unused for appIdle, so that rotated keys
// and removed Secrets do not grow the cache.
func (a *Apps) pruneLocked() {
	for k, e := range a.entries {
		if time.Since(e.lastUsed) > appIdle {
			delete(a.entries, k)
		}
	}
}

type appErrorKind int

const (
	appKeyUnreadable appErrorKind = iota
	appKeyRejected
	appNotInstalled
)

// appError is a failure to act as the App at all. It does not unwrap to
// GitHub's answer: a 404 for the installation says nothing about the
// repository the request was for.
type appError struct {
	kind  appErrorKind
	owner string
	err   error
}

func (e *appError) Error() string { return e.err.Error() }

// tokenRefusal is GitHub's answer when it would not mint an installation
// token: ghinstallation reports it as an *ghinstallation.HTTPError.
func tokenRefusal(err error) (status int, ok bool) {
	var he *ghinstallation.HTTPError
	if !errors.As(err, &he) || he.Response == nil {
		return 0, false
	}
	return he.Response.StatusCode, true
}
