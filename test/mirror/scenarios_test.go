package mirror_test

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hookops/hookops/mirror"
	"github.com/hookops/hookops/test/pki"
	"github.com/hookops/hookops/test/testkit"
)

// scenario is one behaviour both implementations must show. Each works in
// its own namespaces, named with its prefix p, so scenarios run in parallel.
type scenario struct {
	name string
	run  func(t *testing.T, e *env, p string)
}

var scenarios = []scenario{
	{"create", scenarioCreate},
	{"update", scenarioUpdate},
	{"edit by hand", scenarioEditByHand},
	{"source deleted", scenarioSourceDeleted},
	{"label removed", scenarioLabelRemoved},
	{"namespace no longer listed", scenarioUnlisted},
	{"namespace created later", scenarioNamespaceLater},
	{"namespace relabelled", scenarioRelabelled},
	{"clash with a foreign object", scenarioClash},
	{"secret types", scenarioSecretTypes},
	{"service-account tokens ignored", scenarioTokens},
	{"two sources, one name", scenarioContended},
	{"namespaces by selector", scenarioSelector},
	{"invalid selector", scenarioInvalidSelector},
	{"no GitOps tracking metadata on copies", scenarioArgoCD},
	{"strip-labels and keep-labels", scenarioLabelLists},
	{"immutable sources", scenarioImmutable},
	{"immutable copy replaced and reported", scenarioImmutableReported},
	{"where copies stand, seen from the source", scenarioCopiesAnnotation},
}

// conform runs every scenario in parallel, then the restart scenario alone
// (it stops the implementation).
func conform(t *testing.T, e *env) {
	t.Run("scenarios", func(t *testing.T) {
		for i, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				t.Parallel()
				sc.run(t, e, fmt.Sprintf("s%02d", i))
			})
		}
	})
	t.Run("restart mid-way", func(t *testing.T) { scenarioRestart(t, e, "rs") })
}

// tlsData is a real certificate and key, so that the API server has
// nothing to warn about when TLS Secrets are written.
func tlsData(t *testing.T, cn string) map[string][]byte {
	t.Helper()
	ca, err := pki.NewCA(cn + " CA")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.Server(cn, cn)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{corev1.TLSCertKey: pair.CertPEM, corev1.TLSPrivateKeyKey: pair.KeyPEM}
}

func cmSource(ns, name, to string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: sourceMeta(ns, name, to), Data: data}
}

func scenarioCreate(t *testing.T, e *env, p string) {
	src := p + "-src"
	e.namespace(t, src, true) // accepting, yet never a target of its own sources
	for _, ns := range []string{"a", "b", "team-x"} {
		e.namespace(t, p+"-"+ns, true)
	}
	e.namespace(t, p+"-other", true)   // accepts, not listed
	e.namespace(t, p+"-closed", false) // listed, does not accept
	e.namespace(t, "x"+p+"-team-y", true)
	cm := cmSource(src, "settings", fmt.Sprintf("%[1]s-a, %[1]s-b,%[1]s-team-*, %[1]s-src, %[1]s-closed", p), map[string]string{"color": "blue"})
	cm.BinaryData = map[string][]byte{"blob": {0, 1, 2}}
	e.configMap(t, cm)

	for _, ns := range []string{"a", "b", "team-x"} {
		e.copied(t, mirror.ConfigMap, src, "settings", p+"-"+ns)
	}
	ctx := testkit.Context(t)
	for _, ns := range []string{p + "-other", p + "-closed", "x" + p + "-team-y"} {
		if ok, detail := e.absent(ctx, mirror.ConfigMap, ns, "settings"); !ok {
			t.Errorf("copy in %s: %s", ns, detail)
		}
	}
	self, err := e.get(ctx, mirror.ConfigMap, src, "settings")
	if err != nil {
		t.Fatal(err)
	}
	if mirror.IsCopy(self) {
		t.Error("the source was overwritten by a copy of itself")
	}
}

func scenarioUpdate(t *testing.T, e *env, p string) {
	src, a, b := p+"-src", p+"-a", p+"-b"
	e.namespace(t, src, false)
	e.namespace(t, a, true)
	e.namespace(t, b, true)
	e.configMap(t, cmSource(src, "settings", p+"-*", map[string]string{"color": "blue", "size": "m"}))
	e.copied(t, mirror.ConfigMap, src, "settings", a)
	e.copied(t, mirror.ConfigMap, src, "settings", b)

	e.patch(t, mirror.ConfigMap, src, "settings", `{"metadata":{"labels":{"tier":"gold","app":null}},"data":{"color":"red","size":null,"new":"x"}}`)
	e.copied(t, mirror.ConfigMap, src, "settings", a)
	e.copied(t, mirror.ConfigMap, src, "settings", b)
	c, err := e.get(testkit.Context(t), mirror.ConfigMap, a, "settings")
	if err != nil {
		t.Fatal(err)
	}
	if c.Data["color"] != "red" || c.Labels["tier"] != "gold" || c.Labels["app"] != "" {
		t.Errorf("copy after update: data %v labels %v", c.Data, c.Labels)
	}
}

