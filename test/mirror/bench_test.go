package mirror_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/hookops/hookops/mirror"
	"github.com/hookops/hookops/test/testkit"
)

const (
	benchSources    = 50
	benchNamespaces = 50
)

// BenchmarkPropagation measures, for 50 sources copied into 50 namespaces
// (2500 copies), how long it takes from updating every source until every
// copy holds the new content, and how many requests the implementation
// sent the API server for it (counted at its client's transport: the
// controller's, or the Metacontroller stand-in's for the hooks, which make
// none themselves). Client-side rate limiting is off on both sides; a real
// Metacontroller (METACONTROLLER_BIN) needs it off by its flags
// (METACONTROLLER_ARGS="--workers=16 --client-go-qps=10000
// --client-go-burst=20000", the workers as the stand-in's below), and
// its requests are not counted.
//
// Before the implementation starts, and after every round with the
// implementation stopped, the same control plane's floors are measured
// (measureFloors): 2,500 ConfigMap updates from a plain parallel client,
// timed until the benchmark's watch has seen them all, as a round is, and
// the same as server-side applies of attachments. The implementation
// then starts again and settles before the next round. Each round is set
// against the mean of the floors right before and right after it, and
// the propagation time is reported as a ratio to them (x-floor,
// x-apply-floor), with the implementation's ConfigMap and Secret writes
// per changed copy (writes/copy, 1 when nothing is written twice or in
// vain). Both log at the level they ship with. Each round and floor also
// logs the CPU seconds every process used in it (cpu-s/op: a round's
// total): both cores are busy in both, so that says where a round's time
// goes beyond its floor's.
func BenchmarkPropagation(b *testing.B) {
	b.Run("clientgo", func(b *testing.B) {
		benchPropagation(b, func(opts implOptions) (impl, func() int) {
			return newClientgoImpl(b, opts), nil
		})
	})
	b.Run("hooks", func(b *testing.B) {
		benchPropagation(b, func(opts implOptions) (impl, func() int) {
			// Metacontroller applies a sync's attachments one after
			// another, so its workers are its writes in flight: 16, as
			// the client-go controller's 2 workers × 8 writes (a real
			// Metacontroller needs --workers=16 in METACONTROLLER_ARGS).
			// The mirror-sources controller (the copies annotation on
			// sources) is left out: it writes sources, not copies.
			opts.standinWorkers = 16
			opts.controllers = []string{"mirror"}
			h := newHooksImpl(b, opts)
			return h, h.hookCalls()
		})
	})
}

func benchPropagation(b *testing.B, newImpl func(implOptions) (impl, func() int)) {
	counter := &requestCounter{}
	im, hookCalls := newImpl(implOptions{unlimited: true, counter: counter, shippedLogs: true})
	cp := im.controlPlane()
	admin := kubernetes.NewForConfigOrDie(implOptions{unlimited: true}.config(cp.Config))
	ctx := context.Background()
	var names []string
	for i := range benchNamespaces {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("bench-%02d", i), Labels: map[string]string{mirror.LabelAccept: "true"}}}
		if _, err := admin.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		names = append(names, ns.Name)
	}
	floorClient := kubernetes.NewForConfigOrDie(implOptions{unlimited: true}.config(cp.Config))
	floors := []floorPair{measureFloors(b, floorClient, names)}
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench-src"}}, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	copies := watchCopies(b, admin)
	for i := range benchSources {
		if _, err := admin.CoreV1().ConfigMaps("bench-src").Create(ctx, cmSource("bench-src", fmt.Sprintf("source-%02d", i), "bench-*", benchData(0)), metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}

	start := time.Now()
	im.start(b)
	b.Cleanup(func() { im.stop(b) })
	copies.wait(b, benchData(0))
	created := quiesce(counter)
	b.Logf("%d copies created in %s with %d API requests", benchSources*benchNamespaces, time.Since(start).Round(time.Millisecond), created)
	// A real Metacontroller (METACONTROLLER_BIN) sends its requests with
	// a client of its own, which nothing here counts.
	counted := created > 0

	var requests, writes, calls int64
	var took time.Duration
	var cpuUsed float64
	round := 0
	for b.Loop() {
		round++
		b.StopTimer()
		if round > 1 {
			im.start(b)
			settle(b, admin)
		}
		before, writesBefore, callsBefore := counter.n.Load(), counter.writes.Load(), count(hookCalls)
		b.StartTimer()
		cpu := readCPU() // before the clock starts: reading /proc takes about 2 ms
		roundStart := time.Now()
		data := benchData(round)
		updateSources(b, admin, data)
		sent := time.Since(roundStart)
		copies.wait(b, data)
		d, used := time.Since(roundStart), readCPU().since(cpu)
		took += d
		cpuUsed += used.total()
		b.StopTimer()
		requests += quiesce(counter) - before
		writes += counter.writes.Load() - writesBefore
		calls += int64(count(hookCalls) - callsBefore)
		// The floors again, with the implementation stopped as before it
		// started: the machine's speed drifts, by a quarter within
		// minutes on this machine, so each round is set against the
		// floors measured right before and right after it.
		im.stop(b)
		floors = append(floors, measureFloors(b, floorClient, names))
		floor := floors[round-1].mean(floors[round])
		b.Logf("round %d: sources updated in %s, every copy in %s = %.2f× its floor (%s), %.2f× its apply floor (%s)", round,
			sent.Round(time.Millisecond), d.Round(time.Millisecond), d.Seconds()/floor.update.Seconds(), floor.update.Round(time.Millisecond),
			d.Seconds()/floor.apply.Seconds(), floor.apply.Round(time.Millisecond))
		b.Logf("round %d CPU: %s", round, used)
		b.StartTimer()
	}
	perRound := took / time.Duration(b.N)
	var floor floorPair
	for i := range b.N {
		f := floors[i].mean(floors[i+1])
		floor.update += f.update / time.Duration(b.N)
		floor.apply += f.apply / time.Duration(b.N)
	}
	changed := float64(benchSources * benchNamespaces)
	ratio := perRound.Seconds() / floor.update.Seconds()
	applyRatio := perRound.Seconds() / floor.apply.Seconds()
	perCopy := float64(writes) / float64(b.N) / changed
	b.ReportMetric(floor.update.Seconds(), "floor-s")
	b.ReportMetric(ratio, "x-floor")
	b.ReportMetric(applyRatio, "x-apply-floor")
	b.ReportMetric(cpuUsed/float64(b.N), "cpu-s/op")
	if !counted {
		b.Logf("propagation %s = %.2f× the floor (%s), %.2f× the apply floor; requests not counted", perRound.Round(time.Millisecond), ratio, floor.update.Round(time.Millisecond), applyRatio)
		return
	}
	b.Logf("propagation %s = %.2f× the floor (%s), %.2f× the apply floor; %.2f writes per changed copy", perRound.Round(time.Millisecond), ratio, floor.update.Round(time.Millisecond), applyRatio, perCopy)
	b.ReportMetric(perCopy, "writes/copy")
	b.ReportMetric(float64(requests)/float64(b.N), "apireqs/op")
	if hookCalls != nil {
		b.ReportMetric(float64(calls)/float64(b.N), "hookcalls/op")
	}
}

