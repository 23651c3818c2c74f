// Package v1 holds the Go types of GitHubRepo in github.hookops.dev/v1, the
// storage version. Optional spec fields are pointers: nil means "not
// managed", so hookops never enforces a value the user did not write.
package v1

import (
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Group, Version and Kind name the resource.
const (
	Group    = "github.hookops.dev"
	Version  = "v1"
	Kind     = "GitHubRepo"
	Resource = "githubrepos"
)

// APIVersion is Group/Version.
const APIVersion = Group + "/" + Version

// GitHubRepo is one GitHub repository kept in line with its spec.
type GitHubRepo struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   GitHubRepoSpec   `json:"spec"`
	Status GitHubRepoStatus `json:"status,omitempty"`
}

// GitHubRepoSpec is the desired repository.
type GitHubRepoSpec struct {
	// Owner is the organization or user login the repository belongs to.
	Owner string `json:"owner"`
	// Name of the repository; defaults to metadata.name. Changing it renames the repository.
	Name          string      `json:"name,omitempty"`
	Visibility    *Visibility `json:"visibility,omitempty"`
	Description   *string     `json:"description,omitempty"`
	Homepage      *string     `json:"homepage,omitempty"`
	Topics        *[]string   `json:"topics,omitempty"`
	Features      *Features   `json:"features,omitempty"`
	Archived      *bool       `json:"archived,omitempty"`
	DefaultBranch *string     `json:"defaultBranch,omitempty"`
	// Init is used when the repository is created and ignored afterwards.
	Init *Init `json:"init,omitempty"`
	// Template, when set, creates the repository from a template
	// repository; it is used when the repository is created and ignored
	// afterwards, and cannot be combined with Init.
	Template *Template `json:"template,omitempty"`

	// Merge settings: how pull requests may be merged.
	AllowMergeCommit         *bool                     `json:"allowMergeCommit,omitempty"`
	AllowSquashMerge         *bool                     `json:"allowSquashMerge,omitempty"`
	AllowRebaseMerge         *bool                     `json:"allowRebaseMerge,omitempty"`
	AllowAutoMerge           *bool                     `json:"allowAutoMerge,omitempty"`
	AllowUpdateBranch        *bool                     `json:"allowUpdateBranch,omitempty"`
	DeleteBranchOnMerge      *bool                     `json:"deleteBranchOnMerge,omitempty"`
	SquashMergeCommitTitle   *SquashMergeCommitTitle   `json:"squashMergeCommitTitle,omitempty"`
	SquashMergeCommitMessage *SquashMergeCommitMessage `json:"squashMergeCommitMessage,omitempty"`
	MergeCommitTitle         *MergeCommitTitle         `json:"mergeCommitTitle,omitempty"`
	MergeCommitMessage       *MergeCommitMessage       `json:"mergeCommitMessage,omitempty"`
	WebCommitSignoffRequired *bool                     `json:"webCommitSignoffRequired,omitempty"`
	AllowForking             *bool                     `json:"allowForking,omitempty"`
	IsTemplate               *bool                     `json:"isTemplate,omitempty"`

	// CustomProperties sets the named organization custom properties of
	// the repository; properties not named are left alone.
	CustomProperties map[string]PropertyValue `json:"customProperties,omitempty"`
	// SecurityAndAnalysis switches GitHub's security features on or off.
	SecurityAndAnalysis *SecurityAndAnalysis `json:"securityAndAnalysis,omitempty"`
	// VulnerabilityAlerts switches Dependabot alerts on or off.
	VulnerabilityAlerts *bool `json:"vulnerabilityAlerts,omitempty"`

	// DeletionPolicy unset is Delete for a repository hookops created and
	// Orphan for one it adopted; status.deletionPolicy shows which applies.
	DeletionPolicy       DeletionPolicy `json:"deletionPolicy,omitempty"`
	AdoptExisting        bool           `json:"adoptExisting,omitempty"`
	CredentialsSecretRef SecretKeyRef   `json:"credentialsSecretRef"`
}

// Visibility of a repository.
type Visibility string

// Visibilities GitHub knows; internal exists only in organizations of an enterprise.
const (
	Public   Visibility = "public"
	Private  Visibility = "private"
	Internal Visibility = "internal"
)

// Features switches repository features on or off; nil fields are not managed.
type Features struct {
	Issues      *bool `json:"issues,omitempty"`
	Wiki        *bool `json:"wiki,omitempty"`
	Projects    *bool `json:"projects,omitempty"`
	Discussions *bool `json:"discussions,omitempty"`
}

// Init holds create-only settings.
type Init struct {
	AutoInit          *bool   `json:"autoInit,omitempty"`
	GitignoreTemplate *string `json:"gitignoreTemplate,omitempty"`
	LicenseTemplate   *string `json:"licenseTemplate,omitempty"`
}

