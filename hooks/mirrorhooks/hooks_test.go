package mirrorhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/hookops/hookops/hooks/metacontroller"
	"github.com/hookops/hookops/hooks/mirrorhooks"
	"github.com/hookops/hookops/mirror"
	"github.com/hookops/hookops/test/reference"
)

const nsUID = "ns-uid-1"

// object turns a typed object into the generic form of a hook request,
// going through JSON as Metacontroller's requests do.
func object(t *testing.T, v any) metacontroller.Object {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var o metacontroller.Object
	if err := dec.Decode(&o); err != nil {
		t.Fatal(err)
	}
	return o
}

func targetNamespace(t *testing.T, labels map[string]string) metacontroller.Object {
	return object(t, &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: "team-a", UID: nsUID, Labels: labels},
	})
}

func sourceConfigMap(ns, name, to string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
			Labels:      map[string]string{mirror.LabelEnabled: "true"},
			Annotations: map[string]string{mirror.AnnotationToNamespaces: to}},
		Data: data,
	}
}

func sourceSecret(ns, name, to string, typ corev1.SecretType, data map[string][]byte) *corev1.Secret {
	return &corev1.Secret{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
			Labels:      map[string]string{mirror.LabelEnabled: "true"},
			Annotations: map[string]string{mirror.AnnotationToNamespaces: to}},
		Type: typ,
		Data: data,
	}
}

// attached marks a copy the way Metacontroller marks the attachments it owns.
func attached(cm *corev1.ConfigMap) *corev1.ConfigMap {
	cm = cm.DeepCopy()
	cm.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Namespace", Name: "team-a", UID: nsUID, Controller: ptr.To(true)}}
	if cm.Annotations == nil {
		cm.Annotations = map[string]string{}
	}
	cm.Annotations["metacontroller.k8s.io/decorator-controller"] = "mirror"
	return cm
}

// copyOf is the mirror copy of src in team-a. Object.ConfigMap sets its
// TypeMeta, as a hook request carries it.
func copyOf(src *corev1.ConfigMap) *corev1.ConfigMap {
	s, ok := mirror.ParseSource(mirror.FromConfigMap(src))
	if !ok {
		panic("not a source")
	}
	c := s.CopyFor("team-a")
	return c.ConfigMap()
}

// objects builds an ObjectMap keyed as hook version v1 keys objects under a
// cluster-scoped parent: namespace/name.
func objects(t *testing.T, objs ...any) metacontroller.ObjectMap {
	m := metacontroller.ObjectMap{"ConfigMap.v1": {}, "Secret.v1": {}}
	for _, v := range objs {
		o := object(t, v)
		m[metacontroller.GroupKind(o.Kind(), o.APIVersion())][metacontroller.Key(metacontroller.V1, "", o.Namespace(), o.Name())] = o
	}
	return m
}

// namespaceSync is a sync request for namespace team-a with nsLabels,
// as the hook server reads it.
func namespaceSync(t *testing.T, nsLabels map[string]string, related, attachments []any) *metacontroller.RawDecoratorRequest {
	t.Helper()
	return raw(t, &metacontroller.DecoratorRequest{
		Controller:  controller(t),
		Object:      targetNamespace(t, nsLabels),
		Related:     objects(t, related...),
		Attachments: objects(t, attachments...),
	})
}