func scenarioEditByHand(t *testing.T, e *env, p string) {
	src, a := p+"-src", p+"-a"
	e.namespace(t, src, false)
	e.namespace(t, a, true)
	e.secret(t, &corev1.Secret{ObjectMeta: sourceMeta(src, "creds", a), Data: map[string][]byte{"password": []byte("s3cret")}})
	e.configMap(t, cmSource(src, "settings", a, map[string]string{"color": "blue"}))
	e.copied(t, mirror.Secret, src, "creds", a)
	e.copied(t, mirror.ConfigMap, src, "settings", a)

	e.patch(t, mirror.ConfigMap, a, "settings", `{"data":{"color":"green","extra":"by hand"},"metadata":{"labels":{"app":"edited"}}}`)
	e.patch(t, mirror.Secret, a, "creds", `{"stringData":{"password":"guessed"}}`)
	e.copied(t, mirror.ConfigMap, src, "settings", a)
	e.copied(t, mirror.Secret, src, "creds", a)

	e.delete(t, mirror.ConfigMap, a, "settings")
	e.copied(t, mirror.ConfigMap, src, "settings", a)
}

func scenarioSourceDeleted(t *testing.T, e *env, p string) {
	src, a, b := p+"-src", p+"-a", p+"-b"
	e.namespace(t, src, false)
	e.namespace(t, a, true)
	e.namespace(t, b, true)
	e.configMap(t, cmSource(src, "settings", p+"-*", nil))
	e.secret(t, &corev1.Secret{ObjectMeta: sourceMeta(src, "creds", p+"-*"), Data: map[string][]byte{"k": []byte("v")}})
	for _, ns := range []string{a, b} {
		e.copied(t, mirror.ConfigMap, src, "settings", ns)
		e.copied(t, mirror.Secret, src, "creds", ns)
	}
	e.delete(t, mirror.ConfigMap, src, "settings")
	e.delete(t, mirror.Secret, src, "creds")
	for _, ns := range []string{a, b} {
		e.gone(t, mirror.ConfigMap, ns, "settings")
		e.gone(t, mirror.Secret, ns, "creds")
	}
}

func scenarioLabelRemoved(t *testing.T, e *env, p string) {
	src, a := p+"-src", p+"-a"
	e.namespace(t, src, false)
	e.namespace(t, a, true)
	e.configMap(t, cmSource(src, "settings", a, nil))
	e.secret(t, &corev1.Secret{ObjectMeta: sourceMeta(src, "creds", a), Data: map[string][]byte{"k": []byte("v")}})
	e.copied(t, mirror.ConfigMap, src, "settings", a)
	e.copied(t, mirror.Secret, src, "creds", a)

	e.patch(t, mirror.ConfigMap, src, "settings", fmt.Sprintf(`{"metadata":{"labels":{%q:null}}}`, mirror.LabelEnabled))
	e.patch(t, mirror.Secret, src, "creds", fmt.Sprintf(`{"metadata":{"labels":{%q:"false"}}}`, mirror.LabelEnabled))
	e.gone(t, mirror.ConfigMap, a, "settings")
	e.gone(t, mirror.Secret, a, "creds")
}

func scenarioUnlisted(t *testing.T, e *env, p string) {
	src, a, b := p+"-src", p+"-a", p+"-b"
	e.namespace(t, src, false)
	e.namespace(t, a, true)
	e.namespace(t, b, true)
	e.configMap(t, cmSource(src, "settings", a+","+b, nil))
	e.copied(t, mirror.ConfigMap, src, "settings", a)
	e.copied(t, mirror.ConfigMap, src, "settings", b)

	e.patch(t, mirror.ConfigMap, src, "settings", fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, mirror.AnnotationToNamespaces, a))
	e.gone(t, mirror.ConfigMap, b, "settings")
	e.copied(t, mirror.ConfigMap, src, "settings", a)
}

