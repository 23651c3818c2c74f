// Package metacontroller models the hook wire format of Metacontroller v4.17:
// the requests it POSTs to customize, sync and finalize hooks and the
// responses it expects back, for both CompositeControllers and
// DecoratorControllers and for both hook versions (v1 and v2).
package metacontroller

import (
	"encoding/json"
	"strings"
)

// Object is one Kubernetes object as Metacontroller sends it. It is kept as
// generic JSON (integers as int64, as Kubernetes decodes them) so that
// fields nobody here models survive a decode/encode round trip unchanged.
type Object map[string]any

// APIVersion returns the object's apiVersion.
func (o Object) APIVersion() string { return str(o["apiVersion"]) }

// Kind returns the object's kind.
func (o Object) Kind() string { return str(o["kind"]) }

// Name returns metadata.name.
func (o Object) Name() string { return str(o.metadata()["name"]) }

// Namespace returns metadata.namespace ("" for cluster-scoped objects).
func (o Object) Namespace() string { return str(o.metadata()["namespace"]) }

// UID returns metadata.uid.
func (o Object) UID() string { return str(o.metadata()["uid"]) }

// Generation returns metadata.generation, or 0 when absent.
func (o Object) Generation() int64 {
	if g, ok := o.metadata()["generation"].(int64); ok {
		return g
	}
	if f, ok := o.metadata()["generation"].(float64); ok {
		return int64(f)
	}
	return 0
}

// Labels returns metadata.labels (nil when absent).
func (o Object) Labels() map[string]string { return stringMap(o.metadata()["labels"]) }

// Annotations returns metadata.annotations (nil when absent).
func (o Object) Annotations() map[string]string { return stringMap(o.metadata()["annotations"]) }

// Into converts the object into a typed Go value through JSON.
func (o Object) Into(v any) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func (o Object) metadata() map[string]any {
	m, _ := o["metadata"].(map[string]any)
	return m
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func stringMap(v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = str(v)
	}
	return out
}

// GroupKind is the key Metacontroller uses for a resource type in the
// children, attachments and related maps: "<Kind>.<apiVersion>", for example
// "Secret.v1" or "Deployment.apps/v1".
func GroupKind(kind, apiVersion string) string { return kind + "." + apiVersion }

// ObjectMap holds objects by type (see GroupKind) and then by key; the key
// depends on the hook version (see Key).
type ObjectMap map[string]map[string]Object

// Get finds an object of the given type by namespace and name, whatever key
// form the hook version used.
func (m ObjectMap) Get(kind, apiVersion, namespace, name string) (Object, bool) {
	byKey := m[GroupKind(kind, apiVersion)]
	if o, ok := byKey[namespace+"/"+name]; ok {
		return o, true
	}
	o, ok := byKey[name]
	if ok && (namespace == "" || o.Namespace() == "" || o.Namespace() == namespace) {
		return o, true
	}
	return nil, false
}

// All returns the objects of one type, in no particular order.
func (m ObjectMap) All(kind, apiVersion string) []Object {
	byKey := m[GroupKind(kind, apiVersion)]
	out := make([]Object, 0, len(byKey))
	for _, o := range byKey {
		out = append(out, o)
	}
	return out
}

// Version is a hook version as set in a controller's spec.hooks.*.version.
type Version string

// The hook versions Metacontroller v4.17 knows.
const (
	V1 Version = "v1"
	V2 Version = "v2"
)

// Key returns the key under which Metacontroller files an object in the
// children, attachments and related maps: v1 uses the bare name for objects in
// the parent's namespace and "namespace/name" otherwise (always under a
// cluster-scoped parent); v2 always uses "namespace/name".
func Key(v Version, parentNamespace, namespace, name string) string {
	if v != V2 && parentNamespace != "" && namespace == parentNamespace {
		return name
	}
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

// HookVersion reads the version of one hook ("customize", "sync",
// "finalize") from the controller object sent with every request. Unset
// means v1, as in Metacontroller's CRD default.
func HookVersion(controller Object, hook string) Version {
	spec, _ := controller["spec"].(map[string]any)
	hooks, _ := spec["hooks"].(map[string]any)
	h, _ := hooks[hook].(map[string]any)
	if v := Version(strings.TrimSpace(str(h["version"]))); v != "" {
		return v
	}
	return V1
}
