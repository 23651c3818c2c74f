package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/record"

	"github.com/hookops/hookops/clientgo-mirror/controller"
	"github.com/hookops/hookops/kubeconfig"
)

// app is one running replica.
type app struct {
	cfg         *config
	log         *slog.Logger
	client      kubernetes.Interface
	ctrl        *controller.Controller
	events      record.EventBroadcaster
	recorder    record.EventRecorder
	registry    *prometheus.Registry
	leaderCheck *leaderelection.HealthzAdaptor
	ln          net.Listener
}

func newApp(ctx context.Context, cfg *config, log *slog.Logger) (*app, error) {
	restCfg, err := restConfig(cfg)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	a := &app{cfg: cfg, log: log, client: client, registry: prometheus.NewRegistry()}
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Not bound to ctx: the events of shutting down (the Lease released)
	// are still recorded; run shuts the broadcaster down last.
	a.events = record.NewBroadcaster(record.WithContext(context.WithoutCancel(ctx)))
	a.events.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	a.recorder = a.events.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "clientgo-mirror"})
	a.ctrl, err = controller.New(client, controller.Options{
		Workers:         cfg.workers,
		WritesPerSync:   cfg.writesPerSync,
		Resync:          cfg.resync,
		ConflictRecheck: cfg.conflictRecheck,
		Recorder:        a.recorder,
		Registerer:      a.registry,
		Logger:          log,
	})
	if err != nil {
		return nil, err
	}
	if cfg.leaderElect {
		// /healthz fails when the leader has not renewed its Lease for this
		// long past its duration: the replica is stuck and is best restarted.
		a.leaderCheck = leaderelection.NewLeaderHealthzAdaptor(20 * time.Second)
	}
	// Listen before anything runs, so that a taken port fails the start.
	if a.ln, err = net.Listen("tcp", cfg.httpAddr); err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.httpAddr, err)
	}
	return a, nil
}

func restConfig(cfg *config) (*rest.Config, error) {
	rc, err := kubeconfig.Load(cfg.kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("kubernetes configuration: %w", err)
	}
	rc.QPS, rc.Burst = float32(cfg.qps), cfg.burst
	rc.UserAgent = "clientgo-mirror"
	return rc, nil
}

// run serves the HTTP endpoints and mirrors (as the leader, with
// --leader-elect) until ctx ends; then it waits for the workers, releases
// the Lease, stops the watches and the HTTP server, in that order.
func (a *app) run(ctx context.Context) error {
	srv := &http.Server{Handler: a.routes(), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(a.ln) }()
	a.log.Info("serving", "addr", a.ln.Addr().String())

	informerCtx, stopInformers := context.WithCancel(context.Background())
	a.ctrl.StartInformers(informerCtx)
	var err error
	if a.cfg.leaderElect {
		err = a.lead(ctx)
	} else {
		err = a.ctrl.Run(ctx)
	}

	stopInformers()
	a.ctrl.Shutdown()
	a.events.Shutdown()
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.shutdownTimeout)
	defer cancel()
	err = errors.Join(err, srv.Shutdown(sctx))
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	a.log.Info("stopped", "err", err)
	return err
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if a.leaderCheck != nil {
			if err := a.leaderCheck.Check(r); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		fmt.Fprintln(w, "ok")
	})
	// Ready once the caches are filled, leader or not: a standby replica is
	// ready to take over.
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !a.ctrl.HasSynced() {
			http.Error(w, "caches are not synced yet", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}))
	return mux
}
