package snmp

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gosnmp/gosnmp"
)

// Value is one variable binding as received.
type Value struct {
	Type gosnmp.Asn1BER
	V    any
}

// Errors returned by Value conversions. Callers count them as errors with
// the reason ReasonWrongType or ReasonDecode and skip the value.
var (
	ErrWrongType = errors.New("wrong SNMP type")
	ErrDecode    = errors.New("cannot decode SNMP value")
)

// FromPDU converts a gosnmp variable binding. It never panics.
func FromPDU(p gosnmp.SnmpPDU) Value { return Value{Type: p.Type, V: p.Value} }

// size is the number of bytes the value holds (for the byte bound of polls).
func (v Value) size() int {
	switch x := v.V.(type) {
	case []byte:
		return len(x)
	case string:
		return len(x)
	}
	return 8
}

// IsNumeric reports whether the type is an SNMP number.
func (v Value) IsNumeric() bool {
	switch v.Type {
	case gosnmp.Integer, gosnmp.Counter32, gosnmp.Gauge32, gosnmp.TimeTicks, gosnmp.Counter64,
		gosnmp.Uinteger32, gosnmp.OpaqueFloat, gosnmp.OpaqueDouble:
		return true
	}
	return false
}

// Float returns a numeric value. Numbers sent as OCTET STRING ("23.5", as
// some sensors do) are parsed; anything else is ErrWrongType, a number that
// cannot be read is ErrDecode.
func (v Value) Float() (float64, error) {
	switch v.Type {
	case gosnmp.Integer, gosnmp.Counter32, gosnmp.Gauge32, gosnmp.TimeTicks, gosnmp.Counter64,
		gosnmp.Uinteger32, gosnmp.OpaqueFloat, gosnmp.OpaqueDouble:
		f, ok := toFloat(v.V)
		if !ok {
			return 0, fmt.Errorf("%w: %s holding %T", ErrDecode, v.Type, v.V)
		}
		return f, nil
	case gosnmp.OctetString:
		s := strings.TrimSpace(v.String())
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("%w: OCTET STRING %q is not a number", ErrWrongType, truncate(s))
		}
		return f, nil
	}
	return 0, fmt.Errorf("%w: %s is not a number", ErrWrongType, v.Type)
}

// Uint64 returns an unsigned counter value (Counter32, Counter64, Gauge32,
// TimeTicks, non-negative Integer).
func (v Value) Uint64() (uint64, error) {
	switch x := v.V.(type) {
	case uint64:
		return x, nil
	case uint:
		return uint64(x), nil
	case uint32:
		return uint64(x), nil
	case int:
		if x >= 0 {
			return uint64(x), nil
		}
		return 0, fmt.Errorf("%w: negative counter", ErrDecode)
	}
	return 0, fmt.Errorf("%w: %s is not a counter", ErrWrongType, v.Type)
}

// String renders the value as text: strings as they are (invalid UTF-8 in
// hex), numbers in decimal, OIDs without the leading dot.
func (v Value) String() string {
	switch x := v.V.(type) {
	case []byte:
		if utf8.Valid(x) {
			return strings.TrimRight(string(x), "\x00")
		}
		return fmt.Sprintf("%X", x)
	case string:
		if v.Type == gosnmp.ObjectIdentifier {
			return strings.TrimPrefix(x, ".")
		}
		return x
	case nil:
		return ""
	}
	if f, ok := toFloat(v.V); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v.V)
}

// OID returns an OBJECT IDENTIFIER value without the leading dot.
func (v Value) OID() (string, error) {
	if v.Type != gosnmp.ObjectIdentifier {
		return "", fmt.Errorf("%w: %s is not an OBJECT IDENTIFIER", ErrWrongType, v.Type)
	}
	s, ok := v.V.(string)
	if !ok {
		return "", fmt.Errorf("%w: OBJECT IDENTIFIER holding %T", ErrDecode, v.V)
	}
	return strings.TrimPrefix(s, "."), nil
}

func toFloat(x any) (float64, bool) {
	switch n := x.(type) {
	case int:
		return float64(n), true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float32:
		f := float64(n)
		return f, !math.IsNaN(f) && !math.IsInf(f, 0)
	case float64:
		return n, !math.IsNaN(n) && !math.IsInf(n, 0)
	}
	return 0, false
}

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// DecodePacket decodes a raw SNMP message (for tests and fuzzing) and
// returns its variables; a panic inside the decoder becomes an error.
func DecodePacket(b []byte) (vals map[string]Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			vals, err = nil, fmt.Errorf("%w: decoder panic: %v", ErrDecode, r)
		}
	}()
	g := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Logger: gosnmp.NewLogger(nil)}
	p, err := g.SnmpDecodePacket(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecode, err)
	}
	vals = make(map[string]Value, len(p.Variables))
	for _, pdu := range p.Variables {
		vals[strings.TrimPrefix(pdu.Name, ".")] = FromPDU(pdu)
	}
	return vals, nil
}
