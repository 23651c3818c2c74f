// Command fakegithub serves an in-memory fake of the GitHub REST API for
// local runs and end-to-end tests; see package fake for what it covers. The
// admin endpoint under /_fake/ injects faults, sets rate limits, edits
// repositories by hand and shows the request log.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if err := run(logger); err != nil {
		logger.Error("fakegithub failed", "err", err)
		os.Exit(1)
	}
}

func run(logger *slog.Logger) error {
	addr := flag.String("addr", "127.0.0.1:8090", "address to listen on")
	configPath := flag.String("config", "", "JSON file of tokens, users, orgs and repos (default: token fake-token for octocat, admin of org acme)")
	webURL := flag.String("web-url", "https://github.com", "base of html_url, clone_url and ssh_url")
	rateLimit := flag.Int("rate-limit", 5000, "primary rate limit per token per hour")
	flag.Parse()

	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	srv, err := fake.New(fake.WithConfig(cfg), fake.WithWebURL(*webURL),
		fake.WithRateLimit(*rateLimit, time.Hour), fake.WithLogger(logger))
	if err != nil {
		return fmt.Errorf("create fake: %w", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	logger.Info("fake GitHub listening", "url", "http://"+ln.Addr().String()+"/", "admin", "http://"+ln.Addr().String()+"/_fake/")

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func loadConfig(path string) (fake.Config, error) {
	if path == "" {
		return fake.DefaultConfig(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fake.Config{}, fmt.Errorf("read config: %w", err)
	}
	cfg, err := fake.LoadConfig(data)
	if err != nil {
		return fake.Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}
