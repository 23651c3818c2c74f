package mirror_test

import (
	"maps"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/hookops/hookops/mirror"
)

func TestCopyFor(t *testing.T) {
	src := configMap("shared", "ca", 0, "team-*", map[string]string{"ca.crt": "PEM"})
	src.Labels[mirror.Prefix+"other"] = "x"
	src.BinaryData = map[string][]byte{"blob": {0, 1}}
	s := source(src)

	c := s.CopyFor("team-a")
	if c.Ref() != (mirror.Ref{Kind: mirror.ConfigMap, Namespace: "team-a", Name: "ca"}) {
		t.Errorf("copy is %s", c.Ref())
	}
	wantLabels := map[string]string{"app": "web", mirror.LabelCopy: "true"}
	if !maps.Equal(c.Labels, wantLabels) {
		t.Errorf("labels %v, want %v (the source's minus the mirror's, plus the copy label)", c.Labels, wantLabels)
	}
	if got := c.Annotations[mirror.AnnotationSource]; got != "shared/ca" {
		t.Errorf("source annotation %q", got)
	}
	if got := c.Annotations[mirror.AnnotationContentHash]; got != mirror.Hash(&src) {
		t.Errorf("hash annotation %q, want %q", got, mirror.Hash(&src))
	}
	if len(c.Annotations) != 2 {
		t.Errorf("annotations %v: the source's own are not copied", c.Annotations)
	}
	if !maps.Equal(c.Data, src.Data) || string(c.BinaryData["blob"]) != "\x00\x01" {
		t.Errorf("content %v %v", c.Data, c.BinaryData)
	}
	if ref, ok := mirror.CopyOf(&c); !ok || ref != s.Ref() {
		t.Errorf("CopyOf = %v, %v", ref, ok)
	}
	if _, ok := mirror.ParseSource(c); ok {
		t.Error("a copy counts as a source")
	}

	tls := source(secret("shared", "cert", 0, "*", corev1.SecretTypeTLS, map[string][]byte{"tls.crt": []byte("c"), "tls.key": []byte("k")}))
	if c := tls.CopyFor("team-a"); c.Type != corev1.SecretTypeTLS || string(c.BinaryData["tls.key"]) != "k" {
		t.Errorf("secret copy %+v", c)
	}
}

func TestHash(t *testing.T) {
	cm := func(data map[string]string, bin map[string][]byte) *mirror.Object {
		return &mirror.Object{Kind: mirror.ConfigMap, Data: data, BinaryData: bin}
	}
	base := mirror.Hash(cm(map[string]string{"a": "1", "b": "2"}, nil))
	if !strings.HasPrefix(base, "sha256:") || len(base) != len("sha256:")+64 {
		t.Fatalf("hash %q", base)
	}
	same := []struct {
		name string
		o    *mirror.Object
	}{
		{"same data built in another order", cm(map[string]string{"b": "2", "a": "1"}, nil)},
		{"empty binaryData", cm(map[string]string{"a": "1", "b": "2"}, map[string][]byte{})},
	}
	for _, c := range same {
		if got := mirror.Hash(c.o); got != base {
			t.Errorf("%s: hash changed", c.name)
		}
	}
	different := []struct {
		name string
		o    *mirror.Object
	}{
		{"value changed", cm(map[string]string{"a": "1", "b": "3"}, nil)},
		{"key added", cm(map[string]string{"a": "1", "b": "2", "c": ""}, nil)},
		{"boundary moved between key and value", cm(map[string]string{"a": "1", "b2": ""}, nil)},
		{"data moved to binaryData", cm(map[string]string{"a": "1"}, map[string][]byte{"b": []byte("2")})},
		{"secret with the same data", &mirror.Object{Kind: mirror.Secret, Type: corev1.SecretTypeOpaque, BinaryData: map[string][]byte{"a": []byte("1"), "b": []byte("2")}}},
	}
	for _, c := range different {
		if got := mirror.Hash(c.o); got == base {
			t.Errorf("%s: same hash", c.name)
		}
	}
	opaque := &mirror.Object{Kind: mirror.Secret, Type: corev1.SecretTypeOpaque, BinaryData: map[string][]byte{"k": []byte("v")}}
	docker := &mirror.Object{Kind: mirror.Secret, Type: corev1.SecretTypeDockerConfigJson, BinaryData: map[string][]byte{"k": []byte("v")}}
	if mirror.Hash(opaque) == mirror.Hash(docker) {
		t.Error("the Secret type does not change the hash")
	}
}

