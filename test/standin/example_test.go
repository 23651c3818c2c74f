package standin_test

import (
	"context"
	"fmt"
	"log"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/hookops/hookops/test/standin"
)

// The local stack: the controllers we ship, with their hook Service served
// by a hook server on loopback, watched until ctx ends.
func Example() {
	cfg, err := clientcmd.BuildConfigFromFlags("", "/path/to/kubeconfig")
	if err != nil {
		log.Fatal(err)
	}
	s, err := standin.FromFiles(cfg, standin.Options{
		ServiceURL: func(namespace, name string, port int32) string { return "http://127.0.0.1:8080" },
	}, "manifests/controllers/*.yaml")
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Run(context.Background()); err != nil {
		log.Fatal(err)
	}
	for _, c := range s.Calls() {
		fmt.Println(c.Time, c.Controller, c.Hook, c.Parent, c.StatusCode, c.Duration)
	}
}