func scenarioNamespaceLater(t *testing.T, e *env, p string) {
	src, a := p+"-src", p+"-a"
	e.namespace(t, src, false)
	e.namespace(t, a, true)
	e.configMap(t, cmSource(src, "settings", p+"-*", map[string]string{"k": "v"}))
	e.copied(t, mirror.ConfigMap, src, "settings", a)

	e.namespace(t, p+"-late", true)
	e.copied(t, mirror.ConfigMap, src, "settings", p+"-late")
}

func scenarioRelabelled(t *testing.T, e *env, p string) {
	src, a, b := p+"-src", p+"-a", p+"-b"
	e.namespace(t, src, false)
	e.namespace(t, a, true)
	e.namespace(t, b, false)
	e.configMap(t, cmSource(src, "settings", p+"-*", nil))
	e.copied(t, mirror.ConfigMap, src, "settings", a)

	e.accept(t, b, true)
	e.copied(t, mirror.ConfigMap, src, "settings", b)
	e.accept(t, a, false)
	e.gone(t, mirror.ConfigMap, a, "settings")
	e.accept(t, a, true)
	e.copied(t, mirror.ConfigMap, src, "settings", a)
}

func scenarioClash(t *testing.T, e *env, p string) {
	src, a, b := p+"-src", p+"-a", p+"-b"
	e.namespace(t, src, false)
	e.namespace(t, a, true)
	e.namespace(t, b, true)
	theirs := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: a, Name: "shared", Labels: map[string]string{"owner": "team-a"}}, Data: map[string]string{"mine": "yes"}}
	e.configMap(t, theirs)
	e.configMap(t, cmSource(src, "shared", a+","+b, map[string]string{"color": "blue"}))

	e.copied(t, mirror.ConfigMap, src, "shared", b)
	e.reported(t, mirror.Occupied, mirror.ConfigMap, a, src, "shared")
	// Touching the source again must not make a difference.
	e.patch(t, mirror.ConfigMap, src, "shared", `{"data":{"color":"red"}}`)
	e.copied(t, mirror.ConfigMap, src, "shared", b)
	got, err := e.get(testkit.Context(t), mirror.ConfigMap, a, "shared")
	if err != nil {
		t.Fatal(err)
	}
	if got.Data["mine"] != "yes" || len(got.Data) != 1 || mirror.IsCopy(got) || len(got.OwnerReferences) != 0 || got.Labels["owner"] != "team-a" {
		t.Fatalf("the foreign object was touched: labels %v data %v owners %v", got.Labels, got.Data, got.OwnerReferences)
	}

	e.delete(t, mirror.ConfigMap, a, "shared")
	e.copied(t, mirror.ConfigMap, src, "shared", a)
}

