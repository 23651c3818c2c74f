package mirror_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
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

// floorPair is the floor and the apply floor, measured one after the other.
type floorPair struct{ update, apply time.Duration }

func (f floorPair) mean(g floorPair) floorPair {
	return floorPair{update: (f.update + g.update) / 2, apply: (f.apply + g.apply) / 2}
}

func measureFloors(b *testing.B, client kubernetes.Interface, namespaces []string) floorPair {
	b.Helper()
	var f floorPair
	var updateCPU, applyCPU cpuSeconds
	f.update, updateCPU = measureFloor(b, client, namespaces, benchSources, false)
	f.apply, applyCPU = measureFloor(b, client, namespaces, benchSources, true)
	n := float64(len(namespaces) * benchSources)
	b.Logf("floor: %.0f ConfigMap updates from %d goroutines, all seen by the benchmark's watch, in %s (%.0f/s); as server-side applies of attachments, owned by their namespace, in %s (%.0f/s)",
		n, floorWorkers, f.update.Round(time.Millisecond), n/f.update.Seconds(), f.apply.Round(time.Millisecond), n/f.apply.Seconds())
	b.Logf("floor CPU: %s", updateCPU)
	b.Logf("apply floor CPU: %s", applyCPU)
	return f
}

// settle waits until the API server has written no ConfigMap for 3 s. A
// restarted implementation goes over every copy again first (a real
// Metacontroller, whose requests nothing here counts, applies each one
// again, unchanged), and a round must not start on top of that. The
// window is long enough for a Metacontroller process to start.
func settle(b *testing.B, admin kubernetes.Interface) {
	b.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	last := configMapWrites(b, admin)
	for still := 0; still < 12; {
		if time.Now().After(deadline) {
			b.Fatal("the implementation still writes ConfigMaps 5 minutes after it restarted")
		}
		time.Sleep(250 * time.Millisecond)
		if n := configMapWrites(b, admin); n != last {
			last, still = n, 0
			continue
		}
		still++
	}
}

// configMapWrites is how many ConfigMap writes the API server has served,
// by its own metrics.
func configMapWrites(b *testing.B, admin kubernetes.Interface) float64 {
	b.Helper()
	body, err := admin.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	if err != nil {
		b.Fatalf("read the API server's metrics: %v", err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		b.Fatalf("parse the API server's metrics: %v", err)
	}
	var n float64
	for _, m := range families["apiserver_request_total"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		switch labels["verb"] {
		case "GET", "LIST", "WATCH":
			continue
		}
		if labels["resource"] == "configmaps" {
			n += m.GetCounter().GetValue()
		}
	}
	return n
}

// measureFloor is the API server's own write throughput, the floor of any
// propagation: one update of each of copies ConfigMaps (of the benchmark's
// size) spread over namespaces, sent by a plain client with no rate limit
// from floorWorkers goroutines. It creates the ConfigMaps first (untimed),
// times the updates, and deletes them again. The time ends, as a round's
// does, when the benchmark's own watch has seen every update: a round is
// timed to the watch event of its last copy, so the floor pays for the
// same watch.
//
// With apply, the updates are server-side applies of objects shaped as
// Metacontroller's attachments, as it writes them: a controller
// reference to their namespace and its annotations. The API server does
// more for each (10–30% more than for a bare apply here), so that floor
// is the one behind the hooks.
//
// It returns the time and the CPU the benchmark's processes used in it.
func measureFloor(b *testing.B, client kubernetes.Interface, namespaces []string, perNamespace int, apply bool) (time.Duration, cpuSeconds) {
	b.Helper()
	ctx := context.Background()
	seen, stop := watchLabelled(b, client, floorLabel)
	defer stop()
	var objs []*corev1.ConfigMap
	for _, ns := range namespaces {
		var owner []metav1.OwnerReference
		if apply {
			owner = attachedTo(b, client, ns)
		}
		for i := range perNamespace {
			objs = append(objs, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("floor-%02d", i), Labels: map[string]string{floorLabel: "true"}, OwnerReferences: owner},
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
	cpu := readCPU() // before the clock starts, as in a round
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
	floor, used := time.Since(start), readCPU().since(cpu)
	for _, ns := range namespaces {
		err := client.CoreV1().ConfigMaps(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: floorLabel + "=true"})
		if err != nil {
			b.Fatal(err)
		}
	}
	return floor, used
}

// attachedTo is the controller reference Metacontroller puts on every
// attachment of namespace ns.
func attachedTo(b *testing.B, client kubernetes.Interface, ns string) []metav1.OwnerReference {
	b.Helper()
	n, err := client.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return []metav1.OwnerReference{{APIVersion: "v1", Kind: "Namespace", Name: ns, UID: n.UID, Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}}
}

// applyConfigMap writes cm's labels, annotations, owner references and
// data by server-side apply, forcing ownership, as the Metacontroller
// stand-in applies an attachment, with the annotations a copy carries.
func applyConfigMap(ctx context.Context, client kubernetes.Interface, cm *corev1.ConfigMap) error {
	annotations := map[string]string{
		mirror.AnnotationSource:                      "bench-src/" + cm.Name,
		"metacontroller.k8s.io/decorator-controller": "mirror",
	}
	maps.Copy(annotations, cm.Annotations)
	body, err := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": cm.Name, "namespace": cm.Namespace, "labels": cm.Labels, "annotations": annotations, "ownerReferences": cm.OwnerReferences},
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
