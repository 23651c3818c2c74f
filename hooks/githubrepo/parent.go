package githubrepo

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/hooks/metacontroller"
)

// parentRequest is a customize, sync or finalize request.
type parentRequest interface {
	Subject() metacontroller.Object
	ParentInto(v any) error
}

// decodeParent reads the parent as a GitHubRepo. The CRD schema makes a
// wrongly typed field impossible through the API server, so a failure here
// is a request that was not sent by Metacontroller for this controller.
func decodeParent(req parentRequest) (*v1.GitHubRepo, error) {
	o := req.Subject()
	if o.APIVersion() != v1.APIVersion || o.Kind() != v1.Kind {
		return nil, &metacontroller.RequestError{Msg: fmt.Sprintf("parent is %s %s, want %s %s", o.APIVersion(), o.Kind(), v1.APIVersion, v1.Kind)}
	}
	var repo v1.GitHubRepo
	if err := req.ParentInto(&repo); err != nil {
		return nil, &metacontroller.RequestError{Msg: "parent is not a valid GitHubRepo: " + err.Error()}
	}
	return &repo, nil
}

var (
	namePattern  = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	topicPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,49}$`)
)

// repoName is spec.name, defaulting to metadata.name.
func repoName(r *v1.GitHubRepo) string {
	if r.Spec.Name != "" {
		return r.Spec.Name
	}
	return r.Name
}

// validate repeats the CRD schema's rules, for API servers that skipped them
// (an older CRD, or a v1alpha1 object converted by hand).
func validate(r *v1.GitHubRepo) *failure {
	s := &r.Spec
	switch name := repoName(r); {
	case s.Owner == "":
		return newFailure(v1.ReasonInvalidSpec, "spec.owner is empty: set it to the organization or user that owns the repository")
	case !namePattern.MatchString(name) || name == "." || name == "..":
		return newFailure(v1.ReasonInvalidSpec, "repository name %q is not valid: use 1-100 letters, digits, '.', '-' or '_'", name)
	case s.CredentialsSecretRef.Name == "":
		return newFailure(v1.ReasonInvalidSpec, "spec.credentialsSecretRef.name is empty: name the Secret that holds the GitHub token")
	}
	if v := s.Visibility; v != nil && *v != v1.Public && *v != v1.Private && *v != v1.Internal {
		return newFailure(v1.ReasonInvalidSpec, "spec.visibility %q is not one of public, private, internal", *v)
	}
	if t := s.Topics; t != nil {
		if len(*t) > 20 {
			return newFailure(v1.ReasonInvalidSpec, "spec.topics has %d topics; GitHub allows at most 20", len(*t))
		}
		for _, topic := range *t {
			if !topicPattern.MatchString(topic) {
				return newFailure(v1.ReasonInvalidSpec, "topic %q is not valid: use lower-case letters, digits and '-', starting with a letter or digit, at most 50 characters", topic)
			}
		}
	}
	switch s.DeletionPolicy {
	case "", v1.DeletionDelete, v1.DeletionArchive, v1.DeletionOrphan:
	default:
		return newFailure(v1.ReasonInvalidSpec, "spec.deletionPolicy %q is not one of Delete, Archive, Orphan", s.DeletionPolicy)
	}
	if f := validateTemplate(s); f != nil {
		return f
	}
	return nil
}

// recordName is the name of the ConfigMap child that records which
// repository this GitHubRepo owns (see recorded).
func recordName(r *v1.GitHubRepo) string { return r.Name + "-github" }

// identity is what hookops remembers of the repository it manages. Ids are
// unique only within one GitHub, so the host is part of it; the node id and
// the owner (in fullName) are checked on every full read.
type identity struct {
	host, nodeID, fullName string
	id                     int64
	origin                 v1.Origin
	// createAttempt is a create sent whose outcome is not known yet.
	createAttempt *metav1.Time
}

func (i identity) owner() string {
	owner, _, _ := strings.Cut(i.fullName, "/")
	return owner
}

// recorded is the identity from status, or else from the ConfigMap child.
// The child is the durable copy: Metacontroller applies children even when
// a status write is lost to a conflict, so a repository once created is
// never mistaken for a stranger's.
func recorded(r *v1.GitHubRepo, children metacontroller.ObjectMap) identity {
	st := &r.Status
	if st.RepoID != 0 || st.CreateAttemptTime != nil {
		return identity{host: st.Host, id: st.RepoID, nodeID: st.NodeID, fullName: st.FullName, origin: st.Origin, createAttempt: st.CreateAttemptTime}
	}
	cm, ok := children.Get("ConfigMap", "v1", r.Namespace, recordName(r))
	if !ok {
		return identity{}
	}
	data, _ := cm["data"].(map[string]any)
	get := func(k string) string { s, _ := data[k].(string); return s }
	id, _ := strconv.ParseInt(get("repoID"), 10, 64)
	i := identity{host: get("host"), id: id, nodeID: get("nodeID"), fullName: get("fullName"), origin: v1.Origin(get("origin"))}
	if t, err := time.Parse(time.RFC3339, get("createAttemptTime")); err == nil {
		i.createAttempt = &metav1.Time{Time: t}
	}
	return i
}

// record builds the ConfigMap child from the status: the identity, and the
// URLs for workloads to mount.
func record(r *v1.GitHubRepo, st *v1.GitHubRepoStatus) metacontroller.Object {
	data := map[string]any{
		"host":     st.Host,
		"repoID":   strconv.FormatInt(st.RepoID, 10),
		"nodeID":   st.NodeID,
		"fullName": st.FullName,
		"origin":   string(st.Origin),
		"htmlURL":  st.HTMLURL,
		"cloneURL": st.CloneURL,
		"sshURL":   st.SSHURL,
	}
	if t := st.CreateAttemptTime; t != nil {
		data["createAttemptTime"] = t.UTC().Format(time.RFC3339)
	}
	return metacontroller.Object{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata": map[string]any{
			"name":      recordName(r),
			"namespace": r.Namespace,
			"labels":    map[string]any{"app.kubernetes.io/managed-by": "hookops"},
		},
		"data": data,
	}
}

// effectivePolicy is the spec's deletion policy, or when unset the one that
// follows from how the repository came to be managed: hookops deletes what
// it created and leaves alone what it adopted.
func effectivePolicy(r *v1.GitHubRepo, origin v1.Origin) v1.DeletionPolicy {
	switch {
	case r.Spec.DeletionPolicy != "":
		return r.Spec.DeletionPolicy
	case origin == v1.OriginCreated:
		return v1.DeletionDelete
	}
	return v1.DeletionOrphan
}