// Template names the template repository a new repository is generated from.
type Template struct {
	Owner string `json:"owner"`
	Name  string `json:"name"`
	// IncludeAllBranches copies every branch, not just the default one.
	IncludeAllBranches *bool `json:"includeAllBranches,omitempty"`
}

// Merge commit titles and messages, as GitHub names them.
type (
	SquashMergeCommitTitle   string
	SquashMergeCommitMessage string
	MergeCommitTitle         string
	MergeCommitMessage       string
)

// The values GitHub accepts.
const (
	SquashTitlePR          SquashMergeCommitTitle   = "PR_TITLE"
	SquashTitleCommitOrPR  SquashMergeCommitTitle   = "COMMIT_OR_PR_TITLE"
	SquashMessagePRBody    SquashMergeCommitMessage = "PR_BODY"
	SquashMessageCommits   SquashMergeCommitMessage = "COMMIT_MESSAGES"
	SquashMessageBlank     SquashMergeCommitMessage = "BLANK"
	MergeTitlePR           MergeCommitTitle         = "PR_TITLE"
	MergeTitleMergeMessage MergeCommitTitle         = "MERGE_MESSAGE"
	MergeMessagePRBody     MergeCommitMessage       = "PR_BODY"
	MergeMessagePRTitle    MergeCommitMessage       = "PR_TITLE"
	MergeMessageBlank      MergeCommitMessage       = "BLANK"
)

// PropertyValue is a custom property's value: a string (string,
// single_select, true_false and url properties) or a list of strings
// (multi_select). At most one is set; a value of another shape is kept for
// Validate to report.
type PropertyValue struct {
	String *string
	List   []string

	invalid json.RawMessage
}

// SecurityAndAnalysis holds GitHub's security and analysis features; nil
// fields are not managed.
type SecurityAndAnalysis struct {
	AdvancedSecurity             *FeatureStatus `json:"advancedSecurity,omitempty"`
	SecretScanning               *FeatureStatus `json:"secretScanning,omitempty"`
	SecretScanningPushProtection *FeatureStatus `json:"secretScanningPushProtection,omitempty"`
	DependabotSecurityUpdates    *FeatureStatus `json:"dependabotSecurityUpdates,omitempty"`
}

// FeatureStatus is "enabled" or "disabled", as GitHub spells it.
type FeatureStatus string

// Feature statuses.
const (
	Enabled  FeatureStatus = "enabled"
	Disabled FeatureStatus = "disabled"
)

// DeletionPolicy says what happens to the repository when the GitHubRepo is deleted.
type DeletionPolicy string

// Deletion policies.
const (
	DeletionDelete  DeletionPolicy = "Delete"
	DeletionArchive DeletionPolicy = "Archive"
	DeletionOrphan  DeletionPolicy = "Orphan"
)

// Origin of a managed repository.
type Origin string

// Origins.
const (
	OriginCreated Origin = "Created"
	OriginAdopted Origin = "Adopted"
)

// SecretKeyRef points at the Secret key holding the GitHub token. The
// Secret must live in the GitHubRepo's own namespace.
type SecretKeyRef struct {
	Name string `json:"name"`
	// Key defaults to "token".
	Key string `json:"key,omitempty"`
	// Namespace, if given, must equal the GitHubRepo's namespace.
	Namespace string `json:"namespace,omitempty"`
}

