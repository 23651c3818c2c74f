package manifests_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	githubv1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/reference"
	"github.com/hookops/hookops/test/testkit"
)

// The GitHub webhook receiver's objects, as manifests/github-webhooks names
// them.
const (
	receiverName      = "hookops-github-webhooks"
	receiverNamespace = "hookops-system"
	receiverSecret    = "hookops-github-webhook"
)

// receiverUser is the receiver's identity in the API server.
var receiverUser = "system:serviceaccount:" + receiverNamespace + ":" + receiverName

// receiverRules is everything the receiver may do: read GitHubRepos
// cluster-wide for its index and patch them for the annotation.
var receiverRules = []rbacv1.PolicyRule{{
	APIGroups: []string{githubv1.Group}, Resources: []string{githubv1.Resource}, Verbs: []string{"get", "list", "watch", "patch"},
}}

// TestWebhookReceiverInstall checks what `kubectl apply -k manifests/`
// installs for the webhook receiver: least privilege, and objects that find
// the receiver's Pods and not the hook server's.
func TestWebhookReceiverInstall(t *testing.T) {
	in := buildInstall(t)
	dep := named[appsv1.Deployment](t, in, "Deployment", receiverName)
	pod := dep.Spec.Template
	podLabels := labels.Set(pod.Labels)
	server := named[appsv1.Deployment](t, in, "Deployment", "hookops")
	serverLabels := labels.Set(server.Spec.Template.Labels)

	t.Run("the container runs the receiver with its own flags", func(t *testing.T) {
		if len(pod.Spec.Containers) != 1 {
			t.Fatalf("%d containers, want 1", len(pod.Spec.Containers))
		}
		c := pod.Spec.Containers[0]
		if c.Image != server.Spec.Template.Spec.Containers[0].Image {
			t.Errorf("image %s, want the hook server's %s: the receiver is a command of that binary", c.Image, server.Spec.Template.Spec.Containers[0].Image)
		}
		config, err := os.ReadFile(filepath.Join(reference.RepoRoot(), "ghwebhook", "config.go"))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Args) == 0 || c.Args[0] != "github-webhooks" {
			t.Fatalf("args %v do not start with the github-webhooks command", c.Args)
		}
		for _, arg := range c.Args[1:] {
			name, _, _ := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
			if !strings.HasPrefix(arg, "--") || !strings.Contains(string(config), `"`+name+`", `) {
				t.Errorf("arg %q is not a flag defined in ghwebhook/config.go", arg)
			}
		}
		secretFile := ""
		for _, arg := range c.Args {
			if v, ok := strings.CutPrefix(arg, "--webhook-secret-file="); ok {
				secretFile = v
			}
		}
		mounted := false
		for _, m := range c.VolumeMounts {
			for _, v := range pod.Spec.Volumes {
				if v.Name == m.Name && v.Secret != nil && v.Secret.SecretName == receiverSecret && m.ReadOnly &&
					secretFile == m.MountPath+"/secret" && (v.Secret.Optional == nil || !*v.Secret.Optional) {
					mounted = true
				}
			}
		}
		if !mounted {
			t.Errorf("--webhook-secret-file=%s is not key secret of the Secret %s, mounted read-only", secretFile, receiverSecret)
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
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Errorf("container securityContext %+v is not locked down as the hook server's", sc)
		}
	})

	t.Run("selectors find the receiver's pods and not the hook server's", func(t *testing.T) {
		sel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
		if err != nil || !sel.Matches(podLabels) || sel.Matches(serverLabels) {
			t.Errorf("Deployment selector %v: matches its pods %v, the hook server's %v (%v)", dep.Spec.Selector, sel.Matches(podLabels), sel.Matches(serverLabels), err)
		}
		svc := named[corev1.Service](t, in, "Service", receiverName)
		if s := labels.SelectorFromSet(svc.Spec.Selector); !s.Matches(podLabels) || s.Matches(serverLabels) {
			t.Errorf("Service selector %v does not select the receiver's pods alone", svc.Spec.Selector)
		}
		if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.String() != "http" {
			t.Errorf("Service ports %v, want one to http", svc.Spec.Ports)
		}
		pdb := named[policyv1.PodDisruptionBudget](t, in, "PodDisruptionBudget", receiverName)
		if s, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector); err != nil || !s.Matches(podLabels) || s.Matches(serverLabels) {
			t.Errorf("PodDisruptionBudget selector %v does not select the receiver's pods alone", pdb.Spec.Selector)
		}
		np := named[networkingv1.NetworkPolicy](t, in, "NetworkPolicy", receiverName)
		if s, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector); err != nil || !s.Matches(podLabels) || s.Matches(serverLabels) {
			t.Errorf("NetworkPolicy podSelector %v does not select the receiver's pods alone", np.Spec.PodSelector)
		}
		if len(np.Spec.Ingress) != 1 || len(np.Spec.Ingress[0].Ports) != 1 || np.Spec.Ingress[0].Ports[0].Port.String() != "http" {
			t.Errorf("NetworkPolicy ingress %+v, want the receiver's port http alone", np.Spec.Ingress)
		}
		// The hook server's objects must not take in the receiver's pods.
		for _, kind := range []string{"Service", "PodDisruptionBudget", "NetworkPolicy"} {
			for _, o := range in[kind] {
				if o.GetName() == receiverName {
					continue
				}
				if selects(t, kind, o.Object, podLabels) {
					t.Errorf("%s %s selects the receiver's pods", kind, o.GetName())
				}
			}
		}
	})

	t.Run("least privilege", func(t *testing.T) {
		sa := named[corev1.ServiceAccount](t, in, "ServiceAccount", receiverName)
		if pod.Spec.ServiceAccountName != sa.Name || sa.Namespace != receiverNamespace {
			t.Errorf("pod serviceAccountName %q, ServiceAccount %s/%s; want %s/%s", pod.Spec.ServiceAccountName, sa.Namespace, sa.Name, receiverNamespace, receiverName)
		}
		role := named[rbacv1.ClusterRole](t, in, "ClusterRole", receiverName)
		if !equalJSON(role.Rules, receiverRules) || role.AggregationRule != nil {
			t.Errorf("ClusterRole rules %+v, want exactly %+v", role.Rules, receiverRules)
		}
		rb := named[rbacv1.ClusterRoleBinding](t, in, "ClusterRoleBinding", receiverName)
		want := []rbacv1.Subject{{Kind: "ServiceAccount", Name: receiverName, Namespace: receiverNamespace}}
		if rb.RoleRef.Kind != "ClusterRole" || rb.RoleRef.Name != role.Name || !equalJSON(rb.Subjects, want) {
			t.Errorf("ClusterRoleBinding %+v does not bind %s to the ServiceAccount alone", rb, role.Name)
		}
		// No other binding names the receiver.
		for _, kind := range []string{"RoleBinding", "ClusterRoleBinding"} {
			for _, o := range in[kind] {
				if o.GetName() != receiverName && strings.Contains(jsonOf(t, o.Object), receiverName) {
					t.Errorf("%s %s grants the receiver more", kind, o.GetName())
				}
			}
		}
	})

	t.Run("admission policy names the receiver and its annotation", func(t *testing.T) {
		vap := named[admissionv1.ValidatingAdmissionPolicy](t, in, "ValidatingAdmissionPolicy", "githubrepo-github-webhooks")
		if len(vap.Spec.MatchConditions) != 1 || !strings.Contains(vap.Spec.MatchConditions[0].Expression, "'"+receiverUser+"'") {
			t.Errorf("matchConditions %+v do not name %s", vap.Spec.MatchConditions, receiverUser)
		}
		if !strings.Contains(jsonOf(t, vap.Spec.Variables), "'"+githubv1.AnnotationGitHubEvent+"'") {
			t.Errorf("variables %+v do not name the annotation %s", vap.Spec.Variables, githubv1.AnnotationGitHubEvent)
		}
		binding := named[admissionv1.ValidatingAdmissionPolicyBinding](t, in, "ValidatingAdmissionPolicyBinding", "githubrepo-github-webhooks")
		if binding.Spec.PolicyName != vap.Name || !slices.Equal(binding.Spec.ValidationActions, []admissionv1.ValidationAction{admissionv1.Deny}) {
			t.Errorf("binding %+v does not enforce %s with Deny", binding.Spec, vap.Name)
		}
	})
}

