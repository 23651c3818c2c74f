package githubrepo

import (
	"context"

	"github.com/hookops/hookops/hooks/metacontroller"
)

// Customize asks Metacontroller for exactly the Secret the GitHubRepo
// references, by name, in its own namespace. A reference to another
// namespace asks for nothing; Sync reports it.
func (h *Hooks) Customize(_ context.Context, req *metacontroller.CustomizeRequest) (*metacontroller.CustomizeResponse, error) {
	repo, err := decodeParent(req)
	if err != nil {
		return &metacontroller.CustomizeResponse{}, nil
	}
	ref := repo.Spec.CredentialsSecretRef
	if ref.Name == "" || (ref.Namespace != "" && ref.Namespace != repo.Namespace) {
		return &metacontroller.CustomizeResponse{}, nil
	}
	return &metacontroller.CustomizeResponse{RelatedResources: []metacontroller.RelatedResourceRule{{
		APIVersion: "v1",
		Resource:   "secrets",
		Namespace:  repo.Namespace,
		Names:      []string{ref.Name},
	}}}, nil
}
