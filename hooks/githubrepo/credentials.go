package githubrepo

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/hooks/metacontroller"
)

// credentials is what a sync needs to talk to GitHub: a token, or a GitHub
// App's key. String and GoString hide both, so that no log line or error
// can carry them by accident.
type credentials struct {
	token   string
	app     *appCredentials
	owner   string // spec.owner, on whose account an App acts
	baseURL string // "" for github.com
}

// appCredentials are a GitHub App's: its id, its private key (PEM), and
// the installation to act as; 0 looks up the installation on the owner.
type appCredentials struct {
	id             int64
	privateKey     []byte
	installationID int64
}

func (c credentials) String() string {
	if c.app != nil {
		return fmt.Sprintf("credentials{app:%d, installation:%d, privateKey:REDACTED, baseURL:%s}", c.app.id, c.app.installationID, c.baseURL)
	}
	return "credentials{token:REDACTED, baseURL:" + c.baseURL + "}"
}
func (c credentials) GoString() string { return c.String() }

// id names the credential without revealing it: for the budget and metric
// labels. An App's tokens change every hour, and GitHub counts an
// installation's requests together, so an App credential is named by its
// installation.
func (c credentials) id() string {
	if c.app != nil {
		return credentialID(c.baseURL, "app", strconv.FormatInt(c.app.id, 10), strconv.FormatInt(c.app.installationID, 10), strings.ToLower(c.owner))
	}
	return credentialID(c.baseURL, c.token)
}

func credentialID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:6])
}

// readCredentials finds the referenced Secret among the related objects.
// Hook version v1 only ever hands over Secrets of the parent's namespace.
func readCredentials(repo *v1.GitHubRepo, related metacontroller.ObjectMap) (credentials, *failure) {
	ref := repo.Spec.CredentialsSecretRef
	if ref.Namespace != "" && ref.Namespace != repo.Namespace {
		return credentials{}, newFailure(v1.ReasonCrossNamespaceSecretRef,
			"spec.credentialsSecretRef.namespace is %q, but a GitHubRepo may only use a Secret in its own namespace %q: move the Secret to %q and drop the namespace field",
			ref.Namespace, repo.Namespace, repo.Namespace)
	}
	key := ref.Key
	if key == "" {
		key = "token"
	}
	secret, ok := related.Get("Secret", "v1", repo.Namespace, ref.Name)
	if !ok {
		return credentials{}, newFailure(v1.ReasonSecretNotFound,
			"Secret %s/%s (spec.credentialsSecretRef) does not exist: create it with the GitHub token under key %q", repo.Namespace, ref.Name, key)
	}
	var c credentials
	if appID, ok := secretValue(secret, "appID"); ok && strings.TrimSpace(appID) != "" {
		app, f := readApp(repo.Namespace, ref.Name, secret, appID)
		if f != nil {
			return credentials{}, f
		}
		c.app, c.owner = app, repo.Spec.Owner
	} else {
		token, _ := secretValue(secret, key)
		c.token = strings.TrimSpace(token)
		if c.token == "" {
			return credentials{}, newFailure(v1.ReasonSecretKeyMissing,
				"Secret %s/%s has no non-empty key %q: put the GitHub token there or set spec.credentialsSecretRef.key; for a GitHub App, set appID and privateKey instead", repo.Namespace, ref.Name, key)
		}
	}
	if base, ok := secretValue(secret, "baseURL"); ok && base != "" {
		u, err := url.Parse(strings.TrimSpace(base))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return credentials{}, newFailure(v1.ReasonInvalidSpec,
				"Secret %s/%s key baseURL is not an http(s) URL: use https://HOST/api/v3/ for GitHub Enterprise Server", repo.Namespace, ref.Name)
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		c.baseURL = u.String()
	}
	return c, nil
}

// readApp reads a GitHub App's keys: appID, privateKey (PEM) and the
// optional installationID.
func readApp(ns, name string, secret metacontroller.Object, appID string) (*appCredentials, *failure) {
	id, err := strconv.ParseInt(strings.TrimSpace(appID), 10, 64)
	if err != nil || id <= 0 {
		return nil, newFailure(v1.ReasonInvalidSpec, "Secret %s/%s key appID is not a GitHub App id (a positive number, shown on the App's settings page)", ns, name)
	}
	key, _ := secretValue(secret, "privateKey")
	if strings.TrimSpace(key) == "" {
		return nil, newFailure(v1.ReasonSecretKeyMissing, "Secret %s/%s has appID but no privateKey: put the App's private key (the PEM file GitHub generated) under key privateKey", ns, name)
	}
	app := &appCredentials{id: id, privateKey: []byte(key)}
	if inst, ok := secretValue(secret, "installationID"); ok && strings.TrimSpace(inst) != "" {
		if app.installationID, err = strconv.ParseInt(strings.TrimSpace(inst), 10, 64); err != nil || app.installationID <= 0 {
			return nil, newFailure(v1.ReasonInvalidSpec, "Secret %s/%s key installationID is not a number: set the installation's id, or remove the key to look the installation up on spec.owner", ns, name)
		}
	}
	return app, nil
}

// secretValue reads a key from data (base64) or stringData; ok is false
// when the key is absent or not valid base64.
func secretValue(secret metacontroller.Object, key string) (string, bool) {
	if data, ok := secret["data"].(map[string]any); ok {
		if enc, ok := data[key].(string); ok {
			b, err := base64.StdEncoding.DecodeString(enc)
			if err != nil {
				return "", false
			}
			return string(b), true
		}
	}
	if data, ok := secret["stringData"].(map[string]any); ok {
		if s, ok := data[key].(string); ok {
			return s, true
		}
	}
	return "", false
}
