package controlplane

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/csv"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeTokenFile writes a --token-auth-file with a fresh random token per
// user and returns the tokens by user name.
func writeTokenFile(path string, users []User) (map[string]string, error) {
	tokens := make(map[string]string, len(users))
	var b strings.Builder
	w := csv.NewWriter(&b)
	for _, u := range users {
		if _, dup := tokens[u.Name]; dup {
			return nil, fmt.Errorf("token file: duplicate user %q", u.Name)
		}
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, fmt.Errorf("token for %s: %w", u.Name, err)
		}
		tokens[u.Name] = hex.EncodeToString(raw)
		// Format: token,user,uid[,"group1,group2"]; an empty group column
		// would put the user in a group named "".
		record := []string{tokens[u.Name], u.Name, u.Name}
		if len(u.Groups) > 0 {
			record = append(record, strings.Join(u.Groups, ","))
		}
		if err := w.Write(record); err != nil {
			return nil, fmt.Errorf("token file: %w", err)
		}
	}
	w.Flush()
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	return tokens, nil
}

// writeServiceAccountKeys generates the key pair the apiserver signs and
// verifies service-account tokens with, and returns the public and private
// key file paths.
func writeServiceAccountKeys(dir string) (pubPath, keyPath string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("service-account key: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", fmt.Errorf("service-account key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", "", fmt.Errorf("service-account public key: %w", err)
	}
	pubPath, keyPath = filepath.Join(dir, "sa.pub"), filepath.Join(dir, "sa.key")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return "", "", fmt.Errorf("service-account key: %w", err)
	}
	if err := os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o600); err != nil {
		return "", "", fmt.Errorf("service-account public key: %w", err)
	}
	return pubPath, keyPath, nil
}

// writeKubeconfig writes a kubeconfig for a token-authenticated config.
func writeKubeconfig(path, user string, cfg *rest.Config) error {
	const name = "hookops"
	kc := clientcmdapi.NewConfig()
	kc.Clusters[name] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: user}
	kc.CurrentContext = name
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return nil
}
