package stack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"

	"github.com/hookops/hookops/ghwebhook"
	"github.com/hookops/hookops/test/controlplane"
	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/process"
)

// The receiver's identity, as manifests/github-webhooks names it.
const (
	receiverNamespace      = "hookops-system"
	receiverServiceAccount = "hookops-github-webhooks"
)

// receiverKinds are the objects of manifests/github-webhooks the stack
// applies: the identity, its RBAC and its admission policy. Nothing here
// runs Pods, so the Deployment and what serves it stay out.
var receiverKinds = []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}

// startReceiver runs the GitHub webhook receiver as its ServiceAccount, so
// that what it may do is exactly what the shipped RBAC and admission
// policy allow, and points a webhook of the fake GitHub at it.
func (s *Stack) startReceiver(ctx context.Context, root string) error {
	objs, err := readManifests(filepath.Join(root, "manifests", "github-webhooks"), nil)
	if err != nil {
		return fmt.Errorf("read the receiver's manifests: %w", err)
	}
	objs = slices.DeleteFunc(objs, func(o *unstructured.Unstructured) bool { return !slices.Contains(receiverKinds, o.GetKind()) })
	if err := controlplane.ApplyObjects(ctx, s.ControlPlane.Config, objs...); err != nil {
		return fmt.Errorf("install the receiver's identity: %w", err)
	}
	kubeconfig, err := s.receiverKubeconfig(ctx)
	if err != nil {
		return err
	}
	secretFile, err := s.webhookSecretFile()
	if err != nil {
		return err
	}
	p, err := s.exec("github-webhooks", filepath.Join(s.Dir, "hookops-server"), nil, "github-webhooks",
		"--addr", process.LoopbackAny, "--kubeconfig", kubeconfig, "--webhook-secret-file", secretFile, "--log-level", "debug")
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	addr, err := p.ListenAddr(wctx, "serving GitHub webhooks", nil)
	if err != nil {
		return fmt.Errorf("the webhook receiver is not listening: %w", err)
	}
	s.ReceiverURL = "http://" + addr
	s.WebhookURL = s.ReceiverURL + ghwebhook.Path
	if err := p.WaitReady(wctx, process.HTTPOK(nil, s.ReceiverURL+"/readyz")); err != nil {
		return fmt.Errorf("the webhook receiver is not ready: %w", err)
	}
	if s.GitHub != nil {
		if _, err := s.GitHub.AddWebhook(fake.Webhook{URL: s.WebhookURL, Secret: s.WebhookSecret}); err != nil {
			return fmt.Errorf("point the fake's webhook at the receiver: %w", err)
		}
	}
	return nil
}

// receiverKubeconfig writes a kubeconfig holding a token of the
// receiver's ServiceAccount, as the kubelet would mount one.
func (s *Stack) receiverKubeconfig(ctx context.Context) (string, error) {
	client, err := kubernetes.NewForConfig(s.ControlPlane.Config)
	if err != nil {
		return "", err
	}
	tr, err := client.CoreV1().ServiceAccounts(receiverNamespace).CreateToken(ctx, receiverServiceAccount,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](48 * 3600)}}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token of the receiver's ServiceAccount: %w", err)
	}
	return s.writeKubeconfig("github-webhooks.kubeconfig", s.ControlPlane.Config, tr.Status.Token)
}

func (s *Stack) writeKubeconfig(name string, base *rest.Config, token string) (string, error) {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["hookops"] = &clientcmdapi.Cluster{Server: base.Host, CertificateAuthorityData: base.CAData}
	kc.AuthInfos["receiver"] = &clientcmdapi.AuthInfo{Token: token}
	kc.Contexts["hookops"] = &clientcmdapi.Context{Cluster: "hookops", AuthInfo: "receiver"}
	kc.CurrentContext = "hookops"
	path := filepath.Join(s.Dir, name)
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, nil
}

// webhookSecretFile makes a random webhook secret and writes it where the
// receiver reads it, as the Secret hookops-github-webhook would be mounted.
func (s *Stack) webhookSecretFile() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	s.WebhookSecret = hex.EncodeToString(b)
	path := filepath.Join(s.Dir, "github-webhook-secret")
	return path, os.WriteFile(path, []byte(s.WebhookSecret+"\n"), 0o600)
}
