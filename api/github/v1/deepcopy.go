package v1

import "slices"

// DeepCopy returns a copy of the status that shares no memory with it.
func (in *GitHubRepoStatus) DeepCopy() *GitHubRepoStatus {
	out := *in
	out.Conditions = slices.Clone(in.Conditions)
	out.ManagedSettings = slices.Clone(in.ManagedSettings)
	if in.LastSyncTime != nil {
		t := *in.LastSyncTime
		out.LastSyncTime = &t
	}
	if in.RetryTime != nil {
		t := *in.RetryTime
		out.RetryTime = &t
	}
	if in.CreateAttemptTime != nil {
		t := *in.CreateAttemptTime
		out.CreateAttemptTime = &t
	}
	if in.RateLimit != nil {
		rl := *in.RateLimit
		out.RateLimit = &rl
	}
	return &out
}
