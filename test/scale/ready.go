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

// condition is what waitAll waits for in every GitHubRepo: done, or why
// not yet.
type condition struct {
	name  string
	check func(u unstructured.Unstructured) (done bool, why string)
}

// isReady: the Ready condition is True; otherwise its reason ("none" when
// there is no Ready condition yet).
var isReady = condition{name: "Ready", check: func(u unstructured.Unstructured) (bool, string) {
	status, reason := readyCondition(u)
	return status == "True", reason
}}

// hasETag: the object has recorded its repository's ETag, which the first
// resync after the create does; from then on an unchanged object is idle.
var hasETag = condition{name: "with an ETag", check: func(u unstructured.Unstructured) (bool, string) {
	etag, _, _ := unstructured.NestedString(u.Object, "status", "etag")
	return etag != "", "no ETag"
}}

// tally is one LIST's view: how many GitHubRepos exist, how many meet the
// condition, and why the others do not.
type tally struct {
	cond        string
	total, done int
	why         map[string]int
}

func (t tally) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(t.why)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, t.why[k]))
	}
	return fmt.Sprintf("%d/%d %s (others: %s)", t.done, t.total, t.cond, strings.Join(parts, " "))
}

// list LISTs every GitHubRepo at once. resourceVersion "0" lets the
// apiserver answer from its watch cache, which keeps polling cheap next to
// what is measured.
func list(ctx context.Context, dyn dynamic.Interface, c condition) (tally, error) {
	l, err := dyn.Resource(ghrGVR).List(ctx, metav1.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return tally{}, fmt.Errorf("list GitHubRepos: %w", err)
	}
	t := tally{cond: c.name, total: len(l.Items), why: map[string]int{}}
	for _, item := range l.Items {
		if done, why := c.check(item); !done {
			t.why[why]++
			continue
		}
		t.done++
	}
	return t, nil
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

// waitAll polls until want GitHubRepos meet c, printing progress every
// tenth poll.
func waitAll(ctx context.Context, dyn dynamic.Interface, c condition, want int, every, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(every)
	defer tick.Stop()
	start := time.Now()
	for n := 0; ; n++ {
		t, err := list(ctx, dyn, c)
		if err == nil && t.total >= want && t.done >= want {
			return nil
		}
		if n%10 == 0 || err != nil {
			fmt.Printf("  %6s  %v\n", time.Since(start).Round(time.Second), progress(t, err))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not all %d GitHubRepos %s within %s: %v: %w", want, c.name, timeout, progress(t, err), ctx.Err())
		case <-tick.C:
		}
	}
}

func progress(t tally, err error) any {
	if err != nil {
		return err
	}
	return t
}
