package standin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// authorizationSpec is a webhook's authorization, as Metacontroller v4.17.2
// reads it (pkg/hooks/auth.go, ResolveAuthorization).
type authorizationSpec struct {
	Type      string `json:"type"`
	SecretRef struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
		Key       string `json:"key"`
	} `json:"secretRef"`
}

var secretsGVR = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// authorization resolves the Authorization header a webhook sends, as
// Metacontroller does: once, when the controller is read; the type defaults
// to Bearer, Basic is refused (it has a field of its own), and the Secret's
// value is trimmed.
func (s *Standin) authorization(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var spec authorizationSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return "", fmt.Errorf("webhook.authorization: %w", err)
	}
	if strings.EqualFold(strings.TrimSpace(spec.Type), "basic") {
		return "", fmt.Errorf("authorization type %q is not supported; use the basicAuth field instead", spec.Type)
	}
	ref := spec.SecretRef
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	secret, err := s.dyn.Resource(secretsGVR).Namespace(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("can't get authorization secret %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	enc, found, _ := unstructured.NestedString(secret.Object, "data", ref.Key)
	value, err := base64.StdEncoding.DecodeString(enc)
	if !found || err != nil {
		return "", fmt.Errorf("authorization secret %s/%s does not contain key %q", ref.Namespace, ref.Name, ref.Key)
	}
	typ := strings.TrimSpace(spec.Type)
	if typ == "" {
		typ = "Bearer"
	}
	return typ + " " + strings.TrimSpace(string(value)), nil
}
