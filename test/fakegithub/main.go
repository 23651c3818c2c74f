// Command fakegithub serves an in-memory fake of the GitHub REST API for
// local runs and end-to-end tests; see package fake for what it covers. The
// admin endpoint under /_fake/ injects faults, sets rate limits, edits
// repositories by hand, suspends and deletes App installations, rotates App
// keys, authorizes tokens for SAML SSO, adds webhooks and shows the request
// and delivery logs. With -webhook-url, repository events (of changes made
// through the API and by hand) are delivered there, as GitHub does. Flags set GitHub's
// documented rate limits (defaults as GitHub has them), shorten every
// rate-limit window at once with -minute, or turn rate limiting off with
// -enterprise.
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
	"strings"
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
	hookURL := flag.String("webhook-url", "", "payload URL of a webhook that gets every repository event (more: POST /_fake/webhooks)")
	hookSecretFile := flag.String("webhook-secret-file", "", "file holding the secret that signs the -webhook-url deliveries")
	hookOrg := flag.String("webhook-org", "", "make the -webhook-url webhook an organization webhook of this organization")
	limits := limitFlags(flag.CommandLine)
	flag.Parse()

	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	l, enterprise := limits()
	opts := []fake.Option{fake.WithConfig(cfg), fake.WithWebURL(*webURL), fake.WithLimits(l), fake.WithLogger(logger),
		fake.WithAPIURL("http://" + ln.Addr().String())}
	if enterprise {
		opts = append(opts, fake.WithEnterprise())
	}
	srv, err := fake.New(opts...)
	if err != nil {
		return fmt.Errorf("create fake: %w", err)
	}
	defer srv.Close()
	if err := addWebhook(srv, *hookURL, *hookSecretFile, *hookOrg); err != nil {
		return err
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

// addWebhook adds the webhook of the -webhook-* flags, if any.
func addWebhook(srv *fake.Server, url, secretFile, org string) error {
	if url == "" {
		return nil
	}
	var secret string
	if secretFile != "" {
		b, err := os.ReadFile(secretFile)
		if err != nil {
			return fmt.Errorf("webhook secret: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	if _, err := srv.AddWebhook(fake.Webhook{URL: url, Secret: secret, Org: org}); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	return nil
}

// limitFlags defines the rate-limit flags on fs; the function it returns
// reads them once fs is parsed.
func limitFlags(fs *flag.FlagSet) func() (l fake.Limits, enterprise bool) {
	def := fake.DefaultLimits()
	l := def
	fs.IntVar(&l.PrimaryLimit, "rate-limit", def.PrimaryLimit, "primary rate limit per token per hour")
	fs.IntVar(&l.PrimaryStatus, "primary-status", def.PrimaryStatus, "status of a request over the primary limit: 403 or 429")
	fs.IntVar(&l.ContentPerMinute, "content-per-minute", def.ContentPerMinute, "content-generating requests (every POST, PATCH, PUT and DELETE) per user per minute")
	fs.IntVar(&l.ContentPerHour, "content-per-hour", def.ContentPerHour, "content-generating requests per user per hour")
	fs.IntVar(&l.PointsPerMinute, "points-per-minute", def.PointsPerMinute, "secondary-limit points per user per minute (GET, HEAD and OPTIONS cost 1, other methods 5)")
	fs.IntVar(&l.MaxConcurrent, "max-concurrent", def.MaxConcurrent, "requests per user in flight at once")
	fs.TextVar(&l.Answer, "secondary-answer", def.Answer, "how a request over a secondary limit is refused: 403-retry-after, 429-retry-after, 403-reset, 429-minute or rotate")
	minute := fs.Duration("minute", def.Minute, "how long a rate-limit minute lasts; the hour and the primary window scale with it")
	enterprise := fs.Bool("enterprise", false, "act as GitHub Enterprise Server with rate limiting disabled: no limits and no x-ratelimit headers")
	return func() (fake.Limits, bool) { return l.Scaled(*minute), *enterprise }
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
