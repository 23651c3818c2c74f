package githubrepo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/google/go-github/v62/github"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// Custom properties: spec.customProperties names organization custom
// properties and the values the repository should have; the ones it does
// not name are never sent, whoever set them.
//
// GitHub returns every value set in the repository body
// (custom_properties of full-repository), so comparing costs no request
// beyond the read every sync makes; a sync sends one PATCH
// /repos/{owner}/{repo}/properties/values, with only the values that
// differ, and only when some do.
// https://docs.github.com/rest/repos/custom-properties
//
// Within this package a repository's CustomProperties holds each value as
// text: a string as it is, a multi_select's list as its JSON array.
// go-github v62 types the field map[string]string and cannot decode a list
// (https://github.com/google/go-github/issues/3229), so answers are decoded
// by repoAnswer. The text is unambiguous: GitHub allows no '"' in a value
// ("Allowed characters",
// https://docs.github.com/organizations/managing-organization-settings/managing-custom-properties-for-repositories-in-your-organization),
// and every JSON array of one or more strings has one.

// repoAnswer decodes a repository answer. Its own custom_properties,
// shallower than the embedded Repository's, is the one encoding/json fills.
type repoAnswer struct {
	github.Repository
	CustomProperties map[string]any `json:"custom_properties,omitempty"`
}

// repository returns the answer as go-github's type, with the values as
// text.
func (a *repoAnswer) repository() *github.Repository {
	r := a.Repository
	r.CustomProperties = nil
	if a.CustomProperties != nil {
		r.CustomProperties = make(map[string]string, len(a.CustomProperties))
		for name, v := range a.CustomProperties {
			if text, ok := valueText(v); ok {
				r.CustomProperties[name] = text
			}
		}
	}
	return &r
}

// valueText turns a value as GitHub sends it into text; null (no value)
// is none.
func valueText(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", false
	case string:
		return v, true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	return string(b), true
}

// wireValue turns text back into the value GitHub takes: a list for a
// multi_select's JSON array, else the string.
func wireValue(text string) any {
	if list, ok := textList(text); ok {
		return list
	}
	return text
}

// textList reads a multi_select's text.
func textList(text string) ([]string, bool) {
	var list []string
	if !strings.HasPrefix(text, "[") || json.Unmarshal([]byte(text), &list) != nil {
		return nil, false
	}
	return list, true
}

// wireProperties is CustomProperties as GitHub takes them.
func wireProperties(texts map[string]string) map[string]any {
	if texts == nil {
		return nil
	}
	out := make(map[string]any, len(texts))
	for name, text := range texts {
		out[name] = wireValue(text)
	}
	return out
}

// propertyText is a spec value as text.
func propertyText(v v1.PropertyValue) string {
	if v.String != nil {
		return *v.String
	}
	b, _ := json.Marshal(v.List)
	return string(b)
}

// doRepo sends a request whose answer is a repository.
func (g *gitHub) doRepo(ctx context.Context, req *http.Request) (*github.Repository, *github.Response, error) {
	answer := new(repoAnswer)
	resp, err := g.c.Do(ctx, req, answer)
	g.track(resp)
	if err != nil {
		return nil, resp, err
	}
	return answer.repository(), resp, nil
}

// setProperties sets custom property values of a repository; a nil value
// removes one.
func (g *gitHub) setProperties(ctx context.Context, owner, name string, values map[string]any) error {
	type value struct {
		Name  string `json:"property_name"`
		Value any    `json:"value"`
	}
	body := struct {
		Properties []value `json:"properties"`
	}{}
	for _, n := range slices.Sorted(maps.Keys(values)) {
		body.Properties = append(body.Properties, value{n, values[n]})
	}
	req, err := g.c.NewRequest(http.MethodPatch, fmt.Sprintf("repos/%s/%s/properties/values", owner, name), body)
	if err != nil {
		return err
	}
	resp, err := g.c.Do(ctx, req, nil)
	g.track(resp)
	return err
}

// validateProperties checks what the CRD schema cannot: each value's
// shape, and that the claim's property is left to hookops.
func (h *Hooks) validateProperties(r *v1.GitHubRepo) *failure {
	props := r.Spec.CustomProperties
	for _, name := range slices.Sorted(maps.Keys(props)) {
		if strings.EqualFold(name, h.ClaimProperty) {
			return newFailure(v1.ReasonInvalidSpec,
				"spec.customProperties.%s is reserved for hookops' ownership claim (the organization custom property --claim-property names): remove it from the spec", name)
		}
		if err := props[name].Validate(); err != nil {
			return newFailure(v1.ReasonInvalidSpec,
				"spec.customProperties.%s %s: write a value as a string (quote true, false and numbers), or a multi_select's as a list of strings", name, err)
		}
	}
	return nil
}

// userProperties refuses custom properties for a repository of a user
// account: only organizations define them.
func userProperties(spec *v1.GitHubRepoSpec) *failure {
	if len(spec.CustomProperties) == 0 {
		return nil
	}
	return newFailure(v1.ReasonInvalidSpec,
		"spec.customProperties is set, but %q is a user account and custom properties exist only in organizations: remove spec.customProperties", spec.Owner)
}

