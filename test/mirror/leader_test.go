package mirror_test

import (
	"bufio"
	"context"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/hookops/hookops/mirror"
	"github.com/hookops/hookops/test/controlplane"
	"github.com/hookops/hookops/test/process"
	"github.com/hookops/hookops/test/testkit"
)

// replica is one clientgo-mirror process.
type replica struct {
	id, url string
	proc    *process.Process
}

// leaderElection runs two clientgo-mirror binaries with --leader-elect
// against the control plane, as the ServiceAccount of the manifests: one
// leads and mirrors, the other waits with warm caches; when the leader
// stops, the other takes over at once.
func leaderElection(t *testing.T, e *env) {
	bin := testkit.Build(t, "clientgo-mirror", "./clientgo-mirror")
	kubeconfig := writeKubeconfig(t, e.cp)
	start := func(id string) *replica {
		r := &replica{id: id}
		r.proc = testkit.Start(t, t.TempDir(), id, bin,
			"--kubeconfig", kubeconfig,
			"--http-addr", process.LoopbackAny,
			"--leader-elect", "--leader-elect-namespace", "hookops-system", "--leader-elect-identity", id,
			"--leader-elect-lease-duration", "6s", "--leader-elect-renew-deadline", "4s", "--leader-elect-retry-period", "500ms",
			"--conflict-recheck", "1s", "--log-level", "debug")
		return r
	}
	replicas := map[string]*replica{"one": start("one"), "two": start("two")}
	t.Cleanup(func() {
		if t.Failed() {
			for _, r := range replicas {
				t.Logf("==> %s <==\n%s", r.id, r.proc.LogTail())
			}
		}
	})
	for _, r := range replicas {
		r.url = servingURL(t, r.proc)
		waitReady(t, r.proc, r.url+"/readyz")
		waitReady(t, r.proc, r.url+"/healthz")
	}

	leader := e.holder(t, "")
	follower := replicas[map[string]string{"one": "two", "two": "one"}[leader]]
	e.namespace(t, "le-src", false)
	e.namespace(t, "le-a", true)
	e.configMap(t, cmSource("le-src", "settings", "le-*", map[string]string{"v": "1"}))
	e.copied(t, mirror.ConfigMap, "le-src", "settings", "le-a")
	if n := metric(t, replicas[leader].url, `mirror_syncs_total{result="success"}`); n == 0 {
		t.Errorf("leader %s reports no syncs", leader)
	}
	if n := metric(t, follower.url, `mirror_syncs_total{result="success"}`); n != 0 {
		t.Errorf("follower %s synced %v times while not leading", follower.id, n)
	}
	if n := metric(t, replicas[leader].url, `workqueue_adds_total{name="mirror"}`); n == 0 {
		t.Error("no workqueue metrics")
	}

	// A clean stop releases the Lease: the follower takes over well before
	// the Lease would have expired on its own.
	stopped := time.Now()
	// A replica that needs killing after SIGTERM ends with an error.
	replicas[leader].proc.Stop(20 * time.Second)
	if err := replicas[leader].proc.Err(); err != nil {
		t.Fatalf("leader on SIGTERM: %v", err)
	}
	if next := e.holder(t, leader); next != follower.id {
		t.Fatalf("lease went to %q, want %q", next, follower.id)
	}
	t.Logf("failover took %s", time.Since(stopped).Round(10*time.Millisecond))
	e.patch(t, mirror.ConfigMap, "le-src", "settings", `{"data":{"v":"2"}}`)
	e.copied(t, mirror.ConfigMap, "le-src", "settings", "le-a")
	if n := metric(t, follower.url, `mirror_syncs_total{result="success"}`); n == 0 {
		t.Errorf("new leader %s reports no syncs", follower.id)
	}
	follower.proc.Stop(20 * time.Second)
	if err := follower.proc.Err(); err != nil {
		t.Fatalf("second replica on SIGTERM: %v", err)
	}
}

// holder waits for the mirror's Lease to be held by someone other than not.
func (e *env) holder(t *testing.T, not string) string {
	t.Helper()
	var id string
	e.eventually(t, "the Lease held", func(ctx context.Context) (bool, string) {
		lease, err := e.client.CoordinationV1().Leases("hookops-system").Get(ctx, "clientgo-mirror", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		if lease.Spec.HolderIdentity == nil {
			return false, "no holder"
		}
		id = *lease.Spec.HolderIdentity
		return id != "" && id != not, "held by " + strconv.Quote(id)
	})
	return id
}

// writeKubeconfig writes a kubeconfig for the mirror's ServiceAccount.
func writeKubeconfig(t testing.TB, cp *controlplane.ControlPlane) string {
	t.Helper()
	cfg, err := cp.UserConfig(serviceAccount)
	if err != nil {
		t.Fatal(err)
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["cp"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["mirror"] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts["mirror"] = &clientcmdapi.Context{Cluster: "cp", AuthInfo: "mirror", Namespace: "hookops-system"}
	kc.CurrentContext = "mirror"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// metric reads one sample from a replica's /metrics; 0 when absent.
func metric(t *testing.T, base, series string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", series, err)
			}
			return f
		}
	}
	return 0
}