// raw sends req through JSON as Metacontroller would and reads it as the
// hook server does for the mirror's sync and finalize hooks.
func raw(t *testing.T, req *metacontroller.DecoratorRequest) *metacontroller.RawDecoratorRequest {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	r, err := metacontroller.DecodeRawDecorator(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func controller(t *testing.T) metacontroller.Object {
	return object(t, map[string]any{"apiVersion": "metacontroller.k8s.io/v1alpha1", "kind": "DecoratorController", "metadata": map[string]any{"name": "mirror"}})
}

// names lists the attachments as "Kind namespace/name".
func names(resp *metacontroller.DecoratorResponse) []string {
	var out []string
	for _, a := range resp.Attachments {
		out = append(out, a.Kind()+" "+a.Namespace()+"/"+a.Name())
	}
	return out
}

var accept = map[string]string{mirror.LabelAccept: "true"}

func TestSync(t *testing.T) {
	ca := sourceConfigMap("shared", "ca", "team-*", map[string]string{"ca.crt": "PEM"})
	reg := sourceSecret("shared", "reg", "*", corev1.SecretTypeDockerConfigJson, map[string][]byte{".dockerconfigjson": []byte(`{"auths":{}}`)})
	token := sourceSecret("shared", "token", "*", corev1.SecretTypeServiceAccountToken, map[string][]byte{"token": []byte("t")})
	other := sourceConfigMap("shared", "other", "prod-*", nil)
	foreignCA := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "ca"}, Data: map[string]string{"mine": "yes"}}
	unownedCopy := copyOf(ca) // a mirror copy, but not Metacontroller's
	ownedByMarks := attached(copyOf(ca))
	stale := attached(copyOf(sourceConfigMap("shared", "gone", "*", nil)))

	cases := []struct {
		name        string
		nsLabels    map[string]string
		related     []any
		attachments []any
		want        []string
		conflict    string
	}{
		{
			name:     "copies every source that wants the namespace",
			nsLabels: accept,
			related:  []any{ca, reg, token, other},
			want:     []string{"ConfigMap team-a/ca", "Secret team-a/reg"},
		},
		{
			name:     "a foreign object is neither returned nor adopted",
			nsLabels: accept,
			related:  []any{ca, reg, foreignCA},
			want:     []string{"Secret team-a/reg"},
			conflict: "ConfigMap team-a/ca: exists and is not a mirror copy",
		},
		{
			name:     "a copy Metacontroller does not own is foreign",
			nsLabels: accept,
			related:  []any{ca, unownedCopy},
			want:     nil,
			conflict: "ConfigMap team-a/ca: exists",
		},
		{
			name:     "a copy Metacontroller owns is ours even before it is an attachment",
			nsLabels: accept,
			related:  []any{ca, ownedByMarks},
			want:     []string{"ConfigMap team-a/ca"},
		},
		{
			name:        "a copy sent as both attachment and related object is ours",
			nsLabels:    accept,
			related:     []any{ca, ownedByMarks},
			attachments: []any{ownedByMarks},
			want:        []string{"ConfigMap team-a/ca"},
		},
		{
			// Metacontroller reads attachments and related objects apart:
			// an object may change between the two reads.
			name:        "an attachment wins over a different related version of it",
			nsLabels:    accept,
			related:     []any{ca, unownedCopy},
			attachments: []any{ownedByMarks},
			want:        []string{"ConfigMap team-a/ca"},
		},
		{
			name:        "attachments whose source is gone are left out, so they are deleted",
			nsLabels:    accept,
			related:     []any{ca},
			attachments: []any{stale},
			want:        []string{"ConfigMap team-a/ca"},
		},
		{
			name:        "a namespace that does not accept gets nothing",
			nsLabels:    nil,
			related:     []any{ca},
			attachments: []any{ownedByMarks},
			want:        nil,
		},
	}
	hooks := mirrorhooks.New()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := hooks.Sync(context.Background(), namespaceSync(t, c.nsLabels, c.related, c.attachments))
			if err != nil {
				t.Fatal(err)
			}
			if got := names(resp); strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("attachments %q, want %q", got, c.want)
			}
			ann, ok := resp.Annotations[mirror.AnnotationConflicts]
			switch {
			case !ok:
				t.Error("the conflicts annotation is not set (or removed)")
			case c.conflict == "" && ann != nil:
				t.Errorf("conflicts %q, want none (null)", *ann)
			case c.conflict != "" && (ann == nil || !strings.Contains(*ann, c.conflict)):
				t.Errorf("conflicts %v, want one with %q", ann, c.conflict)
			}
		})
	}
}

