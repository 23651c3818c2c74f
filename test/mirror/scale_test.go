package mirror_test

import (
	"context"
	"flag"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/hookops/hookops/mirror"
	"github.com/hookops/hookops/test/process"
	"github.com/hookops/hookops/test/testkit"
)

// The scale benchmark takes minutes and thousands of objects, so it runs
// only when asked for: make bench-mirror-scale.
var (
	scale           = flag.Bool("mirror-scale", false, "run BenchmarkScale (500 namespaces × 20 sources)")
	scaleNamespaces = flag.Int("mirror-scale-namespaces", 500, "namespaces of BenchmarkScale")
	scaleSources    = flag.Int("mirror-scale-sources", 20, "sources of BenchmarkScale")
)

// rssLimit is the most clientgo-mirror may hold at 500 namespaces × 20
// sources (10,000 copies).
const rssLimit = 150 << 20

// BenchmarkScale runs the clientgo-mirror binary, as shipped (its own
// process, as the manifests' ServiceAccount, default flags but for the
// client rate limit), on 20 sources copied into 500 namespaces: the time
// until all 10,000 copies stand, then until all hold an update of every
// source, and the binary's resident memory (VmRSS, sampled every 100 ms):
// its peak, and once settled after the update.
func BenchmarkScale(b *testing.B) {
	if !*scale {
		b.Skip("run with -mirror-scale (make bench-mirror-scale)")
	}
	nNS, nSrc := *scaleNamespaces, *scaleSources
	cp := newClientgoImpl(b, implOptions{}).controlPlane() // installs the manifests' ServiceAccount and RBAC
	admin := kubernetes.NewForConfigOrDie(implOptions{unlimited: true}.config(cp.Config))
	ctx := context.Background()
	var names []string
	for i := range nNS {
		names = append(names, fmt.Sprintf("scale-%03d", i))
	}
	createNamespaces(b, admin, names)
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "scale-src"}}, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	for i := range nSrc {
		if _, err := admin.CoreV1().ConfigMaps("scale-src").Create(ctx, cmSource("scale-src", fmt.Sprintf("source-%02d", i), "scale-*", benchData(0)), metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	copies := watchCopies(b, admin)

	bin := testkit.Build(b, "clientgo-mirror", "./clientgo-mirror")
	start := time.Now()
	proc := testkit.Start(b, b.TempDir(), "clientgo-mirror", bin, "--kubeconfig", writeKubeconfig(b, cp), "--http-addr", process.LoopbackAny,
		"--kube-api-qps", "1000", "--kube-api-burst", "2000")
	rss := sampleRSS(b, proc.Pid())
	copies.waitFor(b, benchData(0), nNS*nSrc)
	converged := time.Since(start)

	for b.Loop() {
		start = time.Now()
		for i := range nSrc {
			patch := fmt.Sprintf(`{"data":{"value":%q}}`, benchData(1)["value"])
			if _, err := admin.CoreV1().ConfigMaps("scale-src").Patch(ctx, fmt.Sprintf("source-%02d", i), types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		copies.waitFor(b, benchData(1), nNS*nSrc)
	}
	updated := time.Since(start)
	time.Sleep(5 * time.Second) // settled: the writes are done, caches full
	peak, now := rss.stop()
	b.Logf("%d namespaces × %d sources: %d copies in %s, all updated in %s; clientgo-mirror RSS peak %.1f MiB, settled %.1f MiB (limit %d MiB)",
		nNS, nSrc, nNS*nSrc, converged.Round(time.Millisecond), updated.Round(time.Millisecond), mib(peak), mib(now), rssLimit>>20)
	b.ReportMetric(converged.Seconds(), "converge-s")
	b.ReportMetric(updated.Seconds(), "update-s")
	b.ReportMetric(mib(peak), "peak-rss-MiB")
	b.ReportMetric(mib(now), "rss-MiB")
	if peak > rssLimit {
		b.Errorf("peak RSS %.1f MiB is over %d MiB", mib(peak), rssLimit>>20)
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// createNamespaces creates accepting namespaces from a few goroutines.
func createNamespaces(b *testing.B, client kubernetes.Interface, names []string) {
	b.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(names))
	work := make(chan string)
	for range 16 {
		wg.Go(func() {
			for name := range work {
				ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{mirror.LabelAccept: "true"}}}
				if _, err := client.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
					errs <- err
				}
			}
		})
	}
	for _, n := range names {
		work <- n
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

// rssSampler reads a process's VmRSS until stopped.
type rssSampler struct {
	stopc chan struct{}
	done  chan struct{}
	peak  int64
	last  int64
}

func sampleRSS(b *testing.B, pid int) *rssSampler {
	s := &rssSampler{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if n, err := process.RSS(pid); err == nil {
				s.last, s.peak = n, max(s.peak, n)
			}
			select {
			case <-s.stopc:
				return
			case <-tick.C:
			}
		}
	}()
	b.Cleanup(func() {
		select {
		case <-s.done:
		default:
			s.stop()
		}
	})
	return s
}

// stop ends the sampling and returns the peak and the last sample.
func (s *rssSampler) stop() (peak, last int64) {
	close(s.stopc)
	<-s.done
	return s.peak, s.last
}
