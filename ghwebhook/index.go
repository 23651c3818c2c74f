package ghwebhook

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// The index is kept by an informer over every GitHubRepo of the cluster, so
// a delivery costs no API read: only the patch of the GitHubRepos it finds.
const (
	// byRepo finds GitHubRepos by the repository they manage: API host and
	// repository id, as recorded in status. Ids are unique on one GitHub
	// only, so the host is part of the key.
	byRepo = "repository"
	// byName finds GitHubRepos not bound to a repository yet (no
	// status.repoID) by the owner/name their spec asks for: one waiting on a
	// name conflict, or being created.
	byName = "name"
)

func indexers() cache.Indexers {
	return cache.Indexers{byRepo: repoKeys, byName: nameKeys}
}

func repoKey(host string, id int64) string {
	return strings.ToLower(host) + "/" + strconv.FormatInt(id, 10)
}

func nameKey(fullName string) string { return strings.ToLower(fullName) }

// repoKeys indexes a GitHubRepo by status.host and status.repoID.
func repoKeys(obj any) ([]string, error) {
	u, err := asUnstructured(obj)
	if err != nil {
		return nil, err
	}
	host, _, _ := unstructured.NestedString(u.Object, "status", "host")
	id, _, _ := unstructured.NestedInt64(u.Object, "status", "repoID")
	if host == "" || id == 0 {
		return nil, nil
	}
	return []string{repoKey(host, id)}, nil
}

// nameKeys indexes a GitHubRepo without status.repoID by spec.owner and
// spec.name (metadata.name when unset), case-insensitively as GitHub
// compares names.
func nameKeys(obj any) ([]string, error) {
	u, err := asUnstructured(obj)
	if err != nil {
		return nil, err
	}
	if id, _, _ := unstructured.NestedInt64(u.Object, "status", "repoID"); id != 0 {
		return nil, nil
	}
	owner, _, _ := unstructured.NestedString(u.Object, "spec", "owner")
	name, _, _ := unstructured.NestedString(u.Object, "spec", "name")
	if owner == "" {
		return nil, nil
	}
	return []string{nameKey(owner + "/" + cmp.Or(name, u.GetName()))}, nil
}

func asUnstructured(obj any) (*unstructured.Unstructured, error) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return nil, fmt.Errorf("index: %T is not a GitHubRepo read by the dynamic client", obj)
	}
	return u, nil
}

// slim keeps of a GitHubRepo only what the index and the patch need, so
// that the informer's cache costs little per object however large the
// statuses grow. It is the informer's transform.
func slim(obj any) (any, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return obj, nil // a tombstone: already slimmed
	}
	out := &unstructured.Unstructured{Object: map[string]any{}}
	out.SetAPIVersion(u.GetAPIVersion())
	out.SetKind(u.GetKind())
	out.SetNamespace(u.GetNamespace())
	out.SetName(u.GetName())
	out.SetUID(u.GetUID())
	out.SetResourceVersion(u.GetResourceVersion())
	for _, path := range [][]string{{"spec", "owner"}, {"spec", "name"}, {"status", "host"}, {"status", "repoID"}, {"status", "nodeID"}} {
		if v, found, _ := unstructured.NestedFieldNoCopy(u.Object, path...); found {
			if err := unstructured.SetNestedField(out.Object, v, path...); err != nil {
				return nil, fmt.Errorf("slim %s/%s: %w", u.GetNamespace(), u.GetName(), err)
			}
		}
	}
	return out, nil
}

// repository is what a delivery says about its repository.
type repository struct {
	host     string // host of the API base URL, from repository.url
	id       int64
	nodeID   string
	fullName string
}

// apiHost is the host of a repository's API URL: api.github.com for
// https://api.github.com/repos/o/r, ghe.example.com for a GitHub Enterprise
// Server's https://ghe.example.com/api/v3/repos/o/r. The hook records the
// host of the API base URL it talks to in status.host, the same host.
func apiHost(apiURL string) string {
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Host)
}

// target is a GitHubRepo a delivery concerns.
type target struct {
	Namespace, Name string
	UID             types.UID
	// By says how it was found: "repository" (host and id) or "name".
	By string
}

// index finds the GitHubRepos a repository event concerns.
type index struct {
	store cache.Indexer
}

// match returns the GitHubRepos managing repo on its host (by id; one
// whose recorded node id differs from the event's is left out and returned
// in mismatched) and, for a created repository or when no id matched, the
// GitHubRepos not bound to a repository yet that ask for its owner/name.
// Those are found on any host, since the host they will use is in a Secret
// the receiver does not read; one of another host gets a sync it did not
// need, nothing worse.
func (x index) match(repo repository, action string) (targets, mismatched []target, err error) {
	if repo.host != "" && repo.id != 0 {
		objs, err := x.store.ByIndex(byRepo, repoKey(repo.host, repo.id))
		if err != nil {
			return nil, nil, fmt.Errorf("index by repository: %w", err)
		}
		for _, obj := range objs {
			u, err := asUnstructured(obj)
			if err != nil {
				return nil, nil, err
			}
			t := targetOf(u, byRepo)
			if recorded, _, _ := unstructured.NestedString(u.Object, "status", "nodeID"); recorded != "" && repo.nodeID != "" && recorded != repo.nodeID {
				mismatched = append(mismatched, t)
				continue
			}
			targets = append(targets, t)
		}
	}
	if (action == "created" || len(targets) == 0) && repo.fullName != "" {
		objs, err := x.store.ByIndex(byName, nameKey(repo.fullName))
		if err != nil {
			return nil, nil, fmt.Errorf("index by name: %w", err)
		}
		for _, obj := range objs {
			u, err := asUnstructured(obj)
			if err != nil {
				return nil, nil, err
			}
			targets = append(targets, targetOf(u, byName))
		}
	}
	sortTargets(targets)
	sortTargets(mismatched)
	return targets, mismatched, nil
}

func targetOf(u *unstructured.Unstructured, by string) target {
	return target{Namespace: u.GetNamespace(), Name: u.GetName(), UID: u.GetUID(), By: by}
}

func sortTargets(ts []target) {
	slices.SortFunc(ts, func(a, b target) int {
		return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name))
	})
}
