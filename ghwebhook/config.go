package ghwebhook

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// config is what the receiver reads at start. Every flag has an
// environment fallback HOOKOPS_<FLAG> (upper case, dashes as underscores),
// as the hook server's flags do; a flag on the command line wins.
type config struct {
	addr            string
	kubeconfig      string
	secretFile      string
	maxBodyBytes    int64
	replayWindow    time.Duration
	replayMax       int
	triggerTimeout  time.Duration
	shutdownTimeout time.Duration
	qps             float64
	burst           int
	logLevel        slog.Level
}

// The payloads GitHub sends are capped at 25 MB, but a repository event is
// a few kilobytes: 1 MiB leaves room for a large repository description and
// keeps a stranger from making the receiver read 25 MB before the signature
// is checked.
const defaultMaxBody = 1 << 20

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("hookops-server github-webhooks", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: hookops-server github-webhooks [flags]\n\n"+
			"Receives GitHub repository webhook events on POST %s and makes the GitHubRepos of the repository sync at once.\n\n", Path)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.addr, "addr", ":8080", "listen address of "+Path+", /healthz, /readyz and /metrics")
	fs.StringVar(&c.kubeconfig, "kubeconfig", "", "kubeconfig for the Kubernetes API (default: the in-cluster service account)")
	fs.StringVar(&c.secretFile, "webhook-secret-file", "", "file holding the webhook secret, one per line (several while rotating); re-read when it changes")
	fs.Int64Var(&c.maxBodyBytes, "max-body-bytes", defaultMaxBody, "largest payload accepted, in bytes; larger ones are answered 413")
	fs.DurationVar(&c.replayWindow, "replay-window", time.Hour, "how long a delivery's GUID is remembered, so that the same delivery sent again triggers nothing")
	fs.IntVar(&c.replayMax, "replay-cache-size", 10000, "most delivery GUIDs remembered at once; the oldest go first")
	fs.DurationVar(&c.triggerTimeout, "trigger-timeout", 8*time.Second, "deadline for annotating the GitHubRepos of one delivery (GitHub waits 10s for an answer)")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long to finish in-flight deliveries on SIGTERM")
	fs.Float64Var(&c.qps, "kube-api-qps", 20, "sustained requests per second to the Kubernetes API")
	fs.IntVar(&c.burst, "kube-api-burst", 40, "burst of requests to the Kubernetes API")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := envDefaults(fs, getenv); err != nil {
		return nil, err
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := c.logLevel.UnmarshalText([]byte(*level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", *level)
	}
	return c, c.validate()
}

// envDefaults applies HOOKOPS_* variables as flag values before the command
// line is parsed, so that flags override the environment.
func envDefaults(fs *flag.FlagSet, getenv func(string) string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := "HOOKOPS_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

func (c *config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.addr == "" {
		bad("--addr must not be empty")
	}
	if c.secretFile == "" {
		bad("--webhook-secret-file is required: deliveries are accepted only when signed with the webhook's secret")
	}
	if c.maxBodyBytes < 1024 {
		bad("--max-body-bytes must be at least 1024, got %d", c.maxBodyBytes)
	}
	if c.replayWindow <= 0 || c.replayMax < 1 {
		bad("--replay-window must be positive and --replay-cache-size at least 1")
	}
	if c.triggerTimeout <= 0 || c.shutdownTimeout < 0 {
		bad("--trigger-timeout must be positive and --shutdown-timeout not negative")
	}
	if c.qps <= 0 || c.burst < 1 {
		bad("--kube-api-qps must be positive and --kube-api-burst at least 1")
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
	}
	return nil
}
