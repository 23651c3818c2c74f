package controlplane_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/hookops/hookops/test/controlplane"
	"github.com/hookops/hookops/test/reference"
	"github.com/hookops/hookops/test/testkit"
)

const kubeVersion = "v1.36.3"

func TestControlPlane(t *testing.T) {
	start := time.Now()
	cp := controlplane.StartTWith(t, controlplane.Options{
		Users: []controlplane.User{{Name: "alice", Groups: []string{"hookops:testers"}}},
	})
	t.Logf("control plane up in %s (dir %s)", time.Since(start).Round(time.Millisecond), cp.Dir)
	cs := kubernetes.NewForConfigOrDie(cp.Config)

	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatalf("server version: %v", err)
	}
	if v.GitVersion != kubeVersion {
		t.Errorf("server version = %q, want %q", v.GitVersion, kubeVersion)
	}

	t.Run("apply metacontroller CRDs and a CompositeController", func(t *testing.T) { testApply(t, cp) })
	t.Run("garbage collector deletes dependents", func(t *testing.T) { testGarbageCollection(t, cs) })
	t.Run("namespace deletion completes", func(t *testing.T) { testNamespaceDeletion(t, cs) })
	t.Run("kubeconfig works with kubectl", func(t *testing.T) { testKubectl(t, cp) })
	t.Run("RBAC denies an unbound user", func(t *testing.T) { testRBAC(t, cp) })

	stopStart := time.Now()
	if err := cp.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	t.Logf("control plane stopped in %s", time.Since(stopStart).Round(time.Millisecond))
	if _, err := os.Stat(cp.Dir); !os.IsNotExist(err) {
		t.Errorf("control plane dir %s still exists after Stop (stat: %v)", cp.Dir, err)
	}
	if kids := childProcesses(t); len(kids) > 0 {
		t.Errorf("child processes left after Stop: %v", kids)
	}
}

func testApply(t *testing.T, cp *controlplane.ControlPlane) {
	root, err := reference.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	crds := reference.Path(t, "metacontroller", "crds-v4.17.2.yaml")
	controller := filepath.Join(root, "manifests", "controllers", "githubrepo.yaml")
	if err := controlplane.Apply(testkit.Context(t), cp.Config, crds, controller); err != nil {
		t.Fatal(err)
	}

	dyn := dynamic.NewForConfigOrDie(cp.Config)
	gvr := schema.GroupVersionResource{Group: "metacontroller.k8s.io", Version: "v1alpha1", Resource: "compositecontrollers"}
	cc, err := dyn.Resource(gvr).Get(testkit.Context(t), "githubrepo", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("read CompositeController back: %v", err)
	}
	if got := cc.Object["spec"].(map[string]any)["parentResource"].(map[string]any)["resource"]; got != "githubrepos" {
		t.Errorf("spec.parentResource.resource = %v, want githubrepos", got)
	}
	if mf := cc.GetManagedFields(); len(mf) == 0 || mf[0].Manager != controlplane.FieldManager {
		t.Errorf("managedFields = %+v, want manager %q", mf, controlplane.FieldManager)
	}
}

func testGarbageCollection(t *testing.T, cs kubernetes.Interface) {
	ctx := testkit.Context(t)
	cms := cs.CoreV1().ConfigMaps(metav1.NamespaceDefault)
	owner, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owner"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dependent := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name:            "dependent",
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID}},
	}}
	if _, err := cms.Create(ctx, dependent, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cms.Delete(ctx, owner.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, "ConfigMap default/dependent", func(ctx context.Context) error {
		_, err := cms.Get(ctx, dependent.Name, metav1.GetOptions{})
		return err
	})
}

func testNamespaceDeletion(t *testing.T, cs kubernetes.Interface) {
	ctx := testkit.Context(t)
	ns, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "doomed"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Content makes the namespace controller do real work before finalizing.
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "content"}}
	if _, err := cs.CoreV1().ConfigMaps(ns.Name).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cs.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, "Namespace doomed", func(ctx context.Context) error {
		_, err := cs.CoreV1().Namespaces().Get(ctx, ns.Name, metav1.GetOptions{})
		return err
	})
}

func testKubectl(t *testing.T, cp *controlplane.ControlPlane) {
	out, err := exec.CommandContext(testkit.Context(t), "/usr/bin/kubectl", "--kubeconfig", cp.KubeconfigPath, "get", "ns").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl get ns: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "kube-system") {
		t.Errorf("kubectl get ns does not list kube-system:\n%s", out)
	}
}

func testRBAC(t *testing.T, cp *controlplane.ControlPlane) {
	cfg, err := cp.UserConfig("alice")
	if err != nil {
		t.Fatal(err)
	}
	_, err = kubernetes.NewForConfigOrDie(cfg).CoreV1().Namespaces().List(testkit.Context(t), metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("alice listing namespaces: err = %v, want Forbidden", err)
	}
}

// waitGone polls get until it reports NotFound.
func waitGone(t *testing.T, what string, get func(context.Context) error) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		last = get(ctx)
		return apierrors.IsNotFound(last), nil
	})
	if err != nil {
		t.Fatalf("%s still exists: %v (last get: %v)", what, err, last)
	}
}

// childProcesses lists the live processes whose parent is this test binary.
func childProcesses(t *testing.T) []string {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	me := strconv.Itoa(os.Getpid())
	var kids []string
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // the process ended meanwhile
		}
		// Fields after the parenthesised command: state, ppid, ...
		afterComm := string(data[strings.LastIndexByte(string(data), ')')+1:])
		if f := strings.Fields(afterComm); len(f) > 1 && f[1] == me {
			kids = append(kids, filepath.Base(filepath.Dir(path)))
		}
	}
	return kids
}