// A copy carries exactly what it should, in the form Metacontroller applies.
func TestSyncCopyShape(t *testing.T) {
	tls := sourceSecret("shared", "cert", "team-a", corev1.SecretTypeTLS, map[string][]byte{"tls.crt": []byte("C"), "tls.key": []byte("K")})
	tls.Labels["app"] = "web"
	resp, err := mirrorhooks.New().Sync(context.Background(), namespaceSync(t, accept, []any{tls}, nil))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := metacontroller.Encode(&buf, resp); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Attachments []corev1.Secret `json:"attachments"`
	}
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Attachments) != 1 {
		t.Fatalf("attachments: %s", buf.String())
	}
	s := out.Attachments[0]
	switch {
	case s.Namespace != "team-a" || s.Name != "cert":
		t.Errorf("copy %s/%s", s.Namespace, s.Name)
	case s.Type != corev1.SecretTypeTLS:
		t.Errorf("type %q", s.Type)
	case string(s.Data["tls.key"]) != "K":
		t.Errorf("data %q", s.Data)
	case s.Labels[mirror.LabelCopy] != "true" || s.Labels["app"] != "web" || s.Labels[mirror.LabelEnabled] != "":
		t.Errorf("labels %v", s.Labels)
	case s.Annotations[mirror.AnnotationSource] != "shared/cert" || !strings.HasPrefix(s.Annotations[mirror.AnnotationContentHash], "sha256:"):
		t.Errorf("annotations %v", s.Annotations)
	case len(s.OwnerReferences) != 0 || s.UID != "" || s.ResourceVersion != "":
		t.Errorf("server or ownership fields set: %+v", s.ObjectMeta)
	}
	if strings.Contains(buf.String(), "creationTimestamp") {
		t.Errorf("the answer carries creationTimestamp: %s", buf.String())
	}
}

func TestFinalize(t *testing.T) {
	owned := attached(copyOf(sourceConfigMap("shared", "ca", "*", nil)))
	cases := []struct {
		name        string
		attachments []any
		finalized   bool
	}{
		{"copies left: not done yet", []any{owned}, false},
		{"no copies left: done", nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := &metacontroller.DecoratorRequest{
				Controller: controller(t), Object: targetNamespace(t, nil), Finalizing: true,
				Related: objects(t, sourceConfigMap("shared", "ca", "*", nil)), Attachments: objects(t, c.attachments...),
			}
			// Metacontroller calls finalize, or sync with finalizing set.
			type hookFunc = func(context.Context, *metacontroller.RawDecoratorRequest) (*metacontroller.DecoratorResponse, error)
			for name, hook := range map[string]hookFunc{"finalize": mirrorhooks.New().Finalize, "sync": mirrorhooks.New().Sync} {
				resp, err := hook(context.Background(), raw(t, req))
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.Attachments) != 0 || resp.Finalized != c.finalized {
					t.Errorf("%s: attachments %q finalized %v, want none and %v", name, names(resp), resp.Finalized, c.finalized)
				}
				if v, ok := resp.Annotations[mirror.AnnotationConflicts]; !ok || v != nil {
					t.Errorf("%s: conflicts annotation %v, want removed", name, v)
				}
			}
		})
	}
}

