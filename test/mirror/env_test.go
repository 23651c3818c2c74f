// Package mirror_test is the conformance suite of the mirror: one table of
// scenarios, run on the local stack (test/stack: a real kube-apiserver and
// the hook server) against both implementations, the client-go controller
// (in-process, as the ServiceAccount its manifests grant) and the
// Metacontroller hooks (the hook server binary called by the Metacontroller
// stand-in, or a real Metacontroller from METACONTROLLER_BIN, with the
// shipped DecoratorControllers).
package mirror_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"

	"github.com/hookops/hookops/clientgo-mirror/controller"
	"github.com/hookops/hookops/mirror"
	"github.com/hookops/hookops/test/controlplane"
	"github.com/hookops/hookops/test/process"
	"github.com/hookops/hookops/test/reference"
	"github.com/hookops/hookops/test/stack"
	"github.com/hookops/hookops/test/testkit"
)

// serviceAccount is the identity manifests/clientgo-mirror grants; the
// in-process controller authenticates as it, so the suite checks the RBAC.
const serviceAccount = "system:serviceaccount:hookops-system:clientgo-mirror"

// impl is one implementation of the mirror, started and stopped on a
// stack of its own.
type impl interface {
	// controlPlane is the control plane of the implementation's stack.
	controlPlane() *controlplane.ControlPlane
	// start runs the implementation until stop.
	start(t testing.TB)
	stop(t testing.TB)
	// conflict reports whether the implementation has reported a conflict
	// of the given reason about the copy kind/name in namespace ns, coming
	// from the source srcNS/name.
	conflict(ctx context.Context, reason, kind, ns, srcNS, name string) (bool, string)
	// invalid reports whether the implementation has reported the source
	// kind srcNS/name as unreadable because of its annotation, where the
	// owner of namespace ns, which accepts copies, would see it.
	invalid(ctx context.Context, kind, srcNS, name, ns, annotation string) (bool, string)
	// replaced reports whether the implementation has reported that it
	// replaced the immutable copy kind/name in namespace ns of the source
	// srcNS/name.
	replaced(ctx context.Context, kind, ns, srcNS, name string) (bool, string)
	// logs returns what it logged, for a failing test.
	logs() string
}

// env is a control plane with one implementation of the mirror running.
type env struct {
	cp     *controlplane.ControlPlane
	client kubernetes.Interface
	impl   impl
}

// startStack runs the local stack for a test, with the mirror's
// ServiceAccount among the kube-apiserver's users, until the test ends.
func startStack(t testing.TB, opts stack.Options) *stack.Stack {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping: needs a kube-apiserver control plane (not run with -short)")
	}
	opts.Users = append(opts.Users, controlplane.User{Name: serviceAccount, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:hookops-system"}})
	// Starting builds the hook server; the bound is for a wedged start.
	st, err := stack.Start(testkit.Within(t, 10*time.Minute), opts)
	if err != nil {
		t.Fatalf("start the stack: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("stack logs:\n%s", st.Logs())
		}
		if err := st.Stop(); err != nil {
			t.Errorf("stop the stack: %v", err)
		}
	})
	return st
}

// fastConfig lifts client-go's default 5 requests a second, which would
// make every scenario wait on the client rather than on the mirror.
func fastConfig(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 200, 400
	return cfg
}

// implOptions tune an implementation for the benchmark.
type implOptions struct {
	// unlimited lifts client-side rate limiting entirely, so that a
	// benchmark measures the mirror, not the limiter.
	unlimited bool
	// counter counts the requests the implementation sends the API server.
	counter *requestCounter
	// standinWorkers are the stand-in's sync workers; 0 is its default (2).
	standinWorkers int
	// controllers, when set, are the only DecoratorControllers of
	// mirror.yaml the stand-in runs.
	controllers []string
	// shippedLogs logs at the level the binaries ship with (info) rather
	// than debug, which the tests read but a benchmark would pay for.
	shippedLogs bool
}

// logLevel is the level the implementation logs at.
func (o implOptions) logLevel() slog.Level {
	if o.shippedLogs {
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

func (o implOptions) config(cfg *rest.Config) *rest.Config {
	cfg = fastConfig(cfg)
	if o.unlimited {
		cfg.QPS = -1
	}
	if o.counter != nil {
		cfg.Wrap(o.counter.wrap)
	}
	return cfg
}

func newEnv(t *testing.T, im impl) *env {
	t.Helper()
	cp := im.controlPlane()
	e := &env{cp: cp, client: kubernetes.NewForConfigOrDie(fastConfig(cp.Config)), impl: im}
	im.start(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s log:\n%s", t.Name(), im.logs())
		}
		im.stop(t)
	})
	return e
}

