package manifests_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	githubv1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/deletionguard"
	"github.com/hookops/hookops/test/controlplane"
	"github.com/hookops/hookops/test/reference"
)

// TestKustomizationsBuild builds every kustomization under manifests/ with
// kubectl's built-in kustomize, as `kubectl apply -k` does.
func TestKustomizationsBuild(t *testing.T) {
	k := newKubectl(t)
	var dirs []string
	err := filepath.WalkDir(manifestsDir(), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "kustomization.yaml" {
			dirs = append(dirs, filepath.Dir(path))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"", "crds", "controllers", "deploy", "samples"} {
		if !slices.Contains(dirs, manifestsDir(want)) {
			t.Errorf("manifests/%s has no kustomization.yaml", want)
		}
	}
	for _, dir := range dirs {
		rel, _ := filepath.Rel(reference.RepoRoot(), dir)
		t.Run(rel, func(t *testing.T) {
			objs, err := controlplane.ReadObjects(writeBuild(t, k, dir))
			if err != nil {
				t.Fatalf("kubectl kustomize %s: %v", rel, err)
			}
			if len(objs) == 0 {
				t.Errorf("kubectl kustomize %s builds no objects", rel)
			}
		})
	}
}

// installed is the top-level build, indexed by kind.
type installed map[string][]*unstructured.Unstructured

func buildInstall(t *testing.T) installed {
	t.Helper()
	objs, err := controlplane.ReadObjects(writeBuild(t, newKubectl(t), manifestsDir()))
	if err != nil {
		t.Fatal(err)
	}
	out := installed{}
	for _, o := range objs {
		out[o.GetKind()] = append(out[o.GetKind()], o)
	}
	return out
}

// one returns the only object of a kind, converted to a typed object.
func one[T any](t *testing.T, in installed, kind string) *T {
	t.Helper()
	if len(in[kind]) != 1 {
		t.Fatalf("manifests/ builds %d objects of kind %s, want 1", len(in[kind]), kind)
	}
	var typed T
	if !decodeStrict(t, in[kind][0].Object, &typed) {
		t.FailNow()
	}
	return &typed
}

// named returns the object of a kind with a name, converted to a typed
// object.
func named[T any](t *testing.T, in installed, kind, name string) *T {
	t.Helper()
	for _, o := range in[kind] {
		if o.GetName() != name {
			continue
		}
		var typed T
		if !decodeStrict(t, o.Object, &typed) {
			t.FailNow()
		}
		return &typed
	}
	t.Fatalf("manifests/ builds no %s named %s", kind, name)
	return nil
}

// TestInstallHangsTogether checks what `kubectl apply -k manifests/` installs
// for the promises the objects make to each other and to the hook server.
func TestInstallHangsTogether(t *testing.T) {
	in := buildInstall(t)
	const ns = "hookops-system"

	t.Run("contents", func(t *testing.T) {
		var kinds []string
		for kind := range in {
			kinds = append(kinds, kind)
		}
		slices.Sort(kinds)
		want := []string{"Certificate", "ClusterRole", "ClusterRoleBinding", "CompositeController", "CustomResourceDefinition", "DecoratorController", "Deployment", "Issuer", "Namespace",
			"NetworkPolicy", "PodDisruptionBudget", "Role", "RoleBinding", "Service", "ServiceAccount", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}
		if !slices.Equal(kinds, want) {
			t.Errorf("manifests/ builds kinds %v, want %v (samples and Secrets stay out; the one cluster-wide RBAC is the webhook receiver's, see TestWebhookReceiverInstall)", kinds, want)
		}
		for kind, objs := range in {
			for _, o := range objs {
				switch kind {
				case "Namespace", "CustomResourceDefinition", "CompositeController", "DecoratorController",
					"ClusterRole", "ClusterRoleBinding", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding":
					if o.GetNamespace() != "" {
						t.Errorf("cluster-scoped %s %s has namespace %q", kind, o.GetName(), o.GetNamespace())
					}
				default:
					if o.GetNamespace() != ns {
						t.Errorf("%s %s is in namespace %q, want %s", kind, o.GetName(), o.GetNamespace(), ns)
					}
				}
			}
		}
	})

	dep := named[appsv1.Deployment](t, in, "Deployment", "hookops")
	svc := named[corev1.Service](t, in, "Service", "hookops")
	sa := named[corev1.ServiceAccount](t, in, "ServiceAccount", "hookops")
	pdb := named[policyv1.PodDisruptionBudget](t, in, "PodDisruptionBudget", "hookops")
	pod := dep.Spec.Template
	podLabels := labels.Set(pod.Labels)

	t.Run("selectors find the hook server's pods", func(t *testing.T) {
		sel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
		if err != nil || !sel.Matches(podLabels) {
			t.Errorf("Deployment selector %v does not match its pod labels %v (%v)", dep.Spec.Selector, pod.Labels, err)
		}
		if !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
			t.Errorf("Service selector %v does not match the pod labels %v", svc.Spec.Selector, pod.Labels)
		}
		sel, err = metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || !sel.Matches(podLabels) {
			t.Errorf("PodDisruptionBudget selector %v does not match the pod labels %v (%v)", pdb.Spec.Selector, pod.Labels, err)
		}
		if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 1 {
			t.Errorf("PodDisruptionBudget minAvailable = %v, want 1", pdb.Spec.MinAvailable)
		}
	})

	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("the hook server pod has %d containers, want 1", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]

	t.Run("Metacontroller reaches the hooks through the Service", func(t *testing.T) {
		if svc.Name != "hookops" || len(svc.Spec.Ports) != 2 {
			t.Fatalf("Service %s has ports %v, want hookops with http and https", svc.Name, svc.Spec.Ports)
		}
		for i, want := range []struct {
			name      string
			port      int32
			container int32
		}{{"http", 80, 8080}, {"https", 443, 8443}} {
			p := svc.Spec.Ports[i]
			if p.Name != want.name || p.Port != want.port || p.TargetPort.String() != want.name {
				t.Errorf("Service port = %+v, want %s: %d -> %s", p, want.name, want.port, want.name)
			}
			if !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool { return cp.Name == want.name && cp.ContainerPort == want.container }) {
				t.Errorf("container ports %v lack %s: %d, the Service's target", c.Ports, want.name, want.container)
			}
		}
		cc := in["CompositeController"][0]
		hooks, _, _ := unstructured.NestedMap(cc.Object, "spec", "hooks")
		for _, name := range []string{"customize", "sync", "finalize"} {
			hook, _ := hooks[name].(map[string]any)
			if hook == nil {
				t.Errorf("CompositeController has no %s hook", name)
				continue
			}
			if v := hook["version"]; v != "v1" {
				t.Errorf("%s hook version = %v, want v1 (Metacontroller then hands it only same-namespace Secrets)", name, v)
			}
			service, _, _ := unstructured.NestedMap(hook, "webhook", "service")
			if service["name"] != svc.Name || service["namespace"] != svc.Namespace || fmt.Sprint(service["port"]) != fmt.Sprint(svc.Spec.Ports[0].Port) {
				t.Errorf("%s hook calls service %v, want %s/%s port %d", name, service, svc.Namespace, svc.Name, svc.Spec.Ports[0].Port)
			}
		}
		parent, _, _ := unstructured.NestedMap(cc.Object, "spec", "parentResource")
		if parent["apiVersion"] != githubv1.APIVersion || parent["resource"] != githubv1.Resource {
			t.Errorf("parentResource = %v, want %s %s", parent, githubv1.APIVersion, githubv1.Resource)
		}
		children, _, _ := unstructured.NestedSlice(cc.Object, "spec", "childResources")
		wantChild := map[string]any{"apiVersion": "v1", "resource": "configmaps", "updateStrategy": map[string]any{"method": "InPlace"}}
		if len(children) != 1 || !equalJSON(children[0], wantChild) {
			t.Errorf("childResources = %v, want [%v]", children, wantChild)
		}
	})

	t.Run("the container runs the server with its own flags", func(t *testing.T) {
		config, err := os.ReadFile(filepath.Join(reference.RepoRoot(), "server", "config.go"))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(c.Args, "--addr=:8080") {
			t.Errorf("args %v lack --addr=:8080", c.Args)
		}
		for _, arg := range c.Args {
			name, _, _ := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
			if !strings.HasPrefix(arg, "--") || !strings.Contains(string(config), `"`+name+`", `) {
				t.Errorf("arg %q is not a flag defined in server/config.go", arg)
			}
		}
		if !slices.Contains(c.Env, corev1.EnvVar{Name: "HOOKOPS_LOG_LEVEL", Value: "info"}) {
			t.Errorf("env %v lacks HOOKOPS_LOG_LEVEL=info", c.Env)
		}
		for _, p := range []struct {
			what  string
			probe *corev1.Probe
			path  string
		}{{"readiness", c.ReadinessProbe, "/readyz"}, {"liveness", c.LivenessProbe, "/healthz"}} {
			if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "http" {
				t.Errorf("%s probe = %+v, want GET %s on port http", p.what, p.probe, p.path)
			}
		}
		want := map[string]string{"requests.cpu": "50m", "requests.memory": "64Mi", "limits.cpu": "500m", "limits.memory": "256Mi"}
		got := map[string]string{
			"requests.cpu": c.Resources.Requests.Cpu().String(), "requests.memory": c.Resources.Requests.Memory().String(),
			"limits.cpu": c.Resources.Limits.Cpu().String(), "limits.memory": c.Resources.Limits.Memory().String(),
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("resources %s = %s, want %s", k, got[k], w)
			}
		}
		if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 2 {
			t.Errorf("replicas = %v, want 2", dep.Spec.Replicas)
		}
		// Each replica spends its share of GitHub's limits: the share is
		// right only when the server knows how many there are.
		for _, e := range c.Env {
			if e.Name == "HOOKOPS_REPLICAS" && dep.Spec.Replicas != nil && e.Value != strconv.Itoa(int(*dep.Spec.Replicas)) {
				t.Errorf("HOOKOPS_REPLICAS = %q, but the Deployment runs %d replicas", e.Value, *dep.Spec.Replicas)
			}
		}
		if !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "HOOKOPS_REPLICAS" }) {
			t.Error("the server is not told how many replicas share the GitHub budget (HOOKOPS_REPLICAS)")
		}
		if g := pod.Spec.TerminationGracePeriodSeconds; g == nil || *g != 30 {
			t.Errorf("terminationGracePeriodSeconds = %v, want 30", g)
		}
		if len(pod.Spec.TopologySpreadConstraints) == 0 && (pod.Spec.Affinity == nil || pod.Spec.Affinity.PodAntiAffinity == nil) {
			t.Errorf("replicas are not spread across nodes (no topologySpreadConstraints or podAntiAffinity)")
		}
	})

	t.Run("least privilege", func(t *testing.T) {
		if pod.Spec.ServiceAccountName != sa.Name {
			t.Errorf("pod serviceAccountName = %q, want %q", pod.Spec.ServiceAccountName, sa.Name)
		}
		// The server's one write: the deletion guard's ConfigMap.
		role := one[rbacv1.Role](t, in, "Role")
		for _, r := range role.Rules {
			named := slices.Equal(r.ResourceNames, []string{deletionguard.ConfigMapName})
			if !slices.Equal(r.APIGroups, []string{""}) || !slices.Equal(r.Resources, []string{"configmaps"}) ||
				slices.ContainsFunc(r.Verbs, func(v string) bool { return v != "create" && !(named && (v == "get" || v == "update")) }) {
				t.Errorf("Role rule %+v grants more than get and update of ConfigMap %s and create of ConfigMaps", r, deletionguard.ConfigMapName)
			}
		}
		rb := one[rbacv1.RoleBinding](t, in, "RoleBinding")
		if rb.RoleRef.Name != role.Name || len(rb.Subjects) != 1 || rb.Subjects[0].Name != sa.Name || rb.Subjects[0].Namespace != ns {
			t.Errorf("RoleBinding %+v does not bind Role %s to ServiceAccount %s/%s alone", rb, role.Name, ns, sa.Name)
		}
		psc, sc := pod.Spec.SecurityContext, c.SecurityContext
		if psc == nil || sc == nil {
			t.Fatalf("pod or container securityContext missing")
		}
		checks := []struct {
			what string
			ok   bool
		}{
			{"runAsNonRoot", (sc.RunAsNonRoot != nil && *sc.RunAsNonRoot) || (psc.RunAsNonRoot != nil && *psc.RunAsNonRoot)},
			{"runAsUser 65532", (sc.RunAsUser != nil && *sc.RunAsUser == 65532) || (sc.RunAsUser == nil && psc.RunAsUser != nil && *psc.RunAsUser == 65532)},
			{"readOnlyRootFilesystem", sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem},
			{"allowPrivilegeEscalation false", sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation},
			{"capabilities drop ALL", sc.Capabilities != nil && slices.Contains(sc.Capabilities.Drop, "ALL")},
			{"seccompProfile RuntimeDefault", (sc.SeccompProfile != nil && sc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault) ||
				(sc.SeccompProfile == nil && psc.SeccompProfile != nil && psc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault)},
		}
		for _, ck := range checks {
			if !ck.ok {
				t.Errorf("container security: %s is not set", ck.what)
			}
		}
	})
}

func equalJSON(a, b any) bool {
	na, _, errA := normJSON(a)
	nb, _, errB := normJSON(b)
	return errA == nil && errB == nil && reflect.DeepEqual(na, nb)
}
