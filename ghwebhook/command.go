package ghwebhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/hookops/hookops/kubeconfig"
)

// Run is `hookops-server github-webhooks`: it serves GitHub's deliveries
// until ctx ends, then finishes those in flight.
func Run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	klog.SetSlogLogger(log) // client-go logs through klog
	r, err := newReceiver(cfg, log)
	if err != nil {
		return err
	}
	return r.run(ctx)
}

// receiver is the running command.
type receiver struct {
	cfg      *config
	log      *slog.Logger
	informer cache.SharedIndexInformer
	handler  *handler
	metrics  *metrics
	stopping atomic.Bool
	ln       net.Listener
}

func newReceiver(cfg *config, log *slog.Logger) (*receiver, error) {
	secrets, err := newSecretFile(cfg.secretFile)
	if err != nil {
		return nil, err
	}
	rc, err := restConfig(cfg)
	if err != nil {
		return nil, err
	}
	client, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	// Every GitHubRepo of the cluster, read as v1; no resync: the index
	// only needs what changes.
	informer := newInformer(client)
	if err := informer.SetTransform(slim); err != nil {
		return nil, fmt.Errorf("informer: %w", err)
	}
	r := &receiver{cfg: cfg, log: log, informer: informer}
	seen := newDeliveries(cfg.replayMax, cfg.replayWindow)
	r.metrics = newMetrics(func() float64 { return float64(seen.len()) })
	r.handler = &handler{
		secrets: secrets.get, seen: seen, index: index{store: informer.GetIndexer()}, trigger: annotator{client: client},
		ready: informer.HasSynced, maxBody: cfg.maxBodyBytes, timeout: cfg.triggerTimeout, metrics: r.metrics, log: log,
	}
	// Listen before anything runs, so that a taken port fails the start.
	if r.ln, err = net.Listen("tcp", cfg.addr); err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	return r, nil
}

func restConfig(cfg *config) (*rest.Config, error) {
	rc, err := kubeconfig.Load(cfg.kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("kubernetes configuration (give --kubeconfig, or run in a cluster): %w", err)
	}
	rc.QPS, rc.Burst = float32(cfg.qps), cfg.burst
	rc.UserAgent = fieldManager
	return rc, nil
}

// run serves and watches until ctx ends; then it stops taking deliveries
// (readiness fails first), finishes those in flight and stops the watch.
func (r *receiver) run(ctx context.Context) error {
	srv := &http.Server{Handler: r.routes(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 90 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(r.ln) }()
	r.log.Info("serving GitHub webhooks", "addr", r.ln.Addr().String(), "path", Path)

	watchCtx, stopWatch := context.WithCancel(context.Background())
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		r.informer.RunWithContext(watchCtx)
	}()
	go func() {
		if cache.WaitForCacheSync(watchCtx.Done(), r.informer.HasSynced) {
			r.log.Info("GitHubRepos indexed: ready", "count", len(r.informer.GetStore().ListKeys()))
		}
	}()

	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
		err = fmt.Errorf("serve: %w", err)
	}
	r.stopping.Store(true)
	r.log.Info("shutting down: finishing in-flight deliveries", "timeout", r.cfg.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), r.cfg.shutdownTimeout)
	defer cancel()
	if serr := srv.Shutdown(sctx); serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	stopWatch()
	<-watching
	return err
}

func (r *receiver) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(Path, r.handler)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeStatus(w, http.StatusOK, "ok") })
	// Ready once every GitHubRepo is indexed: a delivery taken earlier could
	// miss the GitHubRepo it concerns.
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		switch {
		case r.stopping.Load():
			writeStatus(w, http.StatusServiceUnavailable, "shutting down")
		case !r.informer.HasSynced():
			writeStatus(w, http.StatusServiceUnavailable, "GitHubRepos are not indexed yet")
		default:
			writeStatus(w, http.StatusOK, "ok")
		}
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(r.metrics.registry, promhttp.HandlerOpts{}))
	return mux
}

func writeStatus(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	key := "status"
	if status >= 400 {
		key = "error"
	}
	fmt.Fprintf(w, "{%q:%q}\n", key, msg)
}
