package mirror_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/hookops/hookops/mirror"
)

func TestParseKeyPatterns(t *testing.T) {
	cases := []struct {
		annotation string
		want       []mirror.KeyPattern
		err        string
	}{
		{"", nil, ""},
		{" , ", nil, ""},
		{"tier, team.example/*,app.kubernetes.io/part-of", []mirror.KeyPattern{"tier", "team.example/*", "app.kubernetes.io/part-of"}, ""},
		{"*", []mirror.KeyPattern{"*"}, ""},
		{"team-*", []mirror.KeyPattern{"team-*"}, ""},
		{"bad key!", nil, `"bad key!"`},
		{"a*b", nil, `"a*b"`},
		{"a/b/*", nil, "at most one '/'"},
		{"ok, no way/*", []mirror.KeyPattern{"ok"}, `' ' cannot be part`},
		{"a/b/c, x**", nil, `"x**"`},
		{strings.Repeat("x", 64), nil, "no more than 63"},
	}
	for _, c := range cases {
		t.Run(c.annotation, func(t *testing.T) {
			got, err := mirror.ParseKeyPatterns(c.annotation)
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("error %v", err)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Fatalf("error %v, want one with %q", err, c.err)
			}
			if strings.Join(strs(got), ",") != strings.Join(strs(c.want), ",") {
				t.Errorf("patterns %q, want %q", got, c.want)
			}
		})
	}
}

func strs(ps []mirror.KeyPattern) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

func TestLabelRulesCopies(t *testing.T) {
	none := mirror.LabelRules{}
	keep := mirror.LabelRules{Keep: []mirror.KeyPattern{"app.kubernetes.io/instance", "helm.toolkit.fluxcd.io/*"}}
	strip := mirror.LabelRules{Strip: []mirror.KeyPattern{"tier", "team.example/*"}, Keep: []mirror.KeyPattern{"tier", "*"}}
	cases := []struct {
		name  string
		rules mirror.LabelRules
		key   string
		want  bool
	}{
		{"an ordinary label", none, "app", true},
		{"a similar key is not Argo CD's", none, "app.kubernetes.io/name", true},
		{"Argo CD's default tracking label", none, "app.kubernetes.io/instance", false},
		{"Argo CD's usual custom tracking label", none, "argocd.argoproj.io/instance", false},
		{"Flux kustomize-controller name", none, "kustomize.toolkit.fluxcd.io/name", false},
		{"Flux kustomize-controller namespace", none, "kustomize.toolkit.fluxcd.io/namespace", false},
		{"Flux helm-controller, any key", none, "helm.toolkit.fluxcd.io/name", false},
		{"the mirror's own", none, mirror.LabelEnabled, false},
		{"kept: Argo CD's label", keep, "app.kubernetes.io/instance", true},
		{"kept by prefix", keep, "helm.toolkit.fluxcd.io/namespace", true},
		{"keep names only what it names", keep, "kustomize.toolkit.fluxcd.io/name", false},
		{"stripped", strip, "team.example/owner", false},
		{"strip wins over keep", strip, "tier", false},
		{"keep * brings back every GitOps label", strip, "argocd.argoproj.io/instance", true},
		{"the mirror's own, even kept", strip, mirror.LabelEnabled, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.rules.Copies(c.key); got != c.want {
				t.Errorf("Copies(%q) = %v, want %v", c.key, got, c.want)
			}
		})
	}
}

func TestParseSourceLabelRules(t *testing.T) {
	cases := []struct {
		name        string
		annotations map[string]string
		invalid     string
	}{
		{"none", nil, ""},
		{"valid lists", map[string]string{mirror.AnnotationStripLabels: "tier", mirror.AnnotationKeepLabels: "app.kubernetes.io/*"}, ""},
		{"malformed strip-labels", map[string]string{mirror.AnnotationStripLabels: "tier,a b"}, mirror.AnnotationStripLabels + `: "a b"`},
		{"malformed keep-labels", map[string]string{mirror.AnnotationKeepLabels: "*x*"}, mirror.AnnotationKeepLabels + `: "*x*"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := configMap("shared", "ca", 0, "team-*", nil)
			maps.Copy(o.Annotations, c.annotations)
			s, ok := mirror.ParseSource(o)
			switch {
			case !ok:
				t.Fatal("not a source: an invalid source is still a source, to be reported")
			case c.invalid == "" && s.Err != nil:
				t.Errorf("invalid: %v", s.Err)
			case c.invalid != "" && (s.Err == nil || !strings.Contains(s.Err.Error(), c.invalid)):
				t.Errorf("invalid: %v, want %q", s.Err, c.invalid)
			}
		})
	}
}

// A source applied by Argo CD (both tracking methods) or Flux gives copies
// without their tracking metadata: exactly its other labels, the copy label
// and the mirror's two annotations.
func TestCopyForGitOpsSource(t *testing.T) {
	o := configMap("shared", "ca", 0, "team-*", map[string]string{"k": "v"})
	maps.Copy(o.Labels, map[string]string{
		"app.kubernetes.io/instance":            "platform",
		"argocd.argoproj.io/instance":           "platform",
		"kustomize.toolkit.fluxcd.io/name":      "infra",
		"kustomize.toolkit.fluxcd.io/namespace": "flux-system",
		"helm.toolkit.fluxcd.io/name":           "ca",
		"helm.toolkit.fluxcd.io/namespace":      "flux-system",
		"tier":                                  "gold",
	})
	maps.Copy(o.Annotations, map[string]string{
		"argocd.argoproj.io/tracking-id":                   "platform:/ConfigMap:shared/ca",
		"argocd.argoproj.io/sync-options":                  "Prune=false",
		"kubectl.kubernetes.io/last-applied-configuration": "{}",
		"kustomize.toolkit.fluxcd.io/reconcile":            "disabled",
	})
	s := source(o)
	c := s.CopyFor("team-a")
	wantLabels := map[string]string{"app": "web", "tier": "gold", mirror.LabelCopy: "true"}
	if !maps.Equal(c.Labels, wantLabels) {
		t.Errorf("labels %v, want %v", c.Labels, wantLabels)
	}
	wantAnnotations := map[string]string{mirror.AnnotationSource: "shared/ca", mirror.AnnotationContentHash: mirror.Hash(&o)}
	if !maps.Equal(c.Annotations, wantAnnotations) {
		t.Errorf("annotations %v, want %v", c.Annotations, wantAnnotations)
	}
	for k := range c.Annotations {
		for _, p := range mirror.GitOpsAnnotations {
			if p.Matches(k) {
				t.Errorf("annotation %s is GitOps metadata", k)
			}
		}
	}

	o.Annotations[mirror.AnnotationKeepLabels] = "app.kubernetes.io/instance"
	o.Annotations[mirror.AnnotationStripLabels] = "tier"
	s = source(o)
	c = s.CopyFor("team-a")
	wantLabels = map[string]string{"app": "web", "app.kubernetes.io/instance": "platform", mirror.LabelCopy: "true"}
	if !maps.Equal(c.Labels, wantLabels) {
		t.Errorf("with keep and strip lists: labels %v, want %v", c.Labels, wantLabels)
	}
}