// selects reports whether a Service, PodDisruptionBudget or NetworkPolicy
// (as built) selects pods with podLabels.
func selects(t *testing.T, kind string, obj map[string]any, podLabels labels.Set) bool {
	t.Helper()
	switch kind {
	case "Service":
		var svc corev1.Service
		return decodeStrict(t, obj, &svc) && len(svc.Spec.Selector) > 0 && labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels)
	case "PodDisruptionBudget":
		var pdb policyv1.PodDisruptionBudget
		if !decodeStrict(t, obj, &pdb) {
			return false
		}
		s, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		return err == nil && s.Matches(podLabels)
	case "NetworkPolicy":
		var np networkingv1.NetworkPolicy
		if !decodeStrict(t, obj, &np) {
			return false
		}
		s, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		return err == nil && s.Matches(podLabels)
	}
	return false
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	_, s, err := normJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// receiverConfig acts as the receiver's ServiceAccount, as its Pods would.
func receiverConfig(admin *rest.Config, user string) *rest.Config {
	cfg := rest.CopyConfig(admin)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + receiverNamespace, "system:authenticated"}}
	return cfg
}

// testReceiverRBAC compares, on the API server, what the receiver may do in
// a namespace with what a ServiceAccount without any binding may: the
// difference must be the one rule of the ClusterRole. It also checks the
// cluster-wide reads the index needs and a few refusals by name.
func testReceiverRBAC(t *testing.T, admin *rest.Config) {
	ctx := testkit.Context(t)
	rules := func(user string) []string {
		t.Helper()
		client := kubernetes.NewForConfigOrDie(receiverConfig(admin, user))
		review, err := client.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx,
			&authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "team-a"}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("rules of %s: %v", user, err)
		}
		var out []string
		for _, r := range review.Status.ResourceRules {
			out = append(out, fmt.Sprintf("%v %v %v %v", r.APIGroups, r.Resources, r.ResourceNames, r.Verbs))
		}
		slices.Sort(out)
		return out
	}
	bare := rules("system:serviceaccount:" + receiverNamespace + ":nobody")
	var extra []string
	for _, r := range rules(receiverUser) {
		if !slices.Contains(bare, r) {
			extra = append(extra, r)
		}
	}
	if want := []string{"[github.hookops.dev] [githubrepos] [] [get list watch patch]"}; !slices.Equal(extra, want) {
		t.Errorf("the receiver may do %q beyond a bare ServiceAccount, want exactly %q", extra, want)
	}

	client := kubernetes.NewForConfigOrDie(admin)
	for _, tc := range []struct {
		verb, resource, sub, ns string
		allowed                 bool
	}{
		{"list", "githubrepos", "", "", true},
		{"watch", "githubrepos", "", "", true},
		{"patch", "githubrepos", "", "team-a", true},
		{"update", "githubrepos", "", "team-a", false},
		{"create", "githubrepos", "", "team-a", false},
		{"delete", "githubrepos", "", "team-a", false},
		{"patch", "githubrepos", "status", "team-a", false},
		{"update", "githubrepos", "status", "team-a", false},
	} {
		sar, err := client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: receiverUser, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + receiverNamespace, "system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: tc.ns, Verb: tc.verb, Group: githubv1.Group, Resource: tc.resource, Subresource: tc.sub},
		}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if sar.Status.Allowed != tc.allowed {
			t.Errorf("%s %s/%s in %q: allowed %v, want %v", tc.verb, tc.resource, tc.sub, tc.ns, sar.Status.Allowed, tc.allowed)
		}
	}
	for _, res := range []string{"secrets", "configmaps"} {
		sar, err := client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: receiverUser, ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "get", Resource: res},
		}}, metav1.CreateOptions{})
		if err != nil || sar.Status.Allowed {
			t.Errorf("get %s cluster-wide: allowed %v (%v), want refused", res, sar.Status.Allowed, err)
		}
	}
}

