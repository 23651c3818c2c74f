package v1

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// MarshalJSON writes the string or the list, or a value that was neither
// as it was read.
func (v PropertyValue) MarshalJSON() ([]byte, error) {
	switch {
	case v.invalid != nil:
		return v.invalid, nil
	case v.String != nil:
		return json.Marshal(*v.String)
	case v.List == nil:
		return []byte("[]"), nil
	}
	return json.Marshal(v.List)
}

// UnmarshalJSON reads a string or a list of strings. Anything else is kept
// as it is for Validate to report: the schema cannot check a value's shape,
// and a decoding error would fail the whole hook request instead of telling
// the user which property is wrong.
func (v *PropertyValue) UnmarshalJSON(b []byte) error {
	*v = PropertyValue{}
	b = bytes.TrimSpace(b)
	var s string
	if err := json.Unmarshal(b, &s); err == nil && !bytes.Equal(b, []byte("null")) {
		v.String = &s
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err == nil && list != nil {
		v.List = list
		return nil
	}
	v.invalid = bytes.Clone(b)
	return nil
}

// Validate says whether the value is a string or a list of strings.
func (v PropertyValue) Validate() error {
	if v.invalid != nil {
		return fmt.Errorf("must be a string or a list of strings, not %s", v.invalid)
	}
	return nil
}