func count(f func() int) int {
	if f == nil {
		return 0
	}
	return f()
}

// benchData is a source's content in a round: a changing value and a
// payload the size of a small CA bundle.
func benchData(round int) map[string]string {
	return map[string]string{"value": fmt.Sprint(round), "ca.crt": strings.Repeat("x", 2048)}
}

// quiesce waits until the implementation has sent no request for a second
// (the tail of a round counts towards it) and returns the count.
func quiesce(c *requestCounter) int64 {
	last := c.n.Load()
	for still := 0; still < 4; {
		time.Sleep(250 * time.Millisecond)
		if n := c.n.Load(); n != last {
			last, still = n, 0
			continue
		}
		still++
	}
	return last
}

// copyWatch follows every copy through a watch of the test's own, so that
// checking costs the implementations nothing, and counts the copies by
// content hash as the events arrive, so that waiting costs the machine
// nothing either: scanning every copy 50 times a second took CPU the
// implementations measured against the floor need.
type copyWatch struct {
	mu      sync.Mutex
	hashes  map[types.UID]string // each copy's content hash
	holding map[string]int       // how many copies hold each hash
	changed chan struct{}        // closed and replaced on every change
}

func watchCopies(b *testing.B, client kubernetes.Interface) *copyWatch {
	w, stop := watchLabelled(b, client, mirror.LabelCopy)
	b.Cleanup(stop)
	return w
}

// watchLabelled follows the ConfigMaps labelled label=true as watchCopies
// follows copies, until stop: a watch left running would weigh on every
// measurement after it.
func watchLabelled(b *testing.B, client kubernetes.Interface, label string) (w *copyWatch, stop func()) {
	f := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.LabelSelector = label + "=true"
	}))
	w = &copyWatch{hashes: map[types.UID]string{}, holding: map[string]int{}, changed: make(chan struct{})}
	inf := f.Core().V1().ConfigMaps().Informer()
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { w.set(obj, true) },
		UpdateFunc: func(_, obj any) { w.set(obj, true) },
		DeleteFunc: func(obj any) { w.set(obj, false) },
	})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	f.Start(done)
	stop = func() {
		close(done)
		f.Shutdown()
	}
	ctx, cancel := context.WithTimeout(context.Background(), testkit.APITimeout)
	defer cancel()
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		stop()
		b.Fatalf("the watch of %s=true did not sync within %s", label, testkit.APITimeout)
	}
	return w, stop
}

func (w *copyWatch) set(obj any, present bool) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if old, ok := w.hashes[cm.UID]; ok {
		w.holding[old]--
		delete(w.hashes, cm.UID)
	}
	if present {
		h := cm.Annotations[mirror.AnnotationContentHash]
		w.hashes[cm.UID] = h
		w.holding[h]++
	}
	close(w.changed)
	w.changed = make(chan struct{})
}

// wait returns once every source has an up-to-date copy in every namespace.
func (w *copyWatch) wait(b *testing.B, data map[string]string) {
	w.waitFor(b, data, benchSources*benchNamespaces)
}

// waitFor returns once n copies hold data.
func (w *copyWatch) waitFor(b *testing.B, data map[string]string, n int) {
	want := mirror.Hash(&mirror.Object{Kind: mirror.ConfigMap, Data: data})
	deadline := time.After(10 * time.Minute)
	for {
		w.mu.Lock()
		done, changed := w.holding[want], w.changed
		w.mu.Unlock()
		if done == n {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			b.Fatalf("%d of %d copies up to date after 10 minutes", done, n)
		}
	}
}

// updateSources patches every source at once, so that the round measures
// the mirror rather than a sequence of round trips of the benchmark's own.
func updateSources(b *testing.B, admin kubernetes.Interface, data map[string]string) {
	b.Helper()
	patch := fmt.Appendf(nil, `{"data":{"value":%q}}`, data["value"])
	errs := make(chan error, benchSources)
	var wg sync.WaitGroup
	for i := range benchSources {
		wg.Go(func() {
			_, err := admin.CoreV1().ConfigMaps("bench-src").Patch(context.Background(), fmt.Sprintf("source-%02d", i), types.MergePatchType, patch, metav1.PatchOptions{})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}
