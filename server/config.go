package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/hookops/hookops/budget"
)

// config is everything the hook server reads at start. Every flag has an
// environment fallback named HOOKOPS_<FLAG> (upper case, dashes as
// underscores); a flag given on the command line wins.
type config struct {
	Addr            string
	TLSAddr         string
	TLSCertFile     string
	TLSKeyFile      string
	ClientCAFile    string
	AuthTokenFile   string
	MaxBodyBytes    int64
	RequestTimeout  time.Duration
	ShutdownTimeout time.Duration
	MaxInFlight     int
	LogLevel        slog.Level
	GitHubTimeout   time.Duration
	ResyncInterval  time.Duration
	GitHubURL       string
	ClusterID       string
	ClaimProperty   string
	Kubeconfig      string
	GuardLimit      int
	GuardWindow     time.Duration
	GuardNamespace  string
	Budget          budget.Limits
	PprofAddr       string
	// Tracing is whether traces are exported (from the OTEL_* environment,
	// not a flag): without it, no tracing wrapper is installed at all.
	Tracing bool
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("hookops-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", ":8080", "plain HTTP listen address for hooks, health and metrics (empty disables it)")
	fs.StringVar(&c.TLSAddr, "tls-addr", "", "HTTPS listen address for hooks and /convert (needs --tls-cert-file and --tls-key-file)")
	fs.StringVar(&c.TLSCertFile, "tls-cert-file", "", "PEM serving certificate, reloaded when the file changes")
	fs.StringVar(&c.TLSKeyFile, "tls-key-file", "", "PEM private key of the serving certificate")
	fs.StringVar(&c.ClientCAFile, "client-ca-file", "", "PEM CA bundle; when set, HTTPS clients must present a certificate it signed (mutual TLS)")
	fs.StringVar(&c.AuthTokenFile, "auth-token-file", "", "file holding the bearer token hook callers must send; re-read when it changes")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", 8<<20, "largest request body accepted, in bytes")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", 8*time.Second, "deadline for one hook request (keep it under Metacontroller's webhook timeout, 10s by default)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 20*time.Second, "how long to drain in-flight requests on SIGTERM")
	fs.IntVar(&c.MaxInFlight, "max-in-flight", 64, "hook requests served at once; more are answered 429 with Retry-After")
	fs.DurationVar(&c.GitHubTimeout, "github-timeout", 6*time.Second, "deadline for the GitHub calls of one hook request")
	fs.DurationVar(&c.ResyncInterval, "resync-interval", 5*time.Minute, "how often a GitHubRepo that is in line is compared with GitHub again, moved by up to ±10% per object so that they do not all come at once; 0 leaves it to the CompositeController's resyncPeriodSeconds")
	fs.StringVar(&c.GitHubURL, "github-url", "", "GitHub API base URL used when a credentials Secret has no baseURL key (default https://api.github.com/)")
	fs.StringVar(&c.ClusterID, "cluster-id", "default", "names this cluster in the ownership claims hookops puts on repositories; give each cluster its own")
	fs.StringVar(&c.ClaimProperty, "claim-property", "hookops-claim", "the organization custom property (type string) that holds ownership claims")
	fs.StringVar(&c.Kubeconfig, "kubeconfig", "", "kubeconfig for the Kubernetes API, where the deletion guard keeps its count (default: the in-cluster service account)")
	fs.IntVar(&c.GuardLimit, "deletion-guard-limit", 5, "repository deletions per credential allowed within --deletion-guard-window; more are held until confirmed (0 holds every one)")
	fs.DurationVar(&c.GuardWindow, "deletion-guard-window", 10*time.Minute, "the window of --deletion-guard-limit; 0 turns the guard off and lets every held deletion go on")
	fs.StringVar(&c.GuardNamespace, "deletion-guard-namespace", "hookops-system", "namespace of the deletion guard's ConfigMap, the hook server's own")
	def := budget.DefaultLimits()
	content := fs.String("github-content-limits", budget.FormatWindows(def.Content), "content-creating requests (every write) per credential for the whole Deployment, as COUNT/WINDOW,...; none: no limit (GitHub Enterprise Server without rate limiting)")
	points := fs.String("github-points-limits", budget.FormatWindows(def.Points), "REST points per credential for the whole Deployment (a read costs 1, a write 5), as COUNT/WINDOW,...; none: no limit")
	fs.DurationVar(&c.Budget.WriteGap, "github-write-gap", def.WriteGap, "least time between the starts of two writes of one credential, for the whole Deployment")
	fs.IntVar(&c.Budget.InFlight, "github-in-flight", def.InFlight, "GitHub requests of one credential at once, for the whole Deployment (GitHub allows 100)")
	fs.DurationVar(&c.Budget.MaxWait, "github-max-wait", def.MaxWait, "longest a GitHub request waits for its credential's budget inside a hook call; a longer wait is answered with resyncAfterSeconds")
	fs.IntVar(&c.Budget.Replicas, "replicas", 1, "hook server replicas of the Deployment: each spends its share of every GitHub limit, so keep it equal to spec.replicas")
	fs.StringVar(&c.PprofAddr, "pprof-addr", "", "listen address for Go's profiles (/debug/pprof/), on a listener of their own; empty: off. Bind it to localhost and reach it with kubectl port-forward")
	level := fs.String("log-level", "info", "debug, info, warn or error")

	if err := envDefaults(fs, getenv); err != nil {
		return nil, err
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := c.LogLevel.UnmarshalText([]byte(*level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", *level)
	}
	var errC, errP error
	c.Budget.Content, errC = budget.ParseWindows(*content)
	c.Budget.Points, errP = budget.ParseWindows(*points)
	if err := errors.Join(wrap("--github-content-limits", errC), wrap("--github-points-limits", errP)); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	return c, c.validate()
}

// envDefaults applies HOOKOPS_* variables as flag values before the command
// line is parsed, so that flags override the environment.
func envDefaults(fs *flag.FlagSet, getenv func(string) string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := "HOOKOPS_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v := getenv(name)
		if v == "" {
			return
		}
		if err := f.Value.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
		}
	})
	return errors.Join(errs...)
}