// clientgoImpl runs controller.Controller in-process.
type clientgoImpl struct {
	cp      *controlplane.ControlPlane
	cfg     *rest.Config
	client  kubernetes.Interface // as the ServiceAccount
	admin   kubernetes.Interface // for checks
	recheck time.Duration
	logBuf  *testkit.Buffer
	// logLevel is the controller's; the tests read its debug lines.
	logLevel slog.Level

	cancel context.CancelFunc
	done   chan error
	ctrl   *controller.Controller
	events record.EventBroadcaster
}

// newClientgoImpl starts a stack that runs no controllers, installs
// manifests/clientgo-mirror (ServiceAccount, RBAC, Deployment) and returns
// the controller as that ServiceAccount.
func newClientgoImpl(t testing.TB, opts implOptions) *clientgoImpl {
	t.Helper()
	cp := startStack(t, stack.Options{Controllers: []string{}}).ControlPlane
	ctx := testkit.Context(t)
	admin := kubernetes.NewForConfigOrDie(cp.Config)
	_, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "hookops-system"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	// Apply skips the kustomization.yaml among them.
	manifests, err := filepath.Glob(filepath.Join(reference.RepoRoot(), "manifests", "clientgo-mirror", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := controlplane.Apply(ctx, cp.Config, manifests...); err != nil {
		t.Fatalf("apply manifests/clientgo-mirror: %v", err)
	}
	cfg, err := cp.UserConfig(serviceAccount)
	if err != nil {
		t.Fatal(err)
	}
	cfg = opts.config(cfg)
	return &clientgoImpl{cp: cp, cfg: cfg, client: kubernetes.NewForConfigOrDie(cfg), admin: admin, recheck: time.Second, logBuf: &testkit.Buffer{}, logLevel: opts.logLevel()}
}

func (c *clientgoImpl) controlPlane() *controlplane.ControlPlane { return c.cp }

func (c *clientgoImpl) start(t testing.TB) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(c.logBuf, &slog.HandlerOptions{Level: c.logLevel}))
	c.events = record.NewBroadcaster()
	c.events.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
	ctrl, err := controller.New(c.client, controller.Options{
		ConflictRecheck: c.recheck,
		Recorder:        c.events.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "clientgo-mirror"}),
		Logger:          log,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.ctrl, c.cancel, c.done = ctrl, cancel, make(chan error, 1)
	go func() { c.done <- ctrl.Run(ctx) }()
}

func (c *clientgoImpl) stop(t testing.TB) {
	t.Helper()
	if c.cancel == nil {
		return
	}
	c.cancel()
	select {
	case err := <-c.done:
		if err != nil {
			t.Errorf("controller: %v", err)
		}
	case <-time.After(testkit.APITimeout):
		t.Errorf("the controller did not stop within %s", testkit.APITimeout)
	}
	c.ctrl.Shutdown()
	c.events.Shutdown()
	c.cancel = nil
}

// conflict looks for the Warning Event the controller records on the source.
func (c *clientgoImpl) conflict(ctx context.Context, reason, kind, ns, srcNS, name string) (bool, string) {
	events, err := c.admin.CoreV1().Events(srcNS).List(ctx, metav1.ListOptions{})
	if err != nil {
		return false, err.Error()
	}
	var seen []string
	for _, ev := range events.Items {
		if ev.InvolvedObject.Kind == kind && ev.InvolvedObject.Name == name && ev.Reason == reason &&
			strings.Contains(ev.Message, kind+" "+ns+"/"+name) {
			return true, ""
		}
		seen = append(seen, ev.Reason+": "+ev.Message)
	}
	return false, fmt.Sprintf("events in %s: %q", srcNS, seen)
}

// replaced looks for the Normal Event the controller records on the source.
func (c *clientgoImpl) replaced(ctx context.Context, kind, ns, srcNS, name string) (bool, string) {
	return c.conflict(ctx, string(mirror.ImmutableChanged), kind, ns, srcNS, name)
}

func (c *clientgoImpl) logs() string { return c.logBuf.Tail(20000) }

// hooksImpl runs the hook server binary and Metacontroller (the stand-in,
// or a real one from METACONTROLLER_BIN) with manifests/controllers/mirror.yaml.
type hooksImpl struct {
	st     *stack.Stack
	client kubernetes.Interface
	logBuf *testkit.Buffer // the stand-in's log
}

// newHooksImpl starts a stack with the DecoratorControllers of mirror.yaml
// (opts.controllers of them when set); start starts its Metacontroller.
func newHooksImpl(t testing.TB, opts implOptions) *hooksImpl {
	t.Helper()
	controllers := opts.controllers
	if len(controllers) == 0 {
		controllers = mirrorControllers(t)
	}
	logBuf := &testkit.Buffer{}
	st := startStack(t, stack.Options{
		Controllers:         controllers,
		DeferMetacontroller: true,
		MetacontrollerBin:   os.Getenv("METACONTROLLER_BIN"),
		StandinWorkers:      opts.standinWorkers,
		StandinConfig:       opts.config,
		HookArgs:            []string{"--log-level", opts.logLevel().String()},
		Log:                 slog.New(slog.NewTextHandler(logBuf, nil)),
	})
	return &hooksImpl{st: st, client: kubernetes.NewForConfigOrDie(st.ControlPlane.Config), logBuf: logBuf}
}

