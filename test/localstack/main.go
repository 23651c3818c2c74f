// Command localstack is `make run`: hookops on one machine — a real control
// plane, the fake GitHub, the hook server, its GitHub webhook receiver and a
// Metacontroller (the stand-in, or a real one from METACONTROLLER_BIN) —
// with the samples applied and commands to try. Ctrl-C stops everything it
// started.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"k8s.io/klog/v2"

	"github.com/hookops/hookops/test/stack"
)

func main() {
	hookAddr := flag.String("hook-addr", "127.0.0.1:8080", "hook server address")
	githubAddr := flag.String("github-addr", "127.0.0.1:8090", "fake GitHub address (the fixtures' Secrets point here)")
	resync := flag.Int64("resync", 15, "how often idle objects are synced, in seconds: the hook server's --resync-interval and the controllers' resyncPeriodSeconds (0 keeps the shipped ones)")
	flag.Parse()
	// client-go's own chatter would bury the commands printed below.
	klog.SetSlogLogger(slog.New(slog.DiscardHandler))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *hookAddr, *githubAddr, *resync); err != nil {
		fmt.Fprintln(os.Stderr, "localstack:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, hookAddr, githubAddr string, resync int64) error {
	mc := os.Getenv("METACONTROLLER_BIN")
	fmt.Println("starting etcd, kube-apiserver, kube-controller-manager, the fake GitHub, the hook server, the webhook receiver and Metacontroller ...")
	s, err := stack.Start(ctx, stack.Options{
		HookAddr: hookAddr, GitHubAddr: githubAddr, ResyncPeriodSeconds: resync,
		MetacontrollerBin: mc, Samples: true, Webhooks: true, HookArgs: resyncArgs(resync),
	})
	if err != nil {
		return err
	}
	defer func() {
		fmt.Println("\nstopping ...")
		if err := s.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "localstack: stop:", err)
		}
		fmt.Println("stopped; nothing is left running")
	}()
	printUsage(s, mc)
	<-ctx.Done()
	return nil
}

// resyncArgs sets the hook server's resync interval; 0 keeps its default.
func resyncArgs(seconds int64) []string {
	if seconds == 0 {
		return nil
	}
	return []string{fmt.Sprintf("--resync-interval=%ds", seconds)}
}

func printUsage(s *stack.Stack, mc string) {
	metacontroller := "the Metacontroller stand-in (set METACONTROLLER_BIN to run a real one)"
	if mc != "" {
		metacontroller = mc
	}
	fmt.Printf(`
hookops is running:
  kube-apiserver  %s
  hook server     %s   (/healthz /readyz /metrics /hooks/<controller>/<hook>)
  fake GitHub     %s   (repositories: curl -s %s_fake/repos | jq -r '.[] | .owner + "/" + .name')
  webhooks        %s   (POST /github/webhook, where the fake's events go; /readyz /metrics)
  Metacontroller  %s
  logs            %s

The samples (namespace team-a: Secret gh-token, GitHubRepo widgets) are applied. Try:

  export KUBECONFIG=%s
  kubectl get ghr -A -w
  kubectl -n team-a describe ghr widgets
  kubectl -n team-a patch ghr widgets --type merge -p '{"spec":{"visibility":"public","description":"edited"}}'
  kubectl -n team-a patch ghr widgets --type merge -p '{"spec":{"name":"gadgets"}}'
  kubectl -n team-a get configmap widgets-github -o yaml
  kubectl -n team-a delete ghr widgets

Drift made by hand on GitHub is put back within seconds, not at the next resync: the
fake sends a repository event to the webhook receiver, which makes the GitHubRepo sync.

  curl -s -X PATCH %s_fake/repos/acme/widgets -d '{"description":"changed by hand"}' >/dev/null
  curl -s %s_fake/deliveries | jq -r '.[] | [.event, .action, .repository, .status] | @tsv'
  kubectl -n team-a get ghr widgets -o jsonpath='{.metadata.annotations}'
`, s.ControlPlane.Config.Host, s.HookURL, s.GitHubURL, s.GitHubURL, s.ReceiverURL, metacontroller, s.Dir, s.ControlPlane.KubeconfigPath,
		s.GitHubURL, s.GitHubURL)

	files, _ := filepath.Glob(filepath.Join("test", "fixtures", "*", "*.request.json"))
	sort.Strings(files)
	if len(files) > 0 {
		fmt.Println("\nOr call a hook directly with a fixture (hooks want the stack's token):")
		fmt.Printf("  export HOOK_TOKEN=%s\n", s.HookToken)
	}
	for _, f := range files {
		controller := filepath.Base(filepath.Dir(f))
		hook, _, _ := strings.Cut(strings.TrimSuffix(filepath.Base(f), ".request.json"), "-")
		fmt.Printf("  curl -s -H \"Authorization: Bearer $HOOK_TOKEN\" -H 'Content-Type: application/json' --data @%s %s/hooks/%s/%s\n", f, s.HookURL, controller, hook)
	}
	fmt.Println("\nCtrl-C stops everything.")
}
