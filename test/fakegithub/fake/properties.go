package fake

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"
)

// Custom properties: an organization defines them, its repositories carry
// values for them.

const (
	docOrgProperties   = "https://docs.github.com/rest/orgs/custom-properties#get-all-custom-properties-for-an-organization"
	docOrgProperty     = "https://docs.github.com/rest/orgs/custom-properties#get-a-custom-property-for-an-organization"
	docSetOrgProperty  = "https://docs.github.com/rest/orgs/custom-properties#create-or-update-a-custom-property-for-an-organization"
	docSetPropertyVals = "https://docs.github.com/rest/repos/custom-properties#create-or-update-custom-property-values-for-a-repository"
)

// property finds a definition by name.
func (a *account) property(name string) *PropertyDef {
	for i := range a.props {
		if strings.EqualFold(a.props[i].Name, name) {
			return &a.props[i]
		}
	}
	return nil
}

// propertyNameRE is GitHub's rule for names ("Allowed characters",
// Managing custom properties for repositories in your organization).
var propertyNameRE = regexp.MustCompile(`^[A-Za-z0-9_$#-]{1,75}$`)

// printable is GitHub's rule for values: printable ASCII except '"'. An
// empty value is none.
func printable(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e || v[i] == '"' {
			return false
		}
	}
	return v != ""
}

// check validates a value for the property, returning it as stored.
func (d *PropertyDef) check(raw any) (any, bool) {
	if d.ValueType == PropertyMultiSelect {
		list, ok := cloneValue(raw).([]string)
		if !ok || len(list) == 0 {
			return nil, false
		}
		for _, v := range list {
			if !printable(v) || !slices.Contains(d.AllowedValues, v) {
				return nil, false
			}
		}
		return list, true
	}
	v, ok := raw.(string)
	if !ok || !printable(v) {
		return nil, false
	}
	switch d.ValueType {
	case PropertySingleSelect:
		ok = slices.Contains(d.AllowedValues, v)
	case PropertyTrueFalse:
		ok = v == "true" || v == "false"
	case PropertyURL:
		u, err := url.Parse(v)
		ok = err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
	}
	return v, ok
}

// validate says what is wrong with a definition, in GitHub's words where
// they are known, and stores its default as a value is stored.
func (d *PropertyDef) validate() string {
	switch {
	case !propertyNameRE.MatchString(d.Name):
		return "Validation failed: Name is invalid"
	case !slices.Contains([]string{PropertyString, PropertySingleSelect, PropertyMultiSelect, PropertyTrueFalse, PropertyURL}, d.ValueType):
		return "Validation failed: Value type is not included in the list"
	}
	selects := d.ValueType == PropertySingleSelect || d.ValueType == PropertyMultiSelect
	if !selects && d.AllowedValues != nil {
		return "Validation failed: Allowed values must be nil if value_type is " + d.ValueType
	}
	if selects && len(d.AllowedValues) == 0 {
		return "Validation failed: Allowed values can't be blank"
	}
	if d.DefaultValue != nil {
		v, ok := d.check(d.DefaultValue)
		if !ok {
			return "Validation failed: Default value is invalid"
		}
		d.DefaultValue = v
	}
	return ""
}

func (s *Server) propertyBody(r *http.Request, org *account, d PropertyDef) map[string]any {
	var allowed any
	if d.AllowedValues != nil {
		allowed = d.AllowedValues
	}
	return map[string]any{
		"property_name": d.Name, "url": apiBase(r) + "/orgs/" + org.Login + "/properties/schema/" + d.Name,
		"source_type": "organization", "value_type": d.ValueType, "required": d.Required,
		"default_value": d.DefaultValue, "description": nil, "allowed_values": allowed,
		"values_editable_by": "org_actors",
	}
}

// orgRole finds an organization and the user's role in it; non-members
// get 404, since GitHub hides an organization's settings from them. A
// member's token not authorized for SAML SSO gets 403, and an installation
// token acts as an owner where its App is installed if it has the
// permission the endpoint checks for (else 404 or 403, see orgGate).
func (s *Server) orgRole(r *http.Request, c *call, doc string) (*account, Role, *reply) {
	org := s.st.account(chi.URLParam(r, "org"))
	if org == nil || !org.org {
		return nil, "", nil
	}
	if rep, ok := s.orgGate(c, org, doc); !ok {
		return nil, "", &rep
	}
	if c.itok != nil {
		return org, RoleAdmin, nil
	}
	return org, org.members[strings.ToLower(c.user)], nil
}

// listProperties serves GET /orgs/{org}/properties/schema: members can
// read the definitions.
func (s *Server) listProperties(r *http.Request, c *call) reply {
	org, role, rep := s.orgRole(r, c, docOrgProperties)
	if rep != nil {
		return *rep
	}
	if role == "" {
		return notFound(docOrgProperties)
	}
	out := []map[string]any{}
	for _, d := range org.props {
		out = append(out, s.propertyBody(r, org, d))
	}
	return reply{status: http.StatusOK, body: out}
}

func (s *Server) getProperty(r *http.Request, c *call) reply {
	org, role, rep := s.orgRole(r, c, docOrgProperty)
	if rep != nil {
		return *rep
	}
	if role == "" {
		return notFound(docOrgProperty)
	}
	d := org.property(chi.URLParam(r, "name"))
	if d == nil {
		return notFound(docOrgProperty)
	}
	return reply{status: http.StatusOK, body: s.propertyBody(r, org, *d)}
}

