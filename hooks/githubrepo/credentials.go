package githubrepo

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/hooks/metacontroller"
)

// credentials is what a sync needs to talk to GitHub. String and GoString
// hide the token, so that no log line or error can carry it by accident.
type credentials struct {
	token   string
	baseURL string // "" for github.com
}

func (c credentials) String() string   { return "credentials{token:REDACTED, baseURL:" + c.baseURL + "}" }
func (c credentials) GoString() string { return c.String() }

// id names the credential without revealing it: for per-token pacing and
// metric labels.
func (c credentials) id() string {
	sum := sha256.Sum256([]byte(c.baseURL + "\x00" + c.token))
	return hex.EncodeToString(sum[:6])
}

// readCredentials finds the referenced Secret among the related objects.
// Hook version v1 only ever hands over Secrets of the parent's namespace.
func readCredentials(repo *v1.GitHubRepo, related metacontroller.ObjectMap) (credentials, *failure) {
	ref := repo.Spec.CredentialsSecretRef
	if ref.Namespace != "" && ref.Namespace != repo.Namespace {
		return credentials{}, fail(v1.ReasonCrossNamespaceSecretRef,
			"spec.credentialsSecretRef.namespace is %q, but a GitHubRepo may only use a Secret in its own namespace %q: move the Secret to %q and drop the namespace field",
			ref.Namespace, repo.Namespace, repo.Namespace)
	}
	key := ref.Key
	if key == "" {
		key = "token"
	}
	secret, ok := related.Get("Secret", "v1", repo.Namespace, ref.Name)
	if !ok {
		return credentials{}, fail(v1.ReasonSecretNotFound,
			"Secret %s/%s (spec.credentialsSecretRef) does not exist: create it with the GitHub token under key %q", repo.Namespace, ref.Name, key)
	}
	token, _ := secretValue(secret, key)
	token = strings.TrimSpace(token)
	if token == "" {
		return credentials{}, fail(v1.ReasonSecretKeyMissing,
			"Secret %s/%s has no non-empty key %q: put the GitHub token there or set spec.credentialsSecretRef.key", repo.Namespace, ref.Name, key)
	}
	c := credentials{token: token}
	if base, ok := secretValue(secret, "baseURL"); ok && base != "" {
		u, err := url.Parse(strings.TrimSpace(base))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return credentials{}, fail(v1.ReasonInvalidSpec,
				"Secret %s/%s key baseURL is not an http(s) URL: use https://HOST/api/v3/ for GitHub Enterprise Server", repo.Namespace, ref.Name)
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		c.baseURL = u.String()
	}
	return c, nil
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
