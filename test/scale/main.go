// Command scale measures hookops at scale on the local stack (control
// plane, fake GitHub, hook server and the Metacontroller stand-in, or a
// real Metacontroller when METACONTROLLER_BIN names one): how long
// thousands of GitHubRepos take to become Ready, and then what they cost
// while idle over several resyncs — apiserver writes, GitHub requests and
// rate-limit units, hook latency, the hook server's memory and conversion
// webhook calls. It prints a table, writes the same figures as JSON to
// -out, and checks them against targets.
//
// It is `make bench-scale`, not part of `make test` or `make bench`: the
// full run takes 20 to 30 minutes on two cores.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"k8s.io/klog/v2"
)

type options struct {
	repos, namespaces int
	resync            int64
	steady, warmup    time.Duration
	out               string
	batch, workers    int
	poll              time.Duration
	readyTimeout      time.Duration
	mcBin, mcArgs     string
	hookArgs          []string // extra hook server flags, after the benchmark's own
	pprofAddr         string
}

func parseFlags() options {
	var o options
	flag.IntVar(&o.repos, "repos", 2000, "GitHubRepos to create")
	flag.IntVar(&o.namespaces, "namespaces", 20, "namespaces to spread them over, each with its own token")
	flag.Int64Var(&o.resync, "resync", 60, "how often an idle GitHubRepo is synced (the hook server's --resync-interval), in seconds; the controllers keep their shipped resync periods")
	flag.DurationVar(&o.steady, "steady", 10*time.Minute, "how long to measure the idle objects")
	flag.DurationVar(&o.warmup, "warmup", 0, "wait between all Ready and the steady period, so that every object has had the resync after its creation (0: 1.5 resync periods)")
	flag.StringVar(&o.out, "out", "bin/scale-report.json", "where to write the report as JSON")
	flag.IntVar(&o.batch, "batch", 200, "GitHubRepos per apply batch")
	flag.IntVar(&o.workers, "apply-workers", 16, "server-side applies in flight at once within a batch")
	flag.DurationVar(&o.poll, "poll", 2*time.Second, "how often to LIST the GitHubRepos while waiting for Ready")
	flag.DurationVar(&o.readyTimeout, "ready-timeout", time.Hour, "how long all may take to be Ready")
	flag.StringVar(&o.pprofAddr, "pprof-addr", "", "serve this process's Go profiles (/debug/pprof/) here, to profile the fake GitHub it runs; the hook server's own are --hook-args=--pprof-addr=...")
	extra := flag.String("hook-args", "", "extra hook server flags, space-separated, after the benchmark's own (e.g. \"--max-in-flight=128\")")
	flag.Parse()
	o.hookArgs = strings.Fields(*extra)
	if o.warmup == 0 {
		o.warmup = time.Duration(o.resync) * 1500 * time.Millisecond
	}
	o.mcBin, o.mcArgs = os.Getenv("METACONTROLLER_BIN"), os.Getenv("METACONTROLLER_ARGS")
	return o
}

func (o options) validate() error {
	if o.repos < 1 || o.namespaces < 1 || o.resync < 1 || o.steady <= 0 || o.batch < 1 || o.workers < 1 || o.poll <= 0 {
		return fmt.Errorf("-repos, -namespaces, -resync, -batch and -apply-workers must be at least 1, -steady and -poll positive")
	}
	return nil
}

func main() {
	o := parseFlags()
	// client-go's own chatter (watch restarts, throttling) would bury the
	// report.
	klog.SetSlogLogger(slog.New(slog.DiscardHandler))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := o.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(2)
	}
	if o.pprofAddr != "" {
		go servePprof(o.pprofAddr)
	}
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}