// wrap names the flag an error is about; nil stays nil.
func wrap(flagName string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", flagName, err)
}

func (c *config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Addr == "" && c.TLSAddr == "" {
		bad("nothing to serve: set --addr or --tls-addr")
	}
	if c.TLSAddr != "" && (c.TLSCertFile == "" || c.TLSKeyFile == "") {
		bad("--tls-addr needs --tls-cert-file and --tls-key-file")
	}
	if c.ClientCAFile != "" && c.TLSAddr == "" {
		bad("--client-ca-file needs --tls-addr: client certificates only exist on HTTPS")
	}
	for flagName, path := range map[string]string{
		"--tls-cert-file": c.TLSCertFile, "--tls-key-file": c.TLSKeyFile,
		"--client-ca-file": c.ClientCAFile, "--auth-token-file": c.AuthTokenFile,
	} {
		if path == "" {
			continue
		}
		if _, err := os.Stat(path); err != nil {
			bad("%s: %w", flagName, err)
		}
	}
	if c.ResyncInterval != 0 && c.ResyncInterval < time.Second {
		bad("--resync-interval must be 0 or at least 1s, got %s", c.ResyncInterval)
	}
	if c.MaxBodyBytes < 1024 {
		bad("--max-body-bytes must be at least 1024, got %d", c.MaxBodyBytes)
	}
	if c.RequestTimeout <= 0 || c.RequestTimeout > 30*time.Second {
		bad("--request-timeout must be in (0, 30s], got %s", c.RequestTimeout)
	}
	if c.GitHubTimeout <= 0 || c.GitHubTimeout >= c.RequestTimeout {
		bad("--github-timeout must be positive and shorter than --request-timeout (%s), got %s", c.RequestTimeout, c.GitHubTimeout)
	}
	if c.MaxInFlight < 1 {
		bad("--max-in-flight must be at least 1, got %d", c.MaxInFlight)
	}
	if c.ClusterID == "" || strings.ContainsAny(c.ClusterID, "/\" ") {
		bad("--cluster-id must be non-empty, without '/', '\"' or spaces, got %q", c.ClusterID)
	}
	if c.ClaimProperty == "" {
		bad("--claim-property must not be empty")
	}
	if c.GuardLimit < 0 || c.GuardWindow < 0 {
		bad("--deletion-guard-limit and --deletion-guard-window must not be negative")
	}
	if c.GuardWindow > 0 && c.GuardNamespace == "" {
		bad("--deletion-guard-namespace must not be empty while the guard is on")
	}
	if c.Budget.Replicas < 1 || c.Budget.InFlight < 1 || c.Budget.WriteGap < 0 {
		bad("--replicas and --github-in-flight must be at least 1 and --github-write-gap not negative")
	}
	if c.ShutdownTimeout < 0 {
		bad("--shutdown-timeout must not be negative")
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
	}
	return nil
}