// setProperty serves PUT /orgs/{org}/properties/schema/{name}, for
// organization admins.
func (s *Server) setProperty(r *http.Request, c *call) reply {
	org, role, rep := s.orgRole(r, c, docSetOrgProperty)
	if rep != nil {
		return *rep
	}
	switch role {
	case "":
		return notFound(docSetOrgProperty)
	case RoleMember:
		return errReply(http.StatusForbidden, "Must have admin rights to Organization.", docSetOrgProperty)
	}
	var in struct {
		ValueType     *string  `json:"value_type"`
		Required      bool     `json:"required"`
		DefaultValue  any      `json:"default_value"`
		AllowedValues []string `json:"allowed_values"`
	}
	if rep, ok := decodeBody(r, &in, docSetOrgProperty); !ok {
		return rep
	}
	if in.ValueType == nil {
		return errReply(http.StatusUnprocessableEntity, "Invalid request.\n\n\"value_type\" wasn't supplied.", docSetOrgProperty)
	}
	d := PropertyDef{Name: chi.URLParam(r, "name"), ValueType: *in.ValueType, Required: in.Required,
		DefaultValue: in.DefaultValue, AllowedValues: in.AllowedValues}
	if err := org.defineProperty(d); err != nil {
		return errReply(http.StatusUnprocessableEntity, err.Error(), docSetOrgProperty)
	}
	return reply{status: http.StatusOK, body: s.propertyBody(r, org, *org.property(d.Name))}
}

// defineProperty adds a definition, or replaces the one of that name.
func (a *account) defineProperty(d PropertyDef) error {
	d.AllowedValues = slices.Clone(d.AllowedValues)
	if problem := d.validate(); problem != "" {
		return errors.New(problem)
	}
	if old := a.property(d.Name); old != nil {
		*old = d
	} else {
		a.props = append(a.props, d)
	}
	return nil
}

// getPropertyValues lists the values set, for anyone who can read the
// repository.
func (s *Server) getPropertyValues(_ *http.Request, repo *Repo, _ perm) reply {
	out := []map[string]any{}
	for _, d := range s.st.account(repo.Owner).props {
		if v, ok := repo.CustomProperties[d.Name]; ok {
			out = append(out, map[string]any{"property_name": d.Name, "value": cloneValue(v)})
		}
	}
	return reply{status: http.StatusOK, body: out}
}

// setPropertyValues serves PATCH .../properties/values: all values are
// checked before any is set; null unsets one, and a required property
// unset goes back to its default.
func (s *Server) setPropertyValues(r *http.Request, repo *Repo, _ perm) reply {
	if repo.Archived {
		return errReply(http.StatusForbidden, archivedReadOnly, docSetPropertyVals)
	}
	var in struct {
		Properties *[]struct {
			Name  string `json:"property_name"`
			Value any    `json:"value"`
		} `json:"properties"`
	}
	if rep, ok := decodeBody(r, &in, docSetPropertyVals); !ok {
		return rep
	}
	if in.Properties == nil {
		return errReply(http.StatusUnprocessableEntity, "Invalid request.\n\n\"properties\" wasn't supplied.", docSetPropertyVals)
	}
	owner := s.st.account(repo.Owner)
	next := maps.Clone(repo.CustomProperties)
	if next == nil {
		next = map[string]any{}
	}
	for _, p := range *in.Properties {
		d := owner.property(p.Name)
		if d == nil {
			return errReply(http.StatusUnprocessableEntity, "Unexpected property '"+p.Name+"'", docSetPropertyVals)
		}
		v, ok := d.check(p.Value)
		switch {
		case p.Value == nil && !d.Required:
			delete(next, d.Name)
			continue
		case p.Value == nil && d.DefaultValue == nil:
			return errReply(http.StatusUnprocessableEntity, explicitValue(d), docSetPropertyVals)
		case p.Value == nil:
			v, ok = cloneValue(d.DefaultValue), true
		}
		if !ok {
			return errReply(http.StatusUnprocessableEntity, "Invalid value for property '"+d.Name+"'", docSetPropertyVals)
		}
		next[d.Name] = v
	}
	repo.CustomProperties = next
	return reply{status: http.StatusNoContent}
}

// initialProperties checks the values a repository is created with and
// gives required properties not among them their default.
func (a *account) initialProperties(given map[string]any) (map[string]any, string) {
	props := map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(given)) {
		if given[name] == nil {
			continue
		}
		d := a.property(name)
		if d == nil {
			return nil, "Unexpected property '" + name + "'"
		}
		v, ok := d.check(given[name])
		if !ok {
			return nil, "Invalid value for property '" + d.Name + "'"
		}
		props[d.Name] = v
	}
	return props, a.fillRequired(props)
}

// fillRequired gives required properties without a value their default:
// repositories inherit it. One without a default must be set explicitly.
func (a *account) fillRequired(props map[string]any) string {
	for _, d := range a.props {
		if _, set := props[d.Name]; set || !d.Required {
			continue
		}
		if d.DefaultValue == nil {
			return explicitValue(&d)
		}
		props[d.Name] = cloneValue(d.DefaultValue)
	}
	return ""
}

func explicitValue(d *PropertyDef) string {
	return "Property '" + d.Name + "' requires an explicit value to be set"
}