func TestDecide(t *testing.T) {
	cmSrc := source(configMap("shared", "ca", 0, "*", map[string]string{"k": "v"}))
	want := cmSrc.CopyFor("team-a")
	other := source(configMap("other", "ca", 0, "*", map[string]string{"k": "old"}))

	edited := copyIn(cmSrc, "team-a")
	edited.Data = map[string]string{"k": "edited by hand"}
	extraLabel := copyIn(cmSrc, "team-a")
	extraLabel.Labels = map[string]string{mirror.LabelCopy: "true", "app": "web", "added": "by hand"}
	foreignAnnotations := copyIn(cmSrc, "team-a")
	foreignAnnotations.Annotations["kubectl.kubernetes.io/last-applied-configuration"] = "{}"

	opaque := source(secret("shared", "reg", 0, "*", corev1.SecretTypeOpaque, map[string][]byte{"k": []byte("v")}))
	wantSecret := opaque.CopyFor("team-a")
	tlsSameSource := copyIn(opaque, "team-a")
	tlsSameSource.Type = corev1.SecretTypeTLS
	tlsOther := copyIn(source(secret("other", "reg", 0, "*", corev1.SecretTypeTLS, nil)), "team-a")

	cases := []struct {
		name     string
		want     *mirror.Object
		standing *mirror.Object
		ours     bool
		action   mirror.Action
		reason   mirror.Reason
	}{
		{"nothing there", &want, nil, false, mirror.Create, ""},
		{"up to date", &want, copyIn(cmSrc, "team-a"), true, mirror.Keep, ""},
		{"other annotations are not ours to judge", &want, foreignAnnotations, true, mirror.Keep, ""},
		{"edited by hand", &want, edited, true, mirror.Update, ""},
		{"label added by hand", &want, extraLabel, true, mirror.Update, ""},
		{"copy of another source", &want, copyIn(other, "team-a"), true, mirror.Update, ""},
		{"foreign object", &want, foreign(mirror.ConfigMap, "team-a", "ca"), false, mirror.Block, mirror.Occupied},
		{"a copy that is not ours is still not ours", &want, copyIn(cmSrc, "team-a"), false, mirror.Block, mirror.Occupied},
		{"secret up to date", &wantSecret, copyIn(opaque, "team-a"), true, mirror.Keep, ""},
		{"secret type differs, same source", &wantSecret, tlsSameSource, true, mirror.Block, mirror.TypeMismatch},
		{"secret type differs, other source", &wantSecret, tlsOther, true, mirror.Replace, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			action, reason := mirror.Decide(c.want, c.standing, c.ours)
			if action != c.action || reason != c.reason {
				t.Errorf("Decide = %s %q, want %s %q", action, reason, c.action, c.reason)
			}
		})
	}
}

func TestApply(t *testing.T) {
	src := source(configMap("shared", "ca", 0, "*", map[string]string{"k": "new"}))
	want := src.CopyFor("team-a")
	cur := copyIn(source(configMap("shared", "ca", 0, "*", map[string]string{"k": "old"})), "team-a")
	cur.ResourceVersion = "42"
	cur.Annotations["owner.example/keep"] = "yes"
	cur.Labels["added"] = "by hand"

	got := mirror.Apply(&want, cur)
	if !mirror.Matches(&want, &got) {
		t.Errorf("applied copy does not match: %+v", got)
	}
	if got.ResourceVersion != "42" || got.Annotations["owner.example/keep"] != "yes" {
		t.Errorf("Apply dropped fields it does not manage: %+v", got.ObjectMeta)
	}
	if cur.Data["k"] != "old" || cur.Labels["added"] != "by hand" {
		t.Error("Apply changed its input")
	}
}
