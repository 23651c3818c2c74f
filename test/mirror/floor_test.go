package mirror_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/hookops/hookops/mirror"
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
// times the updates, and deletes them again. The time ends, as a round's
// does, when the benchmark's own watch has seen every update: a round is
// timed to the watch event of its last copy, so the floor pays for the
// same watch.
//
// With apply, the updates are server-side applies instead, as
// Metacontroller writes children and attachments: the API server does
// more for each, so that floor is the one behind the hooks.
func measureFloor(b *testing.B, client kubernetes.Interface, namespaces []string, perNamespace int, apply bool) time.Duration {
	b.Helper()
	ctx := context.Background()
	seen, stop := watchLabelled(b, client, floorLabel)
	defer stop()
	var objs []*corev1.ConfigMap
	for _, ns := range namespaces {
		for i := range perNamespace {
			objs = append(objs, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("floor-%02d", i), Labels: map[string]string{floorLabel: "true"}},
			})
			setData(objs[len(objs)-1], benchData(0))
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
		setData(cm, benchData(1))
		if apply {
			return applyConfigMap(ctx, client, cm)
		}
		_, err := client.CoreV1().ConfigMaps(cm.Namespace).Update(ctx, cm, metav1.UpdateOptions{})
		return err
	})
	seen.waitFor(b, benchData(1), len(objs))
	floor := time.Since(start)
	for _, ns := range namespaces {
		err := client.CoreV1().ConfigMaps(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: floorLabel + "=true"})
		if err != nil {
			b.Fatal(err)
		}
	}
	return floor
}

// applyConfigMap writes cm's labels, annotations and data by server-side
// apply, forcing ownership, as the Metacontroller stand-in applies.
func applyConfigMap(ctx context.Context, client kubernetes.Interface, cm *corev1.ConfigMap) error {
	body, err := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": cm.Name, "namespace": cm.Namespace, "labels": cm.Labels, "annotations": cm.Annotations},
		"data":     cm.Data,
	})
	if err != nil {
		return err
	}
	_, err = client.CoreV1().ConfigMaps(cm.Namespace).Patch(ctx, cm.Name, types.ApplyPatchType, body, metav1.PatchOptions{FieldManager: "bench-floor", Force: ptr.To(true)})
	return err
}

// setData gives cm data and the content hash a copy of it carries, so
// that the floor writes objects of a copy's size and the benchmark's watch
// counts them as it counts copies.
func setData(cm *corev1.ConfigMap, data map[string]string) {
	cm.Data = data
	cm.Annotations = map[string]string{mirror.AnnotationContentHash: mirror.Hash(&mirror.Object{Kind: mirror.ConfigMap, Data: data})}
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
