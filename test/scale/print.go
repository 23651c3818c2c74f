package main

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// printReport prints the report as tables: creation, then one column per
// later phase, then the hook latencies and the targets.
func printReport(rep *report) {
	c := rep.Config
	fmt.Printf("\n== hookops scale: %d GitHubRepos in %d namespaces, resync %ds, %s ==\n",
		c.Repos, c.Namespaces, c.ResyncSeconds, c.Metacontroller)
	fmt.Printf("all Ready %.1f s after the first apply (%.2f GitHubRepos/s; applying took %.1f s)\n",
		rep.ReadySeconds, rep.ReposPerSecond, rep.ApplySeconds)
	fmt.Printf("idle (every ETag recorded) %.1f s after all Ready\n", rep.SettledSeconds)
	printPerObject(rep.PerCreatedObject)
	fmt.Println()
	phases := []phaseResult{rep.Creation, rep.Warmup, rep.Steady}
	printPhases(phases)
	fmt.Println()
	printBreakdown("hook calls (controller/hook code)", phases, func(p phaseResult) map[string]float64 { return p.HookCalls })
	fmt.Println()
	printBreakdown("hook server answers (access log: path status)", phases, func(p phaseResult) map[string]float64 { return p.Answers })
	fmt.Println()
	printBreakdown("apiserver requests (resource verb subresource)", phases, func(p phaseResult) map[string]float64 { return p.APIServerRequests })
	fmt.Println()
	printBreakdown("githubrepo status fields written", phases, func(p phaseResult) map[string]float64 {
		return floats(p.GitHubRepoWrites.StatusFields)
	})
	fmt.Println()
	printLatency(append(rep.Steady.Latency, rep.Floors...))
	fmt.Println()
	printEndpoints(rep.Steady)
	fmt.Println()
	fmt.Printf("a GitHubRepo is %d bytes of JSON; a credentials hook call for a namespace of %d carries about %.1f MiB\n\n",
		rep.Sizes.GitHubRepoBytes, rep.Sizes.PerNamespace, float64(rep.Sizes.CredentialsSyncBytes)/(1<<20))
	printTargets(rep.Targets)
	for _, n := range rep.Notes {
		fmt.Println("note:", n)
	}
}

func table() *tabwriter.Writer { return tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0) }

const phaseHeader = "\tcreation\twarm-up\tsteady state"

func printPhases(phases []phaseResult) {
	w := table()
	row := func(label string, f func(p phaseResult) string) {
		cells := []string{label}
		for _, p := range phases {
			cells = append(cells, f(p))
		}
		fmt.Fprintln(w, strings.Join(cells, "\t"))
	}
	fmt.Fprintln(w, phaseHeader)
	row("duration", func(p phaseResult) string {
		return time.Duration(p.Seconds * float64(time.Second)).Round(time.Second).String()
	})
	row("githubrepo writes (MODIFIED events)", func(p phaseResult) string { return fmt.Sprint(p.GitHubRepoWrites.Total) })
	row("  status / spec / metadata / other", func(p phaseResult) string {
		g := p.GitHubRepoWrites
		return fmt.Sprintf("%d / %d / %d / %d", g.Status, g.Spec, g.Metadata, g.Other)
	})
	row("  per minute", func(p phaseResult) string { return fmt.Sprintf("%.1f", p.WritesPerMinute) })
	row("  per object per resync", func(p phaseResult) string { return fmt.Sprintf("%.4f", p.WritesPerObjectPerResync) })
	row("  per sync call", func(p phaseResult) string { return fmt.Sprintf("%.4f", p.WritesPerSync) })
	row("child ConfigMap writes", func(p phaseResult) string { return fmt.Sprint(p.ConfigMapWrites.Total) })
	row("githubrepo sync calls", func(p phaseResult) string { return fmt.Sprintf("%.0f", p.SyncCalls) })
	row("  per object per resync period", func(p phaseResult) string { return fmt.Sprintf("%.2f", p.SyncsPerObjectPerResync) })
	row("GitHub requests", func(p phaseResult) string {
		return fmt.Sprintf("%d (304: %d, writes: %d)", p.GitHub.Requests, p.GitHub.NotModified, p.GitHub.Writes)
	})
	row("  per minute", func(p phaseResult) string { return fmt.Sprintf("%.1f", p.GitHubRequestsPerMinute) })
	row("  per sync call", func(p phaseResult) string { return fmt.Sprintf("%.2f", p.GitHubRequestsPerObjectPerSync) })
	row("GitHub units (log / budgets)", func(p phaseResult) string {
		return fmt.Sprintf("%d / %d", p.GitHub.Units, p.GitHubUnitsBudget)
	})
	row("  per minute", func(p phaseResult) string { return fmt.Sprintf("%.1f", p.GitHubUnitsPerMinute) })
	row("  per object per resync", func(p phaseResult) string { return fmt.Sprintf("%.4f", p.GitHubUnitsPerObjectPerResync) })
	row("  per sync call", func(p phaseResult) string { return fmt.Sprintf("%.4f", p.GitHubUnitsPerSync) })
	row("GitHub requests refused by a limit", func(p phaseResult) string { return fmt.Sprint(p.GitHub.Limited) })
	row("hook server RSS max / last (MiB)", func(p phaseResult) string {
		return fmt.Sprintf("%.1f / %.1f", p.RSS.MaxMiB, p.RSS.LastMiB)
	})
	row("hook server CPU (cores, mean)", func(p phaseResult) string { return fmt.Sprintf("%.3f", p.HookCPUCores) })
	row("conversion webhook calls", func(p phaseResult) string {
		return fmt.Sprintf("%.0f (%.2f/min)", p.ConversionCalls, p.ConversionPerMinute)
	})
	row("  watch cache consistency checks", func(p phaseResult) string { return fmt.Sprintf("%.0f", p.ConsistencyChecks) })
	row("apiserver requests per sync call (no watch, no LIST)", func(p phaseResult) string {
		return fmt.Sprintf("%.3f", p.APIServerRequestsPerSync)
	})
	row("load average at the end (1, 5, 15 min)", func(p phaseResult) string { return p.LoadAverage })
	_ = w.Flush()
}

