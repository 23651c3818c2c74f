package controlplane

import (
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/client-go/util/keyutil"
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

// writeServiceAccountKey writes to path a new key for the apiserver to sign
// and verify service-account tokens with.
func writeServiceAccountKey(path string) error {
	key, err := keyutil.MakeEllipticPrivateKeyPEM()
	if err != nil {
		return fmt.Errorf("service-account key: %w", err)
	}
	if err := keyutil.WriteKey(path, key); err != nil {
		return fmt.Errorf("service-account key: %w", err)
	}
	return nil
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