func TestRejectsOtherParents(t *testing.T) {
	pod := object(t, map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p", "namespace": "x"}})
	var reqErr *metacontroller.RequestError
	if _, err := mirrorhooks.New().Customize(context.Background(), &metacontroller.CustomizeRequest{Controller: controller(t), Parent: pod}); !errors.As(err, &reqErr) {
		t.Errorf("customize: err = %v, want a RequestError", err)
	}
	if _, err := mirrorhooks.New().Sync(context.Background(), raw(t, &metacontroller.DecoratorRequest{Controller: controller(t), Object: pod})); !errors.As(err, &reqErr) {
		t.Errorf("sync: err = %v, want a RequestError", err)
	}
}

type captured struct {
	Body json.RawMessage `json:"body"`
}

func readCaptured(t *testing.T, version, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(reference.Path(t, "fixtures", "metacontroller-v4.17.2", version, name))
	if err != nil {
		t.Fatal(err)
	}
	var c captured
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c.Body
}

// The requests a real Metacontroller v4.17.2 sent for a mirror-like
// DecoratorController decode and get the answers the mirror means.
func TestCapturedRequests(t *testing.T) {
	hooks := mirrorhooks.New()
	for _, version := range []string{"v1", "v2"} {
		t.Run(version, func(t *testing.T) {
			creq, err := metacontroller.DecodeCustomize(bytes.NewReader(readCaptured(t, version, "decorator-customize.json")))
			if err != nil {
				t.Fatal(err)
			}
			cresp, err := hooks.Customize(context.Background(), creq)
			if err != nil {
				t.Fatal(err)
			}
			if rr := cresp.RelatedResources; len(rr) != 4 || rr[2].Namespace != creq.Parent.Name() || rr[0].LabelSelector == nil {
				t.Errorf("customize answered %+v", cresp.RelatedResources)
			}

			sync := func(file string) *metacontroller.DecoratorResponse {
				t.Helper()
				req, err := metacontroller.DecodeRawDecorator(bytes.NewReader(readCaptured(t, version, file)))
				if err != nil {
					t.Fatal(err)
				}
				resp, err := hooks.Sync(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				return resp
			}
			resp := sync("decorator-sync-empty.json")
			// No copy yet; v1's capture was taken before the source existed.
			want := map[string]string{"v1": "", "v2": "ConfigMap team-a/defaults"}[version]
			if got := strings.Join(names(resp), ","); got != want {
				t.Errorf("attachments %q, want %q", got, want)
			}

			resp = sync("decorator-sync.json")
			// shared-config/defaults asks for team-*; the attachment
			// team-a/defaults is Metacontroller's, so it is updated in place.
			if got := names(resp); len(got) != 1 || got[0] != "ConfigMap team-a/defaults" {
				t.Fatalf("attachments %q", got)
			}
			a := resp.Attachments[0]
			if a.Annotations()[mirror.AnnotationSource] != "shared-config/defaults" || a.Labels()[mirror.LabelCopy] != "true" {
				t.Errorf("copy %v", a)
			}
			if data, _ := a["data"].(map[string]any); data["color"] != "blue" {
				t.Errorf("data %v", a["data"])
			}
			if resp.Annotations[mirror.AnnotationConflicts] != nil {
				t.Errorf("conflicts %q", *resp.Annotations[mirror.AnnotationConflicts])
			}
		})
	}
}

// An immutable source gives immutable attachments; a stale immutable copy
// is left out, so that Metacontroller deletes it (an update would be
// refused), and the replacement is logged.
func TestSyncImmutable(t *testing.T) {
	src := sourceConfigMap("shared", "ca", "team-a", map[string]string{"k": "new"})
	src.Immutable = ptr.To(true)
	old := sourceConfigMap("shared", "ca", "team-a", map[string]string{"k": "old"})
	old.Immutable = ptr.To(true)
	stale := attached(copyOf(old))

	var logs bytes.Buffer
	hooks := &mirrorhooks.Hooks{Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	sync := func(attachments ...any) *metacontroller.DecoratorResponse {
		t.Helper()
		resp, err := hooks.Sync(context.Background(), namespaceSync(t, accept, []any{src}, attachments))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	if resp := sync(stale); len(resp.Attachments) != 0 {
		t.Errorf("stale immutable copy returned: %q", names(resp))
	}
	if !strings.Contains(logs.String(), `"msg":"immutable copy replaced"`) || !strings.Contains(logs.String(), `"target":"ConfigMap team-a/ca"`) {
		t.Errorf("replacement not logged: %s", logs.String())
	}

	resp := sync()
	if len(resp.Attachments) != 1 || resp.Attachments[0]["immutable"] != true {
		t.Fatalf("attachments %v", resp.Attachments)
	}
	if ann := resp.Annotations[mirror.AnnotationConflicts]; ann != nil {
		t.Errorf("conflicts %q", *ann)
	}
}

// A related object of the wrong shape is a malformed request (400), and
// a Secret's error never quotes its data.
func TestRejectsMalformedObjects(t *testing.T) {
	cases := []struct {
		name, kind string
		body       map[string]any
	}{
		{"ConfigMap data not strings", "ConfigMap", map[string]any{"data": map[string]any{"a": 5}}},
		{"Secret data not base64", "Secret", map[string]any{"data": map[string]any{"token": "s3cret!!"}}},
		{"labels not a map", "ConfigMap", map[string]any{"metadata": map[string]any{"name": "x", "namespace": "team-a", "labels": "s3cret!!"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obj := map[string]any{"apiVersion": "v1", "kind": c.kind, "metadata": map[string]any{"name": "x", "namespace": "team-a"}}
			for k, v := range c.body {
				obj[k] = v
			}
			req := &metacontroller.DecoratorRequest{Controller: controller(t), Object: targetNamespace(t, accept), Related: objects(t, obj)}
			_, err := mirrorhooks.New().Sync(context.Background(), raw(t, req))
			var reqErr *metacontroller.RequestError
			if !errors.As(err, &reqErr) {
				t.Fatalf("err = %v, want a RequestError", err)
			}
			if c.kind == "Secret" && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error quotes the Secret's data: %v", err)
			}
		})
	}
}
