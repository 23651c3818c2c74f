package stack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"

	"github.com/hookops/hookops/test/process"
	"github.com/hookops/hookops/test/standin"
)

// running is a started Metacontroller: a real one's process, or the
// stand-in's cancel and the channel its Run's error arrives on.
type running struct {
	proc   *process.Process
	cancel context.CancelFunc
	done   chan error
}

// isController reports whether o is a Composite- or DecoratorController,
// what Metacontroller runs.
func isController(o *unstructured.Unstructured) bool {
	return o.GetAPIVersion() == "metacontroller.k8s.io/v1alpha1" &&
		(o.GetKind() == "CompositeController" || o.GetKind() == "DecoratorController")
}

// StartMetacontroller starts Metacontroller with the controllers the stack
// installed: the real one of Options.MetacontrollerBin, else the stand-in
// (then Stack.Standin). Start calls it unless Options.DeferMetacontroller
// is set or Options.Controllers is empty; after StopMetacontroller it may
// start again, with a new stand-in.
func (s *Stack) StartMetacontroller(ctx context.Context) error {
	if s.mc != nil {
		return errors.New("start Metacontroller: it is running already")
	}
	if s.opts.Controllers != nil && len(s.opts.Controllers) == 0 {
		return nil
	}
	s.mcStarts++
	if s.opts.MetacontrollerBin != "" {
		return s.startMetacontrollerBin()
	}
	return s.startStandin(ctx)
}

// startMetacontrollerBin runs the real Metacontroller binary; a restart
// logs to metacontroller-<n>.log, so that the first log stays readable.
func (s *Stack) startMetacontrollerBin() error {
	name := "metacontroller"
	if s.mcStarts > 1 {
		name = fmt.Sprintf("metacontroller-%d", s.mcStarts)
	}
	// Metrics and health endpoints off: their default ports are not ours to take.
	args := []string{"--kubeconfig=" + s.ControlPlane.KubeconfigPath, "--discovery-interval=2s",
		"--metrics-address=0", "--health-probe-bind-address=0"}
	args = append(args, strings.Fields(os.Getenv("METACONTROLLER_ARGS"))...)
	p, err := s.exec(name, s.opts.MetacontrollerBin, []string{"KUBECONFIG=" + s.ControlPlane.KubeconfigPath}, args...)
	if err != nil {
		return err
	}
	s.mc = &running{proc: p}
	return nil
}

// startStandin runs the stand-in with the controllers stored in the cluster.
func (s *Stack) startStandin(ctx context.Context) error {
	log, err := s.standinLogger()
	if err != nil {
		return err
	}
	// Client-go's default 5 requests/s would make the stand-in, which reads
	// fresh rather than from caches, the bottleneck of every test.
	cfg := rest.CopyConfig(s.ControlPlane.Config)
	cfg.QPS, cfg.Burst = 100, 200
	if s.opts.StandinConfig != nil {
		cfg = s.opts.StandinConfig(cfg)
	}
	mc, err := standin.FromCluster(ctx, cfg, standin.Options{Logger: log, Workers: s.opts.StandinWorkers})
	if err != nil {
		return fmt.Errorf("start the Metacontroller stand-in: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	s.Standin, s.mc = mc, r
	go func() {
		err := mc.Run(runCtx)
		if err != nil && !errors.Is(err, context.Canceled) {
			log.Error("stand-in stopped", "err", err)
		} else {
			err = nil
		}
		r.done <- err
	}()
	return nil
}

// standinLogger is Options.Log, or else a logger to a file of the stack's
// Dir that Logs shows, kept for the stand-ins of later starts.
func (s *Stack) standinLogger() (*slog.Logger, error) {
	if s.opts.Log != nil {
		return s.opts.Log, nil
	}
	s.standinLog = filepath.Join(s.Dir, "metacontroller-standin.log")
	f, err := os.Create(s.standinLog)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, f)
	s.opts.Log = slog.New(slog.NewJSONHandler(f, nil))
	return s.opts.Log, nil
}

// StopMetacontroller stops the running Metacontroller, waiting until ctx
// ends for the stand-in to return, and reports how the stand-in's Run
// ended (nil when it was stopped). It does nothing when none runs.
func (s *Stack) StopMetacontroller(ctx context.Context) error {
	r := s.mc
	if r == nil {
		return nil
	}
	s.mc, s.Standin = nil, nil
	if r.proc != nil {
		r.proc.Stop(10 * time.Second)
		return nil
	}
	r.cancel()
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("the stand-in did not stop: %w", context.Cause(ctx))
	}
}