// printPerObject prints what one GitHubRepo cost until it was idle.
func printPerObject(c createdCost) {
	fmt.Printf("per GitHubRepo until idle: %.2f githubrepo writes, %.2f ConfigMap writes, %.2f sync calls, %.2f credentials syncs, %.2f conversion calls; GitHub: %.2f requests, %.2f units, %.2f writes\n",
		c.GitHubRepoWrites, c.ConfigMapWrites, c.SyncCalls, c.CredentialsSyncs, c.ConversionCalls, c.GitHubRequests, c.GitHubUnits, c.GitHubWrites)
}

func printLatency(rows []latency) {
	w := table()
	fmt.Fprintln(w, "hook (steady state)\tcalls\tcalls/s\tp50 ms\tp99 ms\t≤ 5 ms\tsmallest bucket")
	for _, l := range rows {
		fmt.Fprintf(w, "%s\t%.0f\t%.2f\t%s\t%s\t%.2f%%\t%s ms\n", l.Hook, l.Calls, l.CallsPerSecond,
			fmtNum(l.P50ms), fmtNum(l.P99ms), float64(l.AtMost5ms)*100, fmtNum(l.ResolutionMs))
	}
	_ = w.Flush()
}

// printEndpoints shows what the steady state's GitHub requests were.
func printEndpoints(p phaseResult) {
	w := table()
	fmt.Fprintln(w, "GitHub requests (steady state)\tcount")
	for _, k := range slices.Sorted(maps.Keys(p.GitHub.ByEndpoint)) {
		fmt.Fprintf(w, "%s\t%d\n", k, p.GitHub.ByEndpoint[k])
	}
	_ = w.Flush()
}

func printTargets(ts []target) {
	w := table()
	fmt.Fprintln(w, "target\twant\tgot\t")
	for _, t := range ts {
		verdict := "FAIL"
		if t.Pass {
			verdict = "pass"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", t.Name, t.Want, t.Got, verdict)
	}
	_ = w.Flush()
}

// printBreakdown prints one row per key of the phases' counts.
func printBreakdown(title string, phases []phaseResult, counts func(phaseResult) map[string]float64) {
	keys := map[string]bool{}
	for _, p := range phases {
		for k := range counts(p) {
			keys[k] = true
		}
	}
	if len(keys) == 0 {
		fmt.Printf("%s: none\n", title)
		return
	}
	w := table()
	fmt.Fprintln(w, title+phaseHeader)
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		cells := []string{"  " + k}
		for _, p := range phases {
			cells = append(cells, fmt.Sprintf("%.0f", counts(p)[k]))
		}
		fmt.Fprintln(w, strings.Join(cells, "\t"))
	}
	_ = w.Flush()
}

func floats(m map[string]int) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = float64(v)
	}
	return out
}
