# opa test unit tests for the Rego in
# manifests/policy/gatekeeper/template.yaml, which the Go test extracts next
# to this file before running opa test.
package githubreposecretnamespace_test

import data.githubreposecretnamespace.violation

repo(ref) := {
	"apiVersion": "github.hookops.dev/v1",
	"kind": "GitHubRepo",
	"metadata": {"name": "widgets", "namespace": "team-a"},
	"spec": {"owner": "acme", "credentialsSecretRef": ref},
}

alpha(annotations) := {
	"apiVersion": "github.hookops.dev/v1alpha1",
	"kind": "GitHubRepo",
	"metadata": {"name": "widgets", "namespace": "team-a", "annotations": annotations},
	"spec": {"organization": "acme", "tokenSecretName": "gh-token"},
}

review(obj) := {"review": {"operation": "CREATE", "object": obj}, "parameters": {"exemptNamespaces": []}}

test_same_namespace_allowed if {
	count(violation) == 0 with input as review(repo({"name": "gh-token", "namespace": "team-a"}))
}

test_no_namespace_allowed if {
	count(violation) == 0 with input as review(repo({"name": "gh-token"}))
}

test_other_namespace_denied if {
	violation == {{"msg": concat("", [
		`spec.credentialsSecretRef.namespace is "team-b", but a GitHubRepo may only use a Secret `,
		`in its own namespace "team-a": move the Secret to "team-a" and drop the namespace field`,
	])}} with input as review(repo({"name": "gh-token", "namespace": "team-b"}))
}

test_exempt_namespace_allowed if {
	inp := object.union(review(repo({"name": "gh-token", "namespace": "team-b"})), {"parameters": {"exemptNamespaces": ["team-a"]}})
	count(violation) == 0 with input as inp
}

test_exemption_is_per_namespace if {
	inp := object.union(review(repo({"name": "gh-token", "namespace": "team-b"})), {"parameters": {"exemptNamespaces": ["team-b"]}})
	count(violation) == 1 with input as inp
}

test_no_parameters_checks_everything if {
	count(violation) == 1 with input as {"review": {"object": repo({"name": "gh-token", "namespace": "team-b"})}}
}

test_delete_allowed if {
	inp := {"review": {"operation": "DELETE", "object": repo({"name": "gh-token", "namespace": "team-b"})}}
	count(violation) == 0 with input as inp
}

test_update_while_deleting_allowed if {
	obj := object.union(repo({"name": "gh-token", "namespace": "team-b"}), {"metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"}})
	count(violation) == 0 with input as object.union(review(obj), {"review": {"operation": "UPDATE"}})
}

test_v1alpha1_allowed if {
	count(violation) == 0 with input as review(alpha({}))
}

test_v1alpha1_annotation_same_namespace_allowed if {
	ann := {"github.hookops.dev/v1-spec": `{"credentialsSecretRef":{"key":"pat","namespace":"team-a"}}`}
	count(violation) == 0 with input as review(alpha(ann))
}

test_v1alpha1_annotation_other_namespace_denied if {
	ann := {"github.hookops.dev/v1-spec": `{"credentialsSecretRef":{"namespace":"team-b"}}`}
	some v in violation with input as review(alpha(ann))
	startswith(v.msg, `annotation github.hookops.dev/v1-spec sets credentialsSecretRef.namespace to "team-b"`)
}

# On v1 the annotation means nothing (conversion only reads it from
# v1alpha1), so a stale one is no reason to refuse.
test_annotation_ignored_on_v1 if {
	obj := object.union(repo({"name": "gh-token"}), {"metadata": {"annotations": {"github.hookops.dev/v1-spec": `{"credentialsSecretRef":{"namespace":"team-b"}}`}}})
	count(violation) == 0 with input as review(obj)
}

# A malformed annotation fails conversion, which refuses the request anyway.
test_malformed_annotation_no_violation if {
	count(violation) == 0 with input as review(alpha({"github.hookops.dev/v1-spec": "{"}))
}
