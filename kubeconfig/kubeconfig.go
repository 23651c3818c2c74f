// Package kubeconfig finds the Kubernetes API a hookops binary talks to.
package kubeconfig

import (
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Load reads the kubeconfig file at path, or, when path is empty, the
// in-cluster configuration of the Pod's ServiceAccount.
func Load(path string) (*rest.Config, error) {
	if path != "" {
		rc, err := clientcmd.BuildConfigFromFlags("", path)
		if err != nil {
			return nil, fmt.Errorf("--kubeconfig %s: %w", path, err)
		}
		return rc, nil
	}
	rc, err := rest.InClusterConfig()
	if err != nil {
		return nil, fmt.Errorf("no Kubernetes API is configured (%w)", err)
	}
	return rc, nil
}
