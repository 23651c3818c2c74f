// Package credentials serves the hooks of the credentials
// DecoratorController, which keeps a GitHub credentials Secret (labelled
// github.hookops.dev/credentials: "true") while any GitHubRepo of its
// namespace refers to it, as Kubernetes keeps a PersistentVolumeClaim a Pod
// uses.
//
// Deleting a namespace deletes its Secrets at once, and its GitHubRepos
// only once their finalizers let go. Without the Secret a GitHubRepo
// cannot carry out its deletion policy on GitHub, and the namespace would
// never finish terminating. Metacontroller's finalizer on the Secret,
// released by the finalize hook below, keeps the token there until the
// last GitHubRepo that needs it is gone.
package credentials

import (
	"context"
	"fmt"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/hooks/metacontroller"
)

// recheck is a safety net: Metacontroller calls finalize again whenever a
// related GitHubRepo changes or goes.
const recheck = 60

// Hooks serves the credentials controller. They keep no state.
type Hooks struct{}

// New returns Hooks ready to serve; the credentials controller has nothing
// to configure.
func New() *Hooks { return &Hooks{} }

// Customize asks for the GitHubRepos of the Secret's namespace: only they
// may refer to it.
func (*Hooks) Customize(_ context.Context, req *metacontroller.CustomizeRequest) (*metacontroller.CustomizeResponse, error) {
	if err := checkSecret(req.Parent); err != nil {
		return nil, err
	}
	return &metacontroller.CustomizeResponse{RelatedResources: []metacontroller.RelatedResourceRule{
		{APIVersion: v1.APIVersion, Resource: v1.Resource, Namespace: req.Parent.Namespace()},
	}}, nil
}

// Sync changes nothing: the finalizer Metacontroller puts on the Secret
// because a finalize hook exists is all this controller needs.
func (*Hooks) Sync(_ context.Context, req *metacontroller.DecoratorRequest) (*metacontroller.DecoratorResponse, error) {
	if err := checkSecret(req.Object); err != nil {
		return nil, err
	}
	return &metacontroller.DecoratorResponse{Attachments: []metacontroller.Object{}}, nil
}

// Finalize lets the Secret go once no GitHubRepo refers to it.
func (*Hooks) Finalize(_ context.Context, req *metacontroller.DecoratorRequest) (*metacontroller.DecoratorResponse, error) {
	if err := checkSecret(req.Object); err != nil {
		return nil, err
	}
	resp := &metacontroller.DecoratorResponse{Attachments: []metacontroller.Object{}}
	if len(users(req.Object, req.Related)) > 0 {
		resp.ResyncAfterSeconds = recheck
		return resp, nil
	}
	resp.Finalized = true
	return resp, nil
}

// users lists the names of the GitHubRepos among related that refer to
// secret.
func users(secret metacontroller.Object, related metacontroller.ObjectMap) []string {
	var names []string
	for _, r := range related.All(v1.Kind, v1.APIVersion) {
		if r.Namespace() != secret.Namespace() {
			continue
		}
		spec, _ := r["spec"].(map[string]any)
		ref, _ := spec["credentialsSecretRef"].(map[string]any)
		if name, _ := ref["name"].(string); name == secret.Name() {
			names = append(names, r.Name())
		}
	}
	return names
}

func checkSecret(o metacontroller.Object) error {
	if o.Kind() != "Secret" || o.Name() == "" || o.Namespace() == "" {
		return fmt.Errorf("the object must be a namespaced Secret, got %s %q", o.Kind(), o.Name())
	}
	return nil
}
