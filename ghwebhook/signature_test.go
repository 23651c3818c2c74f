package ghwebhook

import (
	"encoding/hex"
	"testing"
)

// GitHub's own test vector, from
// https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
const (
	docSecret    = "It's a Secret to Everybody"
	docPayload   = "Hello, World!"
	docSignature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
)

func TestSignGitHubTestVector(t *testing.T) {
	if got := "sha256=" + hex.EncodeToString(sign([]byte(docSecret), []byte(docPayload))); got != docSignature {
		t.Fatalf("sign = %s, want GitHub's %s", got, docSignature)
	}
}

func TestValidSignature(t *testing.T) {
	secrets := func(s ...string) [][]byte {
		var out [][]byte
		for _, x := range s {
			out = append(out, []byte(x))
		}
		return out
	}
	tests := []struct {
		name    string
		body    string
		header  string
		secrets [][]byte
		want    bool
	}{
		{"GitHub's test vector", docPayload, docSignature, secrets(docSecret), true},
		{"second secret of a rotation", docPayload, docSignature, secrets("the new one", docSecret), true},
		{"wrong secret", docPayload, docSignature, secrets("It's a Secret to Nobody"), false},
		{"body changed", docPayload + " ", docSignature, secrets(docSecret), false},
		{"no header", docPayload, "", secrets(docSecret), false},
		{"no prefix", docPayload, docSignature[len("sha256="):], secrets(docSecret), false},
		{"sha1 prefix", docPayload, "sha1=" + docSignature[len("sha256="):], secrets(docSecret), false},
		{"upper-case prefix", docPayload, "SHA256=" + docSignature[len("sha256="):], secrets(docSecret), false},
		{"not hex", docPayload, "sha256=zz", secrets(docSecret), false},
		{"truncated", docPayload, docSignature[:len(docSignature)-2], secrets(docSecret), false},
		{"no secret", docPayload, docSignature, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validSignature([]byte(tt.body), tt.header, tt.secrets); got != tt.want {
				t.Errorf("validSignature = %v, want %v", got, tt.want)
			}
		})
	}
}