// mirrorControllers names the controllers of manifests/controllers/mirror.yaml.
func mirrorControllers(t testing.TB) []string {
	t.Helper()
	objs, err := controlplane.ReadObjects(filepath.Join(reference.RepoRoot(), "manifests", "controllers", "mirror.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range objs {
		if o.GetKind() == "DecoratorController" {
			names = append(names, o.GetName())
		}
	}
	return names
}

func (h *hooksImpl) controlPlane() *controlplane.ControlPlane { return h.st.ControlPlane }

func (h *hooksImpl) start(t testing.TB) {
	t.Helper()
	if err := h.st.StartMetacontroller(testkit.Context(t)); err != nil {
		t.Fatal(err)
	}
}

func (h *hooksImpl) stop(t testing.TB) {
	t.Helper()
	if err := h.st.StopMetacontroller(testkit.Context(t)); err != nil {
		t.Errorf("stand-in: %v", err)
	}
}

// hookCalls counts the stand-in's hook calls; nil when a real
// Metacontroller runs, which keeps no count.
func (h *hooksImpl) hookCalls() func() int {
	if os.Getenv("METACONTROLLER_BIN") != "" {
		return nil
	}
	return func() int {
		if mc := h.st.Standin; mc != nil {
			return len(mc.Calls())
		}
		return 0
	}
}

// conflict reads the namespace's conflicts annotation.
func (h *hooksImpl) conflict(ctx context.Context, _, kind, ns, srcNS, name string) (bool, string) {
	n, err := h.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		return false, err.Error()
	}
	ann := n.Annotations["mirror.hookops.dev/conflicts"]
	for line := range strings.SplitSeq(ann, "\n") {
		if strings.HasPrefix(line, kind+" "+ns+"/"+name+":") && strings.Contains(line, srcNS+"/"+name) {
			return true, ""
		}
	}
	return false, fmt.Sprintf("conflicts annotation of %s: %q", ns, ann)
}

// replaced looks for the hook server's log line: a replacement leaves the
// copy out for one sync, which is no conflict to put on the namespace.
func (h *hooksImpl) replaced(_ context.Context, kind, ns, srcNS, name string) (bool, string) {
	data, err := os.ReadFile(h.st.HookServer.LogPath)
	if err != nil {
		return false, err.Error()
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if strings.Contains(line, `"msg":"immutable copy replaced"`) &&
			strings.Contains(line, fmt.Sprintf(`"target":"%s %s/%s"`, kind, ns, name)) &&
			strings.Contains(line, fmt.Sprintf(`"source":"%s %s/%s"`, kind, srcNS, name)) {
			return true, ""
		}
	}
	return false, "no replacement logged by the hook server"
}

func (h *hooksImpl) logs() string {
	return "==> stand-in <==\n" + h.logBuf.Tail(10000) + "\n==> hookops-server <==\n" + h.st.HookServer.LogTail()
}

func TestMain(m *testing.M) {
	code := m.Run()
	testkit.CleanBuilds()
	os.Exit(code)
}

// servingURL waits up to 30 seconds for p, started on process.LoopbackAny,
// to log where it listens, and returns that as an http URL.
func servingURL(t testing.TB, p *process.Process) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(testkit.Context(t), 30*time.Second)
	defer cancel()
	addr, err := p.ListenAddr(ctx, "serving", nil)
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

// waitReady waits up to 30 seconds for url to answer 200, failing the test
// at once, with the log's tail, if p exits meanwhile.
func waitReady(t testing.TB, p *process.Process, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(testkit.Context(t), 30*time.Second)
	defer cancel()
	if err := p.WaitReady(ctx, process.HTTPOK(nil, url)); err != nil {
		t.Fatal(err)
	}
}

// requestCounter counts HTTP requests through a client's transport: all of
// them, and the writes of ConfigMaps and Secrets among them (what changing
// copies costs; Events and Leases are not counted as writes).
type requestCounter struct{ n, writes atomic.Int64 }

func (c *requestCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		c.n.Add(1)
		if r.Method != http.MethodGet && isCopyPath(r.URL.Path) {
			c.writes.Add(1)
		}
		return rt.RoundTrip(r)
	})
}

// isCopyPath reports whether an API path names ConfigMaps or Secrets.
func isCopyPath(path string) bool {
	return strings.Contains(path, "/configmaps") || strings.Contains(path, "/secrets")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
