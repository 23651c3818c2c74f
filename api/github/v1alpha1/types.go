// Package v1alpha1 holds the Go types of GitHubRepo in
// github.hookops.dev/v1alpha1, the older shape. It is still served, but
// deprecated: objects are stored as v1 and converted by package conversion.
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// Group, Version and Kind name the resource; only the version differs from v1.
const (
	Group    = v1.Group
	Version  = "v1alpha1"
	Kind     = v1.Kind
	Resource = v1.Resource
)

// APIVersion is Group/Version.
const APIVersion = Group + "/" + Version

// GitHubRepo is one GitHub repository kept in line with its spec.
type GitHubRepo struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec GitHubRepoSpec `json:"spec"`
	// Status has the same shape in every version.
	Status v1.GitHubRepoStatus `json:"status,omitempty"`
}

// GitHubRepoSpec is the desired repository in the v1alpha1 shape.
type GitHubRepoSpec struct {
	// Organization is the organization or user login the repository belongs to.
	Organization string `json:"organization"`
	// RepoName defaults to metadata.name.
	RepoName string `json:"repoName,omitempty"`
	// Private, when set, makes the repository private (true) or public (false).
	Private     *bool   `json:"private,omitempty"`
	Description *string `json:"description,omitempty"`
	// TokenSecretName names a Secret in the object's namespace whose key
	// "token" holds the GitHub token.
	TokenSecretName string `json:"tokenSecretName"`
}
