package mirrorhooks_test

import (
	"context"
	"maps"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/hookops/hookops/hooks/mirrorhooks"
	"github.com/hookops/hookops/mirror"
)

// withSelector is src copying to the namespaces selector picks, and to no
// named one.
func withSelector(src *corev1.ConfigMap, selector string) *corev1.ConfigMap {
	src = src.DeepCopy()
	src.Annotations = map[string]string{mirror.AnnotationToNamespaceSelector: selector}
	return src
}

func TestSyncSelector(t *testing.T) {
	gold := withSelector(sourceConfigMap("shared", "ca", "", map[string]string{"ca.crt": "PEM"}), "tier=gold")
	broken := withSelector(gold, "tier in (gold")
	before := attached(copyOf(gold))
	goldNS := maps.Clone(accept)
	goldNS["tier"] = "gold"

	cases := []struct {
		name        string
		nsLabels    map[string]string
		related     []any
		attachments []any
		want        []string
		report      string
	}{
		{"a namespace the selector picks gets the copy", goldNS, []any{gold}, nil, []string{"ConfigMap team-a/ca"}, ""},
		{"a namespace relabelled away loses it", accept, []any{gold}, []any{before}, nil, ""},
		{"an invalid selector copies nothing and is reported", goldNS, []any{broken}, nil, nil,
			`ConfigMap shared/ca: invalid mirror.hookops.dev/to-namespace-selector "tier in (gold"`},
		{"an invalid selector keeps the copy it made", accept, []any{broken}, []any{before}, []string{"ConfigMap team-a/ca"},
			"nothing is copied from it and its copies are left as they are"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := mirrorhooks.New().Sync(context.Background(), namespaceSync(t, c.nsLabels, c.related, c.attachments))
			if err != nil {
				t.Fatal(err)
			}
			if got := names(resp); strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("attachments %q, want %q", got, c.want)
			}
			if len(resp.Attachments) == 1 {
				if data := resp.Attachments[0]["data"].(map[string]any); data["ca.crt"] != "PEM" {
					t.Errorf("attachment data %v", data)
				}
			}
			ann := resp.Annotations[mirror.AnnotationConflicts]
			switch {
			case c.report == "" && ann != nil:
				t.Errorf("conflicts %q, want none", *ann)
			case c.report != "" && (ann == nil || !strings.Contains(*ann, c.report)):
				t.Errorf("conflicts %v, want one with %q", ann, c.report)
			}
		})
	}
}
