package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// bearerAuth checks "Authorization: Bearer <token>" against a token file, as
// Metacontroller sends it from a webhook's authorization.secretRef.
// Comparing SHA-256 digests in constant time hides both the token and its
// length from timing.
func bearerAuth(path string) (func(http.Handler) http.Handler, error) {
	token, err := newReloading(func() ([32]byte, error) { return readTokenDigest(path) }, path)
	if err != nil {
		return nil, err
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			want, err := token.get()
			if err != nil {
				writeError(w, http.StatusServiceUnavailable, "hook authentication is not available: the token file cannot be read")
				return
			}
			scheme, presented, ok := strings.Cut(r.Header.Get("Authorization"), " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				w.Header().Set("WWW-Authenticate", `Bearer realm="hookops"`)
				writeError(w, http.StatusUnauthorized, "missing bearer token: send Authorization: Bearer <token>")
				return
			}
			got := sha256.Sum256([]byte(strings.TrimSpace(presented)))
			if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="hookops", error="invalid_token"`)
				writeError(w, http.StatusUnauthorized, "invalid bearer token")
				return
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}

func readTokenDigest(path string) ([32]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return [32]byte{}, fmt.Errorf("read auth token file: %w", err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return [32]byte{}, fmt.Errorf("auth token file %s is empty", path)
	}
	return sha256.Sum256([]byte(t)), nil
}

// requireClientCert refuses hook requests that did not arrive over mutual
// TLS, so that the plain listener cannot be used to go around it.
func requireClientCert(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
			writeError(w, http.StatusUnauthorized, "a client certificate is required: call the HTTPS listener with mutual TLS")
			return
		}
		next.ServeHTTP(w, r)
	})
}
