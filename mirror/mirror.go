// Package mirror decides which copies of labelled ConfigMaps and Secrets
// should exist in which namespaces. It does no I/O: the client-go controller
// (clientgo-mirror) and the Metacontroller hooks (hooks/mirrorhooks) feed it what
// they observed and carry out what it decides, so both implementations share
// one definition of a source, a target, a copy and a conflict.
package mirror

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Prefix starts every label and annotation the mirror reads or writes.
const Prefix = "mirror.hookops.dev/"

// The labels and annotations of the mirror.
const (
	// LabelEnabled: "true" on a ConfigMap or Secret makes it a source.
	LabelEnabled = Prefix + "enabled"
	// LabelAccept: "true" on a Namespace lets sources copy into it.
	LabelAccept = Prefix + "accept"
	// LabelCopy: "true" on every copy; copies are found by it, never by memory.
	LabelCopy = Prefix + "copy"
	// AnnotationToNamespaces on a source: comma-separated names or globs.
	AnnotationToNamespaces = Prefix + "to-namespaces"
	// AnnotationSource on a copy: <namespace>/<name> of its source.
	AnnotationSource = Prefix + "source"
	// AnnotationContentHash on a copy: the Hash of what it holds.
	AnnotationContentHash = Prefix + "content-hash"
	// AnnotationConflicts on a Namespace (hooks version): the conflicts that
	// keep copies out of it, one per line.
	AnnotationConflicts = Prefix + "conflicts"
)

// Kind is the kind of a source and of its copies.
type Kind string

// The kinds that can be mirrored.
const (
	ConfigMap Kind = "ConfigMap"
	Secret    Kind = "Secret"
)

// Ref names a ConfigMap or Secret.
type Ref struct {
	Kind      Kind
	Namespace string
	Name      string
}

// Path is namespace/name, the form of the source annotation.
func (r Ref) Path() string { return r.Namespace + "/" + r.Name }

func (r Ref) String() string { return string(r.Kind) + " " + r.Path() }

// ParsePath reads a namespace/name as written in the source annotation.
func ParsePath(kind Kind, path string) (Ref, bool) {
	ns, name, ok := strings.Cut(path, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return Ref{}, false
	}
	return Ref{Kind: kind, Namespace: ns, Name: name}, true
}

// Namespace is what the mirror needs to know about a namespace.
type Namespace struct {
	Name   string
	Labels map[string]string
	// Terminating namespaces take no new objects and lose their content anyway.
	Terminating bool
}

// NamespaceFrom reduces a Namespace object.
func NamespaceFrom(ns *corev1.Namespace) Namespace {
	return Namespace{
		Name:        ns.Name,
		Labels:      ns.Labels,
		Terminating: ns.DeletionTimestamp != nil || ns.Status.Phase == corev1.NamespaceTerminating,
	}
}

// Accepts reports whether the namespace opted in to receiving copies.
func (n Namespace) Accepts() bool {
	return n.Labels[LabelAccept] == "true" && !n.Terminating
}