func scenarioSecretTypes(t *testing.T, e *env, p string) {
	src, a := p+"-src", p+"-a"
	e.namespace(t, src, false)
	e.namespace(t, a, true)
	secrets := []*corev1.Secret{
		{ObjectMeta: sourceMeta(src, "opaque", a), Data: map[string][]byte{"k": []byte("v")}},
		{ObjectMeta: sourceMeta(src, "tls", a), Type: corev1.SecretTypeTLS, Data: tlsData(t, "tls.example")},
		{ObjectMeta: sourceMeta(src, "registry", a), Type: corev1.SecretTypeDockerConfigJson,
			Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths":{"registry.example":{"auth":"dTpw"}}}`)}},
	}
	for _, s := range secrets {
		e.secret(t, s)
	}
	for _, s := range secrets {
		e.copied(t, mirror.Secret, src, s.Name, a)
	}
}

func scenarioTokens(t *testing.T, e *env, p string) {
	src, a := p+"-src", p+"-a"
	e.namespace(t, src, false)
	e.namespace(t, a, true)
	token := &corev1.Secret{ObjectMeta: sourceMeta(src, "token", a), Type: corev1.SecretTypeServiceAccountToken,
		Data: map[string][]byte{"token": []byte("t")}}
	token.Annotations[corev1.ServiceAccountNameKey] = "default"
	e.secret(t, token)
	// A source created after the token: once its copy is there, the token
	// has had its chance.
	e.secret(t, &corev1.Secret{ObjectMeta: sourceMeta(src, "after", a), Data: map[string][]byte{"k": []byte("v")}})
	e.copied(t, mirror.Secret, src, "after", a)
	if ok, detail := e.absent(testkit.Context(t), mirror.Secret, a, "token"); !ok {
		t.Errorf("service-account token copied: %s", detail)
	}
}

func scenarioContended(t *testing.T, e *env, p string) {
	x, y, target := p+"-x", p+"-y", p+"-t"
	e.namespace(t, x, false)
	e.namespace(t, y, false)
	e.namespace(t, target, true)
	e.configMap(t, cmSource(x, "dup", target, map[string]string{"from": "x"}))
	e.copied(t, mirror.ConfigMap, x, "dup", target)

	e.configMap(t, cmSource(y, "dup", target, map[string]string{"from": "y"}))
	e.reported(t, mirror.Contended, mirror.ConfigMap, target, y, "dup")
	e.copied(t, mirror.ConfigMap, x, "dup", target) // the older source keeps it

	e.delete(t, mirror.ConfigMap, x, "dup")
	e.copied(t, mirror.ConfigMap, y, "dup", target)
}

// scenarioRestart changes things while the implementation is down: it must
// catch up on start, from what it finds in the cluster, leaving no orphans.
func scenarioRestart(t *testing.T, e *env, p string) {
	src, a, b := p+"-src", p+"-a", p+"-b"
	e.namespace(t, src, false)
	e.namespace(t, a, true)
	e.namespace(t, b, true)
	for _, name := range []string{"keep", "gone", "unlabel"} {
		e.configMap(t, cmSource(src, name, p+"-*", map[string]string{"name": name}))
	}
	e.secret(t, &corev1.Secret{ObjectMeta: sourceMeta(src, "typed", a), Data: map[string][]byte{"k": []byte("opaque")}})
	for _, name := range []string{"keep", "gone", "unlabel"} {
		e.copied(t, mirror.ConfigMap, src, name, a)
		e.copied(t, mirror.ConfigMap, src, name, b)
	}
	e.copied(t, mirror.Secret, src, "typed", a)

	e.impl.stop(t)
	e.patch(t, mirror.ConfigMap, src, "keep", `{"data":{"name":"kept and changed"}}`)
	e.delete(t, mirror.ConfigMap, src, "gone")
	e.patch(t, mirror.ConfigMap, src, "unlabel", fmt.Sprintf(`{"metadata":{"labels":{%q:null}}}`, mirror.LabelEnabled))
	e.accept(t, b, false)
	e.namespace(t, p+"-c", true)
	// The same Secret again with another type: its copy cannot follow.
	e.delete(t, mirror.Secret, src, "typed")
	e.secret(t, &corev1.Secret{ObjectMeta: sourceMeta(src, "typed", a), Type: corev1.SecretTypeTLS, Data: tlsData(t, "typed.example")})
	e.impl.start(t)

	e.copied(t, mirror.ConfigMap, src, "keep", a)
	e.copied(t, mirror.ConfigMap, src, "keep", p+"-c")
	e.gone(t, mirror.ConfigMap, b, "keep")
	e.eventually(t, "no copies of deleted or unlabelled sources", func(ctx context.Context) (bool, string) {
		left, err := e.orphans(ctx, src+"/gone", src+"/unlabel")
		if err != nil {
			return false, err.Error()
		}
		return len(left) == 0, fmt.Sprintf("left: %v", left)
	})

	e.reported(t, mirror.TypeMismatch, mirror.Secret, a, src, "typed")
	old, err := e.get(testkit.Context(t), mirror.Secret, a, "typed")
	if err != nil {
		t.Fatal(err)
	}
	if old.Type != corev1.SecretTypeOpaque || string(old.BinaryData["k"]) != "opaque" {
		t.Fatalf("the mismatched copy was changed: type %s", old.Type)
	}
	// Deleting the copy is the way out the conflict names.
	e.delete(t, mirror.Secret, a, "typed")
	e.copied(t, mirror.Secret, src, "typed", a)
}

// The source says where its copies stand, in its copies annotation, and
// the annotation follows when a block goes.
func scenarioCopiesAnnotation(t *testing.T, e *env, p string) {
	src, a, b, c := p+"-src", p+"-a", p+"-b", p+"-c"
	e.namespace(t, src, false)
	e.namespace(t, a, true)
	e.namespace(t, b, true)
	e.namespace(t, c, false) // listed, does not accept: not counted
	e.configMap(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: b, Name: "status"}, Data: map[string]string{"mine": "yes"}})
	e.configMap(t, cmSource(src, "status", p+"-*", map[string]string{"color": "blue"}))

	e.copied(t, mirror.ConfigMap, src, "status", a)
	e.copiesAnnotation(t, mirror.ConfigMap, src, "status", "current 1/2; blocked: "+b+" (a ConfigMap not made by the mirror)")
	e.delete(t, mirror.ConfigMap, b, "status")
	e.copied(t, mirror.ConfigMap, src, "status", b)
	e.copiesAnnotation(t, mirror.ConfigMap, src, "status", "current 2/2")
}
