package main

import (
	"cmp"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"
)

type config struct {
	kubeconfig      string
	qps             float64
	burst           int
	workers         int
	writesPerSync   int
	resync          time.Duration
	conflictRecheck time.Duration
	httpAddr        string
	shutdownTimeout time.Duration
	logLevel        slog.Level

	leaderElect   bool
	leaseNS       string
	leaseName     string
	identity      string
	leaseDuration time.Duration
	renewDeadline time.Duration
	retryPeriod   time.Duration
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("clientgo-mirror", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.kubeconfig, "kubeconfig", "", "kubeconfig file; empty uses the in-cluster configuration")
	fs.Float64Var(&c.qps, "kube-api-qps", 50, "sustained requests per second to the API server")
	fs.IntVar(&c.burst, "kube-api-burst", 100, "burst of requests to the API server")
	fs.IntVar(&c.workers, "workers", 2, "sources synced in parallel")
	fs.IntVar(&c.writesPerSync, "writes-per-sync", 8, "copies of one source written in parallel")
	fs.DurationVar(&c.resync, "resync", 10*time.Minute, "how often every source is synced even when nothing changed")
	fs.DurationVar(&c.conflictRecheck, "conflict-recheck", 30*time.Second, "how soon a copy blocked by an object that is not a copy is tried again")
	fs.StringVar(&c.httpAddr, "http-addr", ":8080", "address of /healthz, /readyz and /metrics")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long shutting down may take")
	fs.TextVar(&c.logLevel, "log-level", slog.LevelInfo, "debug, info, warn or error")

	fs.BoolVar(&c.leaderElect, "leader-elect", false, "hold a Lease so that only one replica mirrors at a time")
	fs.StringVar(&c.leaseNS, "leader-elect-namespace", cmp.Or(getenv("POD_NAMESPACE"), "hookops-system"), "namespace of the Lease (default $POD_NAMESPACE)")
	fs.StringVar(&c.leaseName, "leader-elect-name", "clientgo-mirror", "name of the Lease")
	fs.StringVar(&c.identity, "leader-elect-identity", cmp.Or(getenv("POD_NAME"), hostname()), "this replica's name in the Lease (default $POD_NAME)")
	fs.DurationVar(&c.leaseDuration, "leader-elect-lease-duration", 15*time.Second, "how long a Lease holds without renewal")
	fs.DurationVar(&c.renewDeadline, "leader-elect-renew-deadline", 10*time.Second, "how long the leader keeps trying to renew before it gives up")
	fs.DurationVar(&c.retryPeriod, "leader-elect-retry-period", 2*time.Second, "how often the Lease is tried")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.leaderElect && !(c.retryPeriod < c.renewDeadline && c.renewDeadline < c.leaseDuration) {
		return nil, fmt.Errorf("leader election needs retry period < renew deadline < lease duration")
	}
	return c, nil
}

// hostname is a default identity: two replicas on one host (or a restart
// before the old Lease expired) must not take each other for themselves.
func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		h = "clientgo-mirror"
	}
	return h + "_" + rand.Text()[:8]
}
