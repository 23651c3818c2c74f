// Command localstack runs hookops locally for `make run`: the fake GitHub
// and the hook server on loopback, with curl commands to try. Ctrl-C stops
// everything it started.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "bin", "directory holding hookops-server and fakegithub")
	fixtures := flag.String("fixtures", "test/fixtures", "directory of hook request fixtures to print curl commands for")
	hookAddr := flag.String("hook-addr", "127.0.0.1:8080", "hook server address")
	githubAddr := flag.String("github-addr", "127.0.0.1:8090", "fake GitHub address (the fixtures' Secrets point here)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *bin, *fixtures, *hookAddr, *githubAddr); err != nil {
		fmt.Fprintln(os.Stderr, "localstack:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, bin, fixtures, hookAddr, githubAddr string) error {
	logDir, err := os.MkdirTemp("", "hookops-localstack-")
	if err != nil {
		return err
	}
	var procs []*proc
	defer func() {
		for i := len(procs) - 1; i >= 0; i-- {
			procs[i].stop()
		}
		fmt.Printf("\nstopped; logs kept in %s\n", logDir)
	}()
	start := func(name string, health string, args ...string) error {
		p, err := startProc(filepath.Join(bin, name), filepath.Join(logDir, name+".log"), args...)
		if err != nil {
			return err
		}
		procs = append(procs, p)
		return waitHealthy(ctx, health, p)
	}
	if err := start("fakegithub", "http://"+githubAddr+"/_fake/health", "--addr", githubAddr); err != nil {
		return err
	}
	if err := start("hookops-server", "http://"+hookAddr+"/readyz", "--addr", hookAddr, "--log-level", "debug"); err != nil {
		return err
	}
	printUsage(fixtures, hookAddr, githubAddr, logDir)
	<-ctx.Done()
	return nil
}

func printUsage(fixtures, hookAddr, githubAddr, logDir string) {
	fmt.Printf("\nhookops is running (logs in %s):\n", logDir)
	fmt.Printf("  hook server  http://%s   (/healthz /readyz /metrics /hooks/<controller>/<hook>)\n", hookAddr)
	fmt.Printf("  fake GitHub  http://%s   (token: fake-token; state: curl http://%s/_fake/repos)\n\n", githubAddr, githubAddr)
	files, _ := filepath.Glob(filepath.Join(fixtures, "*", "*.request.json"))
	sort.Strings(files)
	if len(files) > 0 {
		fmt.Println("Try a hook with a fixture:")
	}
	for _, f := range files {
		controller := filepath.Base(filepath.Dir(f))
		hook := hookOf(filepath.Base(f))
		fmt.Printf("  curl -s -H 'Content-Type: application/json' --data @%s http://%s/hooks/%s/%s\n", f, hookAddr, controller, hook)
	}
	fmt.Println("\nCtrl-C stops everything.")
}

// hookOf reads the hook from a fixture name such as "sync-create.request.json".
func hookOf(name string) string {
	for _, h := range []string{"customize", "finalize", "sync"} {
		if len(name) >= len(h) && name[:len(h)] == h {
			return h
		}
	}
	return "sync"
}

type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startProc(path, logFile string, args ...string) (*proc, error) {
	log, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w (run `make build` first)", path, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); _ = log.Close(); close(p.done) }()
	return p, nil
}

func (p *proc) stop() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func waitHealthy(ctx context.Context, url string, p *proc) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited during start-up; see its log", p.cmd.Path)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New(url + " did not become healthy within 30s")
}
