package deletionguard

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
)

type step struct {
	after     time.Duration // since the start
	cred, uid string
	confirmed bool
	admitted  bool
	recent    int
}

func TestAdmit(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		steps []step
	}{
		{"the limit holds the rest", 2, []step{
			{0, "a", "1", false, true, 1},
			{time.Second, "a", "2", false, true, 2},
			{2 * time.Second, "a", "3", false, false, 2},
		}},
		{"credentials are counted apart", 1, []step{
			{0, "a", "1", false, true, 1},
			{0, "b", "2", false, true, 1},
			{0, "a", "3", false, false, 1},
		}},
		{"a retry of an admitted deletion goes on", 1, []step{
			{0, "a", "1", false, true, 1},
			{time.Second, "a", "1", false, true, 1},
		}},
		{"the window moves on", 1, []step{
			{0, "a", "1", false, true, 1},
			{9 * time.Minute, "a", "2", false, false, 1},
			{10*time.Minute + time.Second, "a", "2", false, true, 1},
		}},
		{"a confirmed deletion goes on and is counted", 1, []step{
			{0, "a", "1", false, true, 1},
			{0, "a", "2", true, true, 1},
			{0, "a", "3", false, false, 1},
		}},
		{"limit 0 holds every deletion not confirmed", 0, []step{
			{0, "a", "1", false, false, 0},
			{0, "a", "1", true, true, 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
			now := start
			g := &Guard{Store: &MemoryStore{}, Limit: tt.limit, Window: 10 * time.Minute, Now: func() time.Time { return now }}
			for i, s := range tt.steps {
				now = start.Add(s.after)
				v, err := g.Admit(t.Context(), s.cred, s.uid, s.confirmed)
				if err != nil {
					t.Fatal(err)
				}
				if v.Admitted != s.admitted || v.Recent != s.recent {
					t.Errorf("step %d (%s %s): got %+v, want admitted %v recent %d", i, s.cred, s.uid, v, s.admitted, s.recent)
				}
			}
		})
	}
}

// TestLedgerStaysSmall: confirmed deletions and rotated credentials do not
// grow the ledger.
func TestLedgerStaysSmall(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	store := &MemoryStore{}
	g := &Guard{Store: store, Limit: 3, Window: time.Minute, Now: func() time.Time { return now }}
	for i := range 100 {
		if _, err := g.Admit(t.Context(), fmt.Sprintf("cred-%d", i%10), fmt.Sprint(i), true); err != nil {
			t.Fatal(err)
		}
	}
	for cred, entries := range store.l {
		if len(entries) > 3 {
			t.Errorf("%s keeps %d entries, want at most the limit 3", cred, len(entries))
		}
	}
	now = now.Add(2 * time.Minute)
	if _, err := g.Admit(t.Context(), "new", "x", false); err != nil {
		t.Fatal(err)
	}
	if len(store.l) != 1 {
		t.Errorf("after the window the ledger keeps %d credentials, want only the new one", len(store.l))
	}
}

// TestConfigMapLedger keeps the ledger in a ConfigMap and reads back what
// another replica wrote there.
func TestConfigMapLedger(t *testing.T) {
	client := fake.NewSimpleDynamicClient(runtime.NewScheme())
	versioned(client)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	replica := func() *Guard {
		return &Guard{Store: &ConfigMapStore{Client: client, Namespace: "hookops-system"}, Limit: 2, Window: 10 * time.Minute,
			Now: func() time.Time { return now }}
	}
	one, two := replica(), replica()
	var wg sync.WaitGroup
	admitted := make([]bool, 6)
	for i := range admitted {
		wg.Go(func() {
			g := one
			if i%2 == 1 {
				g = two
			}
			v, err := g.Admit(t.Context(), "cred", fmt.Sprint(i), false)
			if err != nil {
				t.Error(err)
			}
			admitted[i] = v.Admitted
		})
	}
	wg.Wait()
	n := 0
	for _, a := range admitted {
		if a {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d deletions admitted across two replicas, want the limit 2", n)
	}
	cm, err := client.Resource(configMaps).Namespace("hookops-system").Get(context.Background(), ConfigMapName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
	if len(data) != 1 || data["cred"] == "" {
		t.Errorf("ledger data %v, want one key for the credential", data)
	}
}

func TestConfigMapLedgerRefusesGarbage(t *testing.T) {
	garbage := newLedger("ns")
	_ = unstructured.SetNestedStringMap(garbage.Object, map[string]string{"cred": "not json"}, "data")
	client := fake.NewSimpleDynamicClient(runtime.NewScheme(), garbage)
	g := &Guard{Store: &ConfigMapStore{Client: client, Namespace: "ns"}, Limit: 5, Window: time.Minute, Now: time.Now}
	v, err := g.Admit(t.Context(), "cred", "1", false)
	if err == nil || v.Admitted {
		t.Fatalf("got %+v, %v; want an error and nothing admitted", v, err)
	}
	t.Log(err)
}

// versioned makes the fake refuse a write based on a stale read, as the API
// server does; the fake alone keeps no resourceVersion.
func versioned(client *fake.FakeDynamicClient) {
	var mu sync.Mutex
	gvr := configMaps
	version := 0
	client.PrependReactor("*", "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		w, ok := a.(interface{ GetObject() runtime.Object })
		if !ok {
			return false, nil, nil
		}
		cm := w.GetObject().(*unstructured.Unstructured).DeepCopy()
		switch a.GetVerb() {
		case "create":
			if _, err := client.Tracker().Get(gvr, cm.GetNamespace(), cm.GetName()); err == nil {
				return true, nil, apierrors.NewAlreadyExists(gvr.GroupResource(), cm.GetName())
			}
			version++
			cm.SetResourceVersion(strconv.Itoa(version))
			return true, cm, client.Tracker().Create(gvr, cm, cm.GetNamespace())
		case "update":
			cur, err := client.Tracker().Get(gvr, cm.GetNamespace(), cm.GetName())
			if err != nil {
				return true, nil, err
			}
			if cur.(*unstructured.Unstructured).GetResourceVersion() != cm.GetResourceVersion() {
				return true, nil, apierrors.NewConflict(gvr.GroupResource(), cm.GetName(), fmt.Errorf("stale resourceVersion %s", cm.GetResourceVersion()))
			}
			version++
			cm.SetResourceVersion(strconv.Itoa(version))
			return true, cm, client.Tracker().Update(gvr, cm, cm.GetNamespace())
		}
		return false, nil, nil
	})
}
