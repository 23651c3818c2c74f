package mirror

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Annotations on a source that change which of its labels its copies carry.
// Both hold comma-separated label keys; a key ending in '*' names every key
// with that prefix.
const (
	// AnnotationStripLabels names more labels to leave off the copies.
	AnnotationStripLabels = Prefix + "strip-labels"
	// AnnotationKeepLabels names labels of GitOpsLabels to copy after all.
	AnnotationKeepLabels = Prefix + "keep-labels"
)

// GitOpsLabels are the labels by which GitOps tools recognise the objects
// they apply. A copy carrying them looks like part of the source's
// application: the tool shows it OutOfSync or prunes it, and the mirror
// creates it again, for ever (kubernetes-replicator #151, config-syncer
// #465). So they are never copied, unless the source's keep-labels names
// them.
var GitOpsLabels = []KeyPattern{
	// Argo CD's default tracking label, set with the "label" and
	// "annotation+label" tracking methods, and the key Argo CD's docs give
	// as the usual custom one
	// (https://argo-cd.readthedocs.io/en/stable/user-guide/resource_tracking/).
	"app.kubernetes.io/instance",
	"argocd.argoproj.io/instance",
	// Flux's kustomize-controller labels what it applies with
	// kustomize.toolkit.fluxcd.io/name and /namespace
	// (https://fluxcd.io/flux/components/kustomize/kustomizations/).
	"kustomize.toolkit.fluxcd.io/*",
	// Flux's helm-controller labels release resources with
	// helm.toolkit.fluxcd.io/name and /namespace (fluxcd/helm-controller#238).
	"helm.toolkit.fluxcd.io/*",
}

// GitOpsAnnotations are the annotations by which GitOps tools track or
// steer the objects they apply: Argo CD's tracking-id (the "annotation"
// tracking method) and its sync and compare options
// (https://argo-cd.readthedocs.io/en/stable/user-guide/annotations-and-labels/),
// Flux's per-object settings, and kubectl's last applied configuration,
// which Argo CD's client-side apply writes too. A copy carries none of its
// source's annotations, only the mirror's own, so it never carries these;
// the list names what that rule keeps off, for tests and documentation.
// Annotations others put on a copy are theirs and left alone.
var GitOpsAnnotations = []KeyPattern{
	"argocd.argoproj.io/*",
	"kustomize.toolkit.fluxcd.io/*",
	"helm.toolkit.fluxcd.io/*",
	"kubectl.kubernetes.io/last-applied-configuration",
}

// KeyPattern is a label or annotation key, or a key prefix followed by '*'.
type KeyPattern string

// Matches reports whether key is p, or starts with p's prefix.
func (p KeyPattern) Matches(key string) bool {
	if prefix, ok := strings.CutSuffix(string(p), "*"); ok {
		return strings.HasPrefix(key, prefix)
	}
	return string(p) == key
}

func matchesAny(patterns []KeyPattern, key string) bool {
	for _, p := range patterns {
		if p.Matches(key) {
			return true
		}
	}
	return false
}

// ParseKeyPatterns reads a strip-labels or keep-labels annotation: keys
// separated by commas, blanks dropped. Each must be a valid label key, or a
// prefix of one followed by a single '*'.
func ParseKeyPatterns(annotation string) ([]KeyPattern, error) {
	var out []KeyPattern
	var errs []error
	for entry := range strings.SplitSeq(annotation, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if err := checkKeyPattern(entry); err != nil {
			errs = append(errs, fmt.Errorf("%q: %w", entry, err))
			continue
		}
		out = append(out, KeyPattern(entry))
	}
	return out, errors.Join(errs...)
}

func checkKeyPattern(entry string) error {
	prefix, wild := strings.CutSuffix(entry, "*")
	if !wild {
		if msgs := validation.IsQualifiedName(entry); len(msgs) > 0 {
			return errors.New(strings.Join(msgs, "; "))
		}
		return nil
	}
	if strings.Contains(prefix, "*") {
		return errors.New("'*' may only end a key")
	}
	if strings.Count(prefix, "/") > 1 {
		return errors.New("a key has at most one '/'")
	}
	for _, r := range prefix {
		if !isKeyChar(r) {
			return fmt.Errorf("%q cannot be part of a label key", r)
		}
	}
	return nil
}

func isKeyChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./", r)
}

// LabelRules decide which of a source's labels its copies carry.
type LabelRules struct {
	// Strip leaves more labels off (strip-labels); it wins over Keep.
	Strip []KeyPattern
	// Keep copies labels of GitOpsLabels after all (keep-labels).
	Keep []KeyPattern
}

// ParseLabelRules reads the strip-labels and keep-labels annotations. An
// error names the annotation and every malformed entry.
func ParseLabelRules(annotations map[string]string) (LabelRules, error) {
	var r LabelRules
	var errs []error
	var err error
	if r.Strip, err = ParseKeyPatterns(annotations[AnnotationStripLabels]); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", AnnotationStripLabels, err))
	}
	if r.Keep, err = ParseKeyPatterns(annotations[AnnotationKeepLabels]); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", AnnotationKeepLabels, err))
	}
	return r, errors.Join(errs...)
}

// Copies reports whether a copy carries the source's label key. The
// mirror's own labels are never copied, whatever the lists say: a copy
// carrying the enabled label would look like a source.
func (r LabelRules) Copies(key string) bool {
	switch {
	case strings.HasPrefix(key, Prefix), matchesAny(r.Strip, key):
		return false
	case matchesAny(r.Keep, key):
		return true
	}
	return !matchesAny(GitOpsLabels, key)
}

// CopiedLabels returns the labels a copy of a source labelled so carries,
// the copy label among them.
func (r LabelRules) CopiedLabels(labels map[string]string) map[string]string {
	out := map[string]string{LabelCopy: "true"}
	for k, v := range labels {
		if r.Copies(k) {
			out[k] = v
		}
	}
	return out
}
