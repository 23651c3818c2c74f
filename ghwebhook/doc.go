// Package ghwebhook receives GitHub's repository webhook events and makes
// the GitHubRepos that manage the repository sync at once, so that a change
// made by hand on GitHub is put back within seconds instead of at the next
// periodic resync.
//
// A delivery is checked (size, X-Hub-Signature-256 against the shared
// secret), ignored when its X-GitHub-Delivery GUID was seen recently, mapped
// to GitHubRepos through an informer-backed index (API host and repository
// id, or owner/name for GitHubRepos not bound to a repository yet), and each
// of them gets the annotation github.hookops.dev/github-event set to the
// delivery's GUID. Metacontroller enqueues a parent on any annotation
// change, so that is the whole trigger: the receiver never talks to GitHub
// and never reads a Secret of a GitHubRepo.
//
// Run is the command, `hookops-server github-webhooks`.
package ghwebhook