// GitHubRepoStatus is what the operator observed and remembers between syncs.
type GitHubRepoStatus struct {
	ObservedGeneration int64              `json:"observedGeneration,omitempty"`
	Conditions         []metav1.Condition `json:"conditions,omitempty"`
	// Host, RepoID and NodeID identify the repository from its creation or
	// adoption on, across renames: ids are unique only within one GitHub.
	Host          string `json:"host,omitempty"`
	RepoID        int64  `json:"repoID,omitempty"`
	NodeID        string `json:"nodeID,omitempty"`
	FullName      string `json:"fullName,omitempty"`
	HTMLURL       string `json:"htmlURL,omitempty"`
	CloneURL      string `json:"cloneURL,omitempty"`
	SSHURL        string `json:"sshURL,omitempty"`
	DefaultBranch string `json:"defaultBranch,omitempty"`
	Visibility    string `json:"visibility,omitempty"`
	// Origin says whether hookops created the repository or adopted it.
	Origin Origin `json:"origin,omitempty"`
	// DeletionPolicy is the policy that applies: the spec's, or the one
	// that follows from Origin when the spec leaves it unset.
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`
	// Claim is the ownership claim this GitHubRepo holds on the repository.
	Claim string `json:"claim,omitempty"`
	// CreateAttemptTime is when a create was sent whose outcome is not
	// known yet; a repository created since, and not claimed by anyone else,
	// is that create's.
	CreateAttemptTime *metav1.Time `json:"createAttemptTime,omitempty"`
	// ETag of the last full read, sent as If-None-Match so that an unchanged
	// repository costs no rate limit.
	ETag                string       `json:"etag,omitempty"`
	LastSyncTime        *metav1.Time `json:"lastSyncTime,omitempty"`
	ConsecutiveFailures int32        `json:"consecutiveFailures,omitempty"`
	// RetryTime is when, after a failure, the next attempt may call GitHub:
	// syncs before it (resyncs, other events) leave GitHub alone.
	RetryTime *metav1.Time `json:"retryTime,omitempty"`
	RateLimit *RateLimit   `json:"rateLimit,omitempty"`
	// ManagedSettings lists the spec fields hookops keeps in line on
	// GitHub (custom properties as customProperties.NAME), sorted; what is
	// not listed is left as it is on GitHub.
	ManagedSettings []string `json:"managedSettings,omitempty"`
}

// RateLimit is the last primary rate-limit reading for the credential.
type RateLimit struct {
	Limit     int `json:"limit"`
	Remaining int `json:"remaining"`
	// Reset is when the budget refills.
	Reset metav1.Time `json:"reset"`
}

// Condition types and reasons.
const (
	ConditionReady  = "Ready"
	ConditionSynced = "Synced"
	ConditionError  = "Error"

	ReasonAvailable   = "Available"
	ReasonCreating    = "Creating"
	ReasonUnavailable = "Unavailable"
	ReasonDeleting    = "Deleting"

	ReasonReconcileSuccess = "ReconcileSuccess"
	ReasonReconcileError   = "ReconcileError"
	ReasonReconcilePending = "ReconcilePending"

	ReasonNoError                 = "NoError"
	ReasonSecretNotFound          = "SecretNotFound"
	ReasonSecretKeyMissing        = "SecretKeyMissing"
	ReasonCrossNamespaceSecretRef = "CrossNamespaceSecretRef"
	ReasonUnauthorized            = "Unauthorized"
	ReasonForbidden               = "Forbidden"
	ReasonRateLimited             = "RateLimited"
	ReasonAlreadyExists           = "AlreadyExists"
	ReasonInvalidSpec             = "InvalidSpec"
	ReasonOwnerNotFound           = "OwnerNotFound"
	ReasonGitHubUnavailable       = "GitHubUnavailable"
	ReasonIdentityMismatch        = "IdentityMismatch"
	ReasonOwnedElsewhere          = "OwnedElsewhere"
	ReasonAccessLost              = "AccessLost"
	ReasonClaimUnavailable        = "ClaimUnavailable"
	// ReasonFeatureUnavailable: GitHub does not offer a feature the spec
	// asks for on this repository (its plan or visibility lacks it).
	ReasonFeatureUnavailable = "FeatureUnavailable"
	// Why GitHub refused (403), each with what to do.
	ReasonTokenScopeMissing       = "TokenScopeMissing"       // a classic token without the scope
	ReasonOrganizationPolicy      = "OrganizationPolicy"      // the organization keeps the act to its owners
	ReasonSSOAuthorizationMissing = "SSOAuthorizationMissing" // SAML SSO not authorised for the token
	ReasonAppPermissionMissing    = "AppPermissionMissing"    // the App lacks a permission
	ReasonTokenAccessMissing      = "TokenAccessMissing"      // a fine-grained token lacks the repository or permission
	// GitHub App credentials.
	ReasonAppKeyInvalid            = "AppKeyInvalid"
	ReasonAppNotInstalled          = "AppNotInstalled"
	ReasonAppInstallationSuspended = "AppInstallationSuspended"
	// ReasonDeletionGuard: the repository's deletion is held until it is
	// confirmed with AnnotationConfirmDeletion.
	ReasonDeletionGuard = "DeletionGuard"
	// ReasonDeletionGuardUnavailable: the guard could not count deletions,
	// so none was sent.
	ReasonDeletionGuardUnavailable = "DeletionGuardUnavailable"
)

// AnnotationTakeOver, set to the exact claim another owner holds on a
// repository, lets this GitHubRepo (with adoptExisting) take it over.
const AnnotationTakeOver = Group + "/take-over"

// LabelCredentials set to "true" on a credentials Secret keeps the Secret
// while a GitHubRepo of its namespace refers to it, so that deleting the
// namespace cannot take the token away before the repositories' deletion
// policies are carried out.
const LabelCredentials = Group + "/credentials"

// AnnotationConfirmDeletion set to "true" lets a deletion the deletion
// guard holds go on.
const AnnotationConfirmDeletion = Group + "/confirm-deletion"

// AnnotationGitHubEvent records the last GitHub webhook delivery (its
// X-GitHub-Delivery GUID) that concerned the repository. The webhook
// receiver (hookops-server github-webhooks) sets it, and the change makes
// Metacontroller sync the GitHubRepo at once instead of at the next resync.
// It is the one thing the receiver may change on a GitHubRepo.
const AnnotationGitHubEvent = Group + "/github-event"
