package policy

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	"github.com/hookops/hookops/conversion"
	"github.com/hookops/hookops/test/controlplane"
	"github.com/hookops/hookops/test/pki"
	"github.com/hookops/hookops/test/testkit"
)

const (
	vapName = "githubrepo-secret-namespace"
	// enforceTimeout bounds the wait for a new policy to take effect:
	// kube-apiserver loads policies and bindings asynchronously.
	enforceTimeout = time.Minute
)

var githubrepos = schema.GroupVersionResource{Group: "github.hookops.dev", Version: "v1", Resource: "githubrepos"}

// TestValidatingAdmissionPolicy applies the shipped policy and binding to a
// real kube-apiserver and drives it with kubectl, as a user would.
func TestValidatingAdmissionPolicy(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	// Started before the control plane so that it is stopped after it.
	convertURL, caPEM := startConversionWebhook(t)
	cp := controlplane.StartT(t)
	ctx := testkit.Within(t, 5*time.Minute)
	dyn := dynamic.NewForConfigOrDie(cp.Config)

	// The shipped CRD, with its conversion webhook pointed at the real
	// converter in this process: v1alpha1 requests reach the policy converted
	// exactly as they would in a cluster.
	crds, err := controlplane.ReadObjects(filepath.Join(root, "manifests", "crds", "githubrepos.github.hookops.dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, crd := range crds {
		if err := unstructured.SetNestedMap(crd.Object, map[string]any{
			"url":      convertURL,
			"caBundle": base64.StdEncoding.EncodeToString(caPEM),
		}, "spec", "conversion", "webhook", "clientConfig"); err != nil {
			t.Fatal(err)
		}
	}
	objs := append(crds, namespace("team-a"), namespace("team-b"))
	if err := controlplane.ApplyObjects(ctx, cp.Config, objs...); err != nil {
		t.Fatal(err)
	}

	// An object from before the policy, with a finalizer as Metacontroller
	// puts on every GitHubRepo.
	kubectl := kubectlFor(cp.KubeconfigPath)
	legacy := filepath.Join(t.TempDir(), "legacy.yaml")
	writeFile(t, legacy, `apiVersion: github.hookops.dev/v1
kind: GitHubRepo
metadata:
  name: legacy
  namespace: team-a
  finalizers: [metacontroller.io/compositecontroller-githubrepo]
spec:
  owner: acme
  credentialsSecretRef: {name: gh-token, namespace: team-b}
`)
	if out, err := kubectl(ctx, "apply", "-f", legacy); err != nil {
		t.Fatalf("create legacy object before the policy: %v\n%s", err, out)
	}

	policyDir := filepath.Join(root, "manifests", "policy", "vap")
	if err := controlplane.Apply(ctx, cp.Config, filepath.Join(policyDir, "policy.yaml"), filepath.Join(policyDir, "binding.yaml")); err != nil {
		t.Fatal(err)
	}
	testdata := filepath.Join(root, "test", "policy", "testdata")
	waitEnforced(t, kubectl, filepath.Join(testdata, "other-namespace.yaml"))

	for _, tc := range []struct {
		file string
		deny string // the message expected, empty if admitted
	}{
		{"same-namespace.yaml", ""},
		{"no-namespace.yaml", ""},
		{"other-namespace.yaml", `spec.credentialsSecretRef.namespace is "team-b", but a GitHubRepo may only use a Secret in its own namespace "team-a": move the Secret to "team-a" and drop the namespace field`},
		{"v1alpha1.yaml", ""},
		{"v1alpha1-annotation-same-namespace.yaml", ""},
		// Converted to v1 before evaluation, so the annotation's namespace is
		// seen as the v1 field it becomes.
		{"v1alpha1-annotation-other-namespace.yaml", `spec.credentialsSecretRef.namespace is "team-b", but a GitHubRepo may only use a Secret in its own namespace "team-a"`},
	} {
		t.Run(strings.TrimSuffix(tc.file, ".yaml"), func(t *testing.T) {
			out, err := kubectl(ctx, "apply", "-f", filepath.Join(testdata, tc.file))
			if tc.deny == "" {
				if err != nil {
					t.Fatalf("kubectl apply refused it: %v\n%s", err, out)
				}
				return
			}
			if err == nil {
				t.Fatalf("kubectl apply admitted it, want it denied with %q\n%s", tc.deny, out)
			}
			if !strings.Contains(out, "ValidatingAdmissionPolicy '"+vapName+"'") || !strings.Contains(out, tc.deny) {
				t.Fatalf("kubectl apply output lacks the policy's message %q:\n%s", tc.deny, out)
			}
			t.Logf("denied as expected:\n%s", out)
		})
	}

	// The v1alpha1 objects went through the real converter: the annotation's
	// Secret key and namespace are in the stored v1 object.
	t.Run("v1alpha1 annotation converted", func(t *testing.T) {
		obj, err := dyn.Resource(githubrepos).Namespace("team-a").Get(ctx, "v1alpha1-annotation-same-namespace", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ref, _, _ := unstructured.NestedStringMap(obj.Object, "spec", "credentialsSecretRef")
		want := map[string]string{"name": "gh-token", "key": "pat", "namespace": "team-a"}
		if !maps.Equal(ref, want) {
			t.Errorf("v1 spec.credentialsSecretRef = %v, want %v", ref, want)
		}
	})

	t.Run("object from before the policy", func(t *testing.T) {
		if out, err := kubectl(ctx, "-n", "team-a", "label", "githubrepo", "legacy", "edited=true"); err == nil || !strings.Contains(out, vapName) {
			t.Fatalf("an update keeping the cross-namespace reference: want it denied by %s, got error %v:\n%s", vapName, err, out)
		}
		if out, err := kubectl(ctx, "-n", "team-a", "delete", "githubrepo", "legacy", "--wait=false"); err != nil {
			t.Fatalf("delete refused: %v\n%s", err, out)
		}
		// What Metacontroller does once the finalize hook is done.
		if out, err := kubectl(ctx, "-n", "team-a", "patch", "githubrepo", "legacy", "--type=json",
			"-p", `[{"op":"remove","path":"/metadata/finalizers"}]`); err != nil {
			t.Fatalf("removing the finalizer of an object being deleted was refused: %v\n%s", err, out)
		}
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			_, err := dyn.Resource(githubrepos).Namespace("team-a").Get(ctx, "legacy", metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
		if err != nil {
			t.Fatalf("legacy object not gone after its finalizer was removed: %v", err)
		}
	})
}

// waitEnforced waits until a server-side dry run of a denied object is
// refused by the policy.
func waitEnforced(t *testing.T, kubectl kubectlFunc, deniedFile string) {
	t.Helper()
	var out string
	err := wait.PollUntilContextTimeout(t.Context(), 250*time.Millisecond, enforceTimeout, true, func(ctx context.Context) (bool, error) {
		var err error
		out, err = kubectl(ctx, "apply", "--dry-run=server", "-f", deniedFile)
		return err != nil && strings.Contains(out, vapName), nil
	})
	if err != nil {
		t.Fatalf("policy not in force after %s; last dry run:\n%s", enforceTimeout, out)
	}
}

type kubectlFunc func(ctx context.Context, args ...string) (string, error)

func kubectlFor(kubeconfig string) kubectlFunc {
	return func(ctx context.Context, args ...string) (string, error) {
		out, err := testkit.KubectlCommand(ctx, kubeconfig, args...).CombinedOutput()
		return string(out), err
	}
}

// startConversionWebhook serves ConversionReviews over TLS on loopback, as
// the hook server's /convert does, and returns its URL and CA certificate.
func startConversionWebhook(t *testing.T) (url string, caPEM []byte) {
	t.Helper()
	ca, err := pki.NewCA("hookops-policy-test")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.Server("conversion", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := pair.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(convert))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL + "/convert", ca.CertPEM
}

// convert answers one ConversionReview with package conversion, as the hook
// server does.
func convert(w http.ResponseWriter, r *http.Request) {
	review, err := conversion.DecodeReview(r.Body)
	if err == nil {
		review, err = conversion.Review(r.Context(), review)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = conversion.EncodeReview(w, review)
}

func namespace(name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name},
	}}
}