// testReceiverAdmission drives the admission policy as the receiver: the
// patch the receiver sends is admitted, any other change of a GitHubRepo
// is refused, and other users are not affected.
func testReceiverAdmission(t *testing.T, admin *rest.Config) {
	ctx := testkit.Within(t, 3*time.Minute)
	kube := kubernetes.NewForConfigOrDie(admin)
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-w"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	adminRepos := dynamic.NewForConfigOrDie(admin).Resource(ghrResource).Namespace("team-w")
	obj := sampleRepo(t)
	obj.SetNamespace("team-w")
	obj.SetName("watched")
	obj.SetFinalizers([]string{"metacontroller.io/compositecontroller-githubrepo"})
	obj.SetAnnotations(map[string]string{"team.example.com/owner": "alice"})
	obj, err := adminRepos.Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = adminRepos.Patch(context.Background(), "watched", types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
	})
	repos := dynamic.NewForConfigOrDie(receiverConfig(admin, receiverUser)).Resource(ghrResource).Namespace("team-w")
	patch := func(client dynamic.ResourceInterface, body string, sub ...string) error {
		_, err := client.Patch(ctx, "watched", types.MergePatchType, []byte(body), metav1.PatchOptions{FieldManager: "hookops-github-webhooks"}, sub...)
		return err
	}
	const policy = "githubrepo-github-webhooks"
	// Policies are loaded asynchronously: wait until one refusal is the
	// policy's.
	var last error
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		last = patch(repos, `{"metadata":{"labels":{"probe":"x"}}}`)
		return last != nil && strings.Contains(last.Error(), policy), nil
	})
	if err != nil {
		t.Fatalf("the policy is not in force after a minute; last patch: %v", last)
	}

	denied := func(body string) func(error) string {
		return func(err error) string {
			if err == nil || !apierrors.IsInvalid(err) && !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), policy) {
				return fmt.Sprintf("%s: %v, want refused by %s", body, err, policy)
			}
			return ""
		}
	}
	allowed := func(err error) string {
		if err != nil {
			return fmt.Sprintf("refused: %v", err)
		}
		return ""
	}
	forbiddenByRBAC := func(err error) string {
		if !apierrors.IsForbidden(err) || strings.Contains(err.Error(), policy) {
			return fmt.Sprintf("%v, want refused by RBAC", err)
		}
		return ""
	}
	uid := string(obj.GetUID())
	for _, tc := range []struct {
		name  string
		do    func() error
		check func(error) string
	}{
		{"the receiver's own patch", func() error {
			return patch(repos, `{"metadata":{"annotations":{"`+githubv1.AnnotationGitHubEvent+`":"72d3162e-cc78-11e3-81ab-4c9367dc0958"},"uid":"`+uid+`"}}`)
		}, allowed},
		{"the annotation again", func() error {
			return patch(repos, `{"metadata":{"annotations":{"`+githubv1.AnnotationGitHubEvent+`":"another"}}}`)
		}, allowed},
		{"another annotation", func() error {
			return patch(repos, `{"metadata":{"annotations":{"github.hookops.dev/confirm-deletion":"true"}}}`)
		}, denied("another annotation")},
		{"an annotation removed", func() error { return patch(repos, `{"metadata":{"annotations":{"team.example.com/owner":null}}}`) }, denied("an annotation removed")},
		{"a label", func() error { return patch(repos, `{"metadata":{"labels":{"x":"y"}}}`) }, denied("a label")},
		{"the spec", func() error { return patch(repos, `{"spec":{"description":"not yours"}}`) }, denied("the spec")},
		{"the finalizers", func() error { return patch(repos, `{"metadata":{"finalizers":null}}`) }, denied("the finalizers")},
		{"the status", func() error { return patch(repos, `{"status":{"repoID":7}}`, "status") }, forbiddenByRBAC},
		{"a delete", func() error { return repos.Delete(ctx, "watched", metav1.DeleteOptions{}) }, forbiddenByRBAC},
		{"someone else's label", func() error { return patch(adminRepos, `{"metadata":{"labels":{"x":"y"}}}`) }, allowed},
	} {
		err := tc.do()
		if msg := tc.check(err); msg != "" {
			t.Errorf("%s: %s", tc.name, msg)
		} else if err != nil {
			t.Logf("%s: refused as expected: %v", tc.name, err)
		}
	}
	got, err := adminRepos.Get(ctx, "watched", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a := got.GetAnnotations(); a[githubv1.AnnotationGitHubEvent] != "another" || a["team.example.com/owner"] != "alice" || len(got.GetFinalizers()) != 1 {
		t.Errorf("after the patches: annotations %v, finalizers %v", a, got.GetFinalizers())
	}
}