// createProperties are the values a repository is created with in an
// organization: the claim and the named properties, so that a property
// the organization requires is there from the start (GitHub refuses the
// create otherwise).
func (s *session) createProperties() map[string]string {
	out := map[string]string{s.h.ClaimProperty: s.claim.String()}
	for name, v := range s.repo.Spec.CustomProperties {
		out[name] = propertyText(v)
	}
	return out
}

// diffProperties returns the named properties whose value on GitHub
// differs from the spec's; nil when none do.
func diffProperties(want map[string]v1.PropertyValue, r *github.Repository) map[string]v1.PropertyValue {
	var out map[string]v1.PropertyValue
	for name, v := range want {
		have, ok := observedProperty(r, name)
		if ok && sameValue(v, have) {
			continue
		}
		if out == nil {
			out = map[string]v1.PropertyValue{}
		}
		out[name] = v
	}
	return out
}

// observedProperty finds a value by name; GitHub matches property names
// without regard to case, and answers with the definition's spelling.
func observedProperty(r *github.Repository, name string) (string, bool) {
	if v, ok := r.CustomProperties[name]; ok {
		return v, true
	}
	for n, v := range r.CustomProperties {
		if strings.EqualFold(n, name) {
			return v, true
		}
	}
	return "", false
}

// sameValue compares a spec value with the text of GitHub's. A
// multi_select is compared as a set: its options are chosen, not ordered,
// and comparing the order would write on every sync if GitHub keeps the
// options in an order of its own.
func sameValue(want v1.PropertyValue, have string) bool {
	if want.String != nil {
		return *want.String == have
	}
	list, ok := textList(have)
	return ok && slices.Equal(optionSet(want.List), optionSet(list))
}

func optionSet(list []string) []string {
	out := slices.Clone(list)
	slices.Sort(out)
	return slices.Compact(out)
}

// propertiesStep writes the named properties that differ, in one request.
func (s *session) propertiesStep(want map[string]v1.PropertyValue) step {
	return step{"custom-properties", func(ctx context.Context, r *github.Repository) (*github.Repository, *failure) {
		if !isOrgRepo(r) {
			return nil, userProperties(&s.repo.Spec)
		}
		values := make(map[string]any, len(want))
		for name, v := range want {
			values[name] = wireValue(propertyText(v))
		}
		owner := r.GetOwner().GetLogin()
		if err := s.gh.setProperties(ctx, owner, r.GetName(), values); err != nil {
			return nil, s.propertyFailure(err, owner, "set the custom properties of "+r.GetFullName())
		}
		updated := *r
		updated.CustomProperties = maps.Clone(r.CustomProperties)
		if updated.CustomProperties == nil {
			updated.CustomProperties = map[string]string{}
		}
		for name, v := range want {
			updated.CustomProperties[name] = propertyText(v)
		}
		return &updated, nil
	}}
}

// quotedName finds the property GitHub's message names, as in "Unexpected
// property 'colour'" or "Invalid value for property 'tier'".
var quotedName = regexp.MustCompile(`'([^']+)'`)

// propertyFailure explains GitHub's refusal of custom property values,
// naming the property. A refusal of the claim's property, or one that
// names none, is the claim's trouble.
func (s *session) propertyFailure(err error, owner, what string) *failure {
	var resp *github.ErrorResponse
	if !errors.As(err, &resp) || resp.Response == nil {
		return classify(err, what)
	}
	msg, code := resp.Message, resp.Response.StatusCode
	if code == http.StatusForbidden {
		return propertiesForbidden(classify(err, what), msg, what)
	}
	if code != http.StatusUnprocessableEntity {
		return classify(err, what)
	}
	m := quotedName.FindStringSubmatch(msg)
	if m == nil || strings.EqualFold(m[1], s.h.ClaimProperty) {
		return s.claimFailure(err, true, owner, what)
	}
	name := m[1]
	switch {
	case strings.Contains(msg, "requires an explicit value"):
		return newFailure(v1.ReasonInvalidSpec,
			"GitHub refused to %s (422 %s): organization %s requires the custom property %q and it has no default. Set spec.customProperties.%s",
			what, msg, owner, name, name)
	case strings.HasPrefix(msg, "Unexpected property"):
		return newFailure(v1.ReasonInvalidSpec,
			"GitHub refused to %s (422 %s): organization %s defines no custom property %q. Fix the name in spec.customProperties, or have an organization owner define the property",
			what, msg, owner, name)
	}
	return newFailure(v1.ReasonInvalidSpec,
		"GitHub refused spec.customProperties.%s while trying to %s (422 %s): the value does not fit the property's definition in %s (its type, and for a select its allowed values). Fix the value",
		name, what, msg, owner)
}

// propertiesForbidden says what setting custom property values takes,
// when the 403 has no more telling cause (see forbidden).
// https://docs.github.com/rest/repos/custom-properties#create-or-update-custom-property-values-for-a-repository
func propertiesForbidden(f *failure, msg, what string) *failure {
	if f.reason != v1.ReasonForbidden {
		return f
	}
	return newFailure(v1.ReasonForbidden,
		"GitHub refused to %s (403 %s): setting custom property values takes admin rights on the repository for a token (with the repo scope for a classic token), or the Custom properties: write repository permission for a fine-grained token or a GitHub App. Grant it, or remove spec.customProperties",
		what, msg)
}
