// Command server is the hookops hook server: it serves Metacontroller's hook
// calls for every hookops controller, CRD conversion, health and metrics.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
	// The images have no CA bundle: Go uses these Mozilla roots when the
	// system has none, so the GitHub client can verify api.github.com.
	_ "golang.org/x/crypto/x509roots/fallback"

	"github.com/hookops/hookops/ghwebhook"
	"github.com/hookops/hookops/telemetry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hookops-server:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, then drains in-flight requests.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	// The GitHub webhook receiver ships in this binary, so it needs no
	// image of its own.
	if len(args) > 0 && args[0] == "github-webhooks" {
		return ghwebhook.Run(ctx, args[1:], getenv, stderr)
	}
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(telemetry.LogHandler(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})))
	slog.SetDefault(log)
	if getenv("GOGC") == "" {
		// The live heap is a few MiB, so at Go's default of 100 the
		// collector would run dozens of times a second under load; 400
		// costs about 10 MiB more heap for a quarter of the collections.
		debug.SetGCPercent(400)
	}
	cfg.Tracing = telemetry.Enabled(getenv)
	stopTracing, err := telemetry.Setup(ctx, "hookops-server", getenv)
	if err != nil {
		return err
	}
	defer func() {
		// Flush the last spans; the serving context is gone by now.
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stopTracing(fctx); err != nil {
			log.Warn("flush traces", "err", err)
		}
	}()

	guard, err := deletionGuard(cfg)
	if err != nil {
		return err
	}
	ready := &atomic.Bool{}
	m := newMetrics()
	handler, err := newRouter(routerDeps{cfg: cfg, log: log, metrics: m, routes: routeTable(controllers(cfg, guard, m.registry), m, ready)})
	if err != nil {
		return err
	}
	servers, err := listen(cfg, handler)
	if err != nil {
		return err
	}

	g, gctx := errgroup.WithContext(ctx)
	for _, s := range servers {
		g.Go(func() error {
			log.Info("serving", "addr", s.ln.Addr().String(), "tls", s.srv.TLSConfig != nil)
			if err := s.serve(); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("serve %s: %w", s.ln.Addr(), err)
			}
			return nil
		})
	}
	ready.Store(true)
	g.Go(func() error {
		<-gctx.Done()
		ready.Store(false)
		log.Info("shutting down: draining in-flight requests", "timeout", cfg.ShutdownTimeout)
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		var errs []error
		for _, s := range servers {
			errs = append(errs, s.srv.Shutdown(sctx))
		}
		return errors.Join(errs...)
	})
	return g.Wait()
}

type server struct {
	srv *http.Server
	ln  net.Listener
}

func (s server) serve() error {
	if s.srv.TLSConfig != nil {
		return s.srv.ServeTLS(s.ln, "", "")
	}
	return s.srv.Serve(s.ln)
}

// listen opens every configured listener before serving starts, so that a
// taken port is a start-up error rather than a half-running server.
func listen(cfg *config, h http.Handler) ([]server, error) {
	var out []server
	open := func(addr string, tlsOn bool, h http.Handler) error {
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 90 * time.Second}
		if tlsOn {
			tc, err := serverTLS(cfg)
			if err != nil {
				return err
			}
			srv.TLSConfig = tc
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", addr, err)
		}
		out = append(out, server{srv: srv, ln: ln})
		return nil
	}
	closeAll := func() {
		for _, s := range out {
			_ = s.ln.Close()
		}
	}
	if cfg.Addr != "" {
		if err := open(cfg.Addr, false, h); err != nil {
			return nil, err
		}
	}
	if cfg.TLSAddr != "" {
		if err := open(cfg.TLSAddr, true, h); err != nil {
			closeAll()
			return nil, err
		}
	}
	if cfg.PprofAddr != "" {
		if err := open(cfg.PprofAddr, false, profiles()); err != nil {
			closeAll()
			return nil, err
		}
	}
	return out, nil
}
