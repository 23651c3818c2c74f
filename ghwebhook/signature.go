package ghwebhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// signaturePrefix starts X-Hub-Signature-256: "sha256=" and the hex HMAC.
const signaturePrefix = "sha256="

// validSignature reports whether header is X-Hub-Signature-256 of body
// under one of secrets: the HMAC-SHA256 of the raw body, hex encoded
// (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries).
// MACs are compared with hmac.Equal, in constant time, so that a caller
// cannot learn a valid signature byte by byte from response times. The
// legacy SHA-1 X-Hub-Signature is never accepted.
func validSignature(body []byte, header string, secrets [][]byte) bool {
	hexMAC, ok := strings.CutPrefix(header, signaturePrefix)
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexMAC)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	valid := false
	for _, secret := range secrets {
		// Every secret is tried, so the time taken does not say which
		// one matched.
		if hmac.Equal(got, sign(secret, body)) {
			valid = true
		}
	}
	return valid
}

// sign is the HMAC-SHA256 of body under secret.
func sign(secret, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return mac.Sum(nil)
}
