// Command clientgo-mirror copies labelled ConfigMaps and Secrets into the
// namespaces that accept them: the mirror's semantics (see package
// github.com/hookops/hookops/mirror) as a classic client-go controller with
// informers, a rate-limited workqueue and, with --leader-elect, one active
// replica at a time.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/klog/v2"
	// The images have no CA bundle: Go uses these Mozilla roots when the
	// system has none, so the GitHub client can verify api.github.com.
	_ "golang.org/x/crypto/x509roots/fallback"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "clientgo-mirror:", err)
		os.Exit(1)
	}
}

// run mirrors until ctx ends (or the leader lease is lost), then stops the
// workers, gives up the lease and closes the HTTP endpoints.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	slog.SetDefault(log)
	klog.SetSlogLogger(log) // client-go logs through klog
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	return a.run(ctx)
}
