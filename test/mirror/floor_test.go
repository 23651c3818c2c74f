package mirror_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// floorWorkers is how many goroutines write in parallel when the floor is
// measured: enough to keep a kube-apiserver on a few cores busy.
const floorWorkers = 32

// floorLabel marks the ConfigMaps of the floor measurement, which are plain
// objects, not sources or copies, and are deleted once it is done.
const floorLabel = "bench.hookops.dev/floor"

// measureFloor is the API server's own write throughput, the floor of any
// propagation: one update of each of copies ConfigMaps (of the benchmark's
// size) spread over namespaces, sent by a plain client with no rate limit
// from floorWorkers goroutines. It creates the ConfigMaps first (untimed),
// times the updates, and deletes them again.
func measureFloor(b *testing.B, client kubernetes.Interface, namespaces []string, perNamespace int) time.Duration {
	b.Helper()
	ctx := context.Background()
	var objs []*corev1.ConfigMap
	for _, ns := range namespaces {
		for i := range perNamespace {
			objs = append(objs, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("floor-%02d", i), Labels: map[string]string{floorLabel: "true"}},
				Data:       benchData(0),
			})
		}
	}
	parallel(b, objs, func(cm *corev1.ConfigMap) error {
		created, err := client.CoreV1().ConfigMaps(cm.Namespace).Create(ctx, cm, metav1.CreateOptions{})
		if err == nil {
			*cm = *created
		}
		return err
	})
	start := time.Now()
	parallel(b, objs, func(cm *corev1.ConfigMap) error {
		cm.Data = benchData(1)
		_, err := client.CoreV1().ConfigMaps(cm.Namespace).Update(ctx, cm, metav1.UpdateOptions{})
		return err
	})
	floor := time.Since(start)
	for _, ns := range namespaces {
		err := client.CoreV1().ConfigMaps(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: floorLabel + "=true"})
		if err != nil {
			b.Fatal(err)
		}
	}
	return floor
}

// parallel calls fn for every object from floorWorkers goroutines and fails
// the benchmark on the first error.
func parallel(b *testing.B, objs []*corev1.ConfigMap, fn func(*corev1.ConfigMap) error) {
	b.Helper()
	work := make(chan *corev1.ConfigMap)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range floorWorkers {
		wg.Go(func() {
			for cm := range work {
				if err := fn(cm); err != nil {
					once.Do(func() { first = fmt.Errorf("%s/%s: %w", cm.Namespace, cm.Name, err) })
				}
			}
		})
	}
	for _, cm := range objs {
		work <- cm
	}
	close(work)
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
}
