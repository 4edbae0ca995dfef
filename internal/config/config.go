// Package config loads the YAML configuration files of the exporters with
// errors that name the file, the line and the field, and a Secret type that
// never prints its value (logs, /config pages, error messages).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Error is a configuration error located in a file.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Doc is a parsed YAML document that remembers where each field was.
type Doc struct {
	File string
	root *yaml.Node
}

// Load reads and strictly decodes path into v (unknown fields are errors).
func Load(path string, v any) (*Doc, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	return Parse(path, data, v)
}

var (
	lineRE = regexp.MustCompile(`^line (\d+): (.*)$`)
	// plainRE: the "type plain" of a Defaulted section names no type of
	// the user's file; the message ends at the field.
	plainRE = regexp.MustCompile(`(field \S+ not found) in type [\w.]*\bplain\b`)
)

// Parse strictly decodes data (named file in errors) into v. The file must
// be UTF-8 (a BOM is allowed; the first invalid byte is reported with its
// line and column) and hold one YAML document: a second one (after "---")
// is an error at the line of its "---", not silently ignored.
func Parse(file string, data []byte, v any) (*Doc, error) {
	if err := checkUTF8(file, data); err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return &Doc{File: file, root: &root}, nil
		}
		return nil, yamlError(file, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, yamlError(file, err)
	default:
		return nil, &Error{File: file, Line: next.Line, Msg: "a second YAML document starts here (\"---\"): a configuration file holds exactly one document"}
	}
	return &Doc{File: file, root: &root}, nil
}

// checkUTF8 locates the first byte that is not UTF-8 (yaml.v3 reports it
// without a line).
func checkUTF8(file string, data []byte) error {
	if utf8.Valid(data) {
		return nil
	}
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return &Error{File: file, Line: 1, Msg: "the file is UTF-16 (byte order mark): save it as UTF-8"}
	}
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return &Error{File: file, Line: line, Msg: fmt.Sprintf("invalid UTF-8: byte 0x%02x at column %d (save the file as UTF-8; GBK/GB18030 is not accepted)", data[i], col)}
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return nil
}

func yamlError(file string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		// Report the first; the others follow on the same line of text.
		msgs := make([]string, 0, len(te.Errors))
		line := 0
		for _, m := range te.Errors {
			m = plainRE.ReplaceAllString(m, "$1")
			if sm := lineRE.FindStringSubmatch(m); sm != nil {
				if line == 0 {
					line, _ = strconv.Atoi(sm[1])
				}
				msgs = append(msgs, sm[2])
			} else {
				msgs = append(msgs, m)
			}
		}
		return &Error{File: file, Line: line, Msg: strings.Join(msgs, "; ")}
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if sm := lineRE.FindStringSubmatch(msg); sm != nil {
		line, _ := strconv.Atoi(sm[1])
		return &Error{File: file, Line: line, Msg: sm[2]}
	}
	return &Error{File: file, Msg: msg}
}

// Errorf returns an error located at the field path in the document, e.g.
// "devices[3].profile". An unknown path points at the nearest known parent.
func (d *Doc) Errorf(path string, format string, args ...any) error {
	return &Error{File: d.file(), Line: d.Line(path), Field: path, Msg: fmt.Sprintf(format, args...)}
}

func (d *Doc) file() string {
	if d == nil {
		return "config"
	}
	return d.File
}

var (
	stepRE  = regexp.MustCompile(`^([^\[\]]*)((?:\[\d+\])*)$`)
	indexRE = regexp.MustCompile(`\d+`)
)

// Line returns the line of a field path ("a.b[2].c"), or of its nearest
// existing parent, or 0.
func (d *Doc) Line(path string) int {
	if d == nil || d.root == nil {
		return 0
	}
	n := d.root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	if path == "" {
		return line
	}
	for _, step := range strings.Split(path, ".") {
		m := stepRE.FindStringSubmatch(step)
		if m == nil {
			return line
		}
		if m[1] != "" {
			if n.Kind != yaml.MappingNode {
				return line
			}
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == m[1] {
					line = n.Content[i].Line
					next = n.Content[i+1]
					break
				}
			}
			if next == nil {
				return line
			}
			n = next
		}
		for _, idx := range indexRE.FindAllString(m[2], -1) {
			i, _ := strconv.Atoi(idx)
			if n.Kind != yaml.SequenceNode || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
		}
	}
	return line
}

// Secret is a string that never shows its value when printed, marshalled
// to YAML or JSON, or formatted with %v / %s / %q.
type Secret string

const masked = "<secret>"

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return masked
}

// GoString implements fmt.GoStringer (%#v).
func (s Secret) GoString() string { return s.String() }

// Format implements fmt.Formatter for every verb.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", s.String())
		return
	}
	fmt.Fprint(f, s.String())
}

// MarshalYAML implements yaml.Marshaler.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(s.String())), nil }

// Value returns the secret itself, for the one place that needs it.
func (s Secret) Value() string { return string(s) }

// Masked renders a config for the /config page: YAML with every Secret
// replaced by <secret>.
func Masked(v any) string {
	out, err := yaml.Marshal(v)
	if err != nil {
		return "# cannot render config: " + err.Error()
	}
	return string(out)
}
