package config

import "reflect"

// Defaulted applies a section's defaults at decode, the way blackbox_exporter
// and snmp_exporter do, and keeps Parse's strictness inside the section.
// Call it from the section's UnmarshalYAML in the func(any) error form:
//
//	func (d *Defaults) UnmarshalYAML(unmarshal func(any) error) error {
//		type plain Defaults // no UnmarshalYAML: no recursion
//		return config.Defaulted(unmarshal, (*plain)(d), plain(newDefaults()))
//	}
//
// Fields the file does not write keep the default; fields it writes replace
// it (an explicit 0 is the file's 0, for validation to judge). yaml.v3 calls
// that form of UnmarshalYAML with the decoder that is reading the file, so
// KnownFields holds: an unknown key inside the section is still an error at
// its file:line. The yaml.Node form would not do: Node.Decode starts a new,
// lenient decoder and a misspelt key would silently keep its default
// (TestDefaulted_NodeFormLosesKnownFields).
//
// A section the file leaves out is never decoded: the enclosing type sets
// it (its own Defaulted with the section's defaults inside). defaults must be
// a fresh value at each call: the decoder writes through the pointers it
// finds, so a shared default behind a pointer would be changed by the file.
func Defaulted[T any](unmarshal func(any) error, dst *T, defaults T) error {
	*dst = defaults
	return unmarshal(dst)
}

// Inherit fills every zero exported field of *dst with the parent's field
// (a target's settings from the defaults section): one rule, field by field
// through reflection, instead of an if per field. Nested structs are fields
// like any other (taken whole when zero). T must be a struct type.
func Inherit[T any](dst *T, parent T) {
	v, p := reflect.ValueOf(dst).Elem(), reflect.ValueOf(parent)
	if v.Kind() != reflect.Struct {
		panic("config.Inherit: not a struct: " + v.Type().String())
	}
	for i := range v.NumField() {
		if f := v.Field(i); f.CanSet() && f.IsZero() {
			f.Set(p.Field(i))
		}
	}
}
