package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
)

// readiness is one LIST's view: how many GitHubRepos exist, how many are
// Ready, and the Ready reasons of the others.
type readiness struct {
	total, ready int
	reasons      map[string]int
}

func (r readiness) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(r.reasons)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, r.reasons[k]))
	}
	return fmt.Sprintf("%d/%d Ready (others: %s)", r.ready, r.total, strings.Join(parts, " "))
}

// listReadiness LISTs every GitHubRepo at once. resourceVersion "0" lets
// the apiserver answer from its watch cache, which keeps polling cheap
// next to what is measured.
func listReadiness(ctx context.Context, dyn dynamic.Interface) (readiness, error) {
	list, err := dyn.Resource(ghrGVR).List(ctx, metav1.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return readiness{}, fmt.Errorf("list GitHubRepos: %w", err)
	}
	r := readiness{total: len(list.Items), reasons: map[string]int{}}
	for _, item := range list.Items {
		status, reason := readyCondition(item)
		if status == "True" {
			r.ready++
			continue
		}
		r.reasons[reason]++
	}
	return r, nil
}

// readyCondition returns the Ready condition's status and reason; "none"
// when the object has none yet.
func readyCondition(u unstructured.Unstructured) (status, reason string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Ready" {
			status, _ = m["status"].(string)
			reason, _ = m["reason"].(string)
			return status, reason
		}
	}
	return "", "none"
}

// waitReady polls until want GitHubRepos are Ready, printing progress every
// tenth poll.
func waitReady(ctx context.Context, dyn dynamic.Interface, want int, every, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(every)
	defer tick.Stop()
	start := time.Now()
	for n := 0; ; n++ {
		r, err := listReadiness(ctx, dyn)
		if err == nil && r.total >= want && r.ready >= want {
			return nil
		}
		if n%10 == 0 || err != nil {
			fmt.Printf("  %6s  %v\n", time.Since(start).Round(time.Second), progress(r, err))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not all %d GitHubRepos Ready within %s: %v: %w", want, timeout, progress(r, err), ctx.Err())
		case <-tick.C:
		}
	}
}

func progress(r readiness, err error) any {
	if err != nil {
		return err
	}
	return r
}
