package snmp

// A lean SNMP v1/v2c GET client: the request PDU is encoded once per target
// and responses are decoded from one reused buffer, without gosnmp's
// per-request allocations and debug formatting. It is used for the scalar
// GETs of v1/v2c targets (the bulk of a poll); walks and SNMPv3 go through
// gosnmp.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gosnmp/gosnmp"
)

var errBER = errors.New("malformed BER")

// encodeOID returns the BER content octets of a dotted OID.
func encodeOID(oid string) ([]byte, error) {
	parts := strings.Split(strings.TrimPrefix(oid, "."), ".")
	if len(parts) < 2 {
		return nil, fmt.Errorf("OID %q too short", oid)
	}
	arcs := make([]uint64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 32) // SNMP sub-identifiers are 32-bit
		if err != nil {
			return nil, fmt.Errorf("OID %q: %v", oid, err)
		}
		arcs[i] = v
	}
	if arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39) {
		return nil, fmt.Errorf("OID %q: bad first arcs", oid)
	}
	out := appendBase128(nil, arcs[0]*40+arcs[1])
	for _, a := range arcs[2:] {
		out = appendBase128(out, a)
	}
	return out, nil
}

func appendBase128(b []byte, v uint64) []byte {
	var tmp [10]byte
	n := len(tmp) - 1
	tmp[n] = byte(v & 0x7f)
	for v >>= 7; v > 0; v >>= 7 {
		n--
		tmp[n] = byte(v&0x7f) | 0x80
	}
	return append(b, tmp[n:]...)
}

func appendLen(b []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n < 0x100:
		return append(b, 0x81, byte(n))
	case n < 0x10000:
		return append(b, 0x82, byte(n>>8), byte(n))
	default:
		return append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
}

func appendTLV(b []byte, tag byte, content []byte) []byte {
	b = append(b, tag)
	b = appendLen(b, len(content))
	return append(b, content...)
}

func appendInt(b []byte, v int64) []byte {
	var tmp [8]byte
	n := 8
	for {
		n--
		tmp[n] = byte(v)
		v >>= 8
		if (v == 0 && tmp[n]&0x80 == 0) || (v == -1 && tmp[n]&0x80 != 0) || n == 0 {
			break
		}
	}
	return appendTLV(b, 0x02, tmp[n:])
}

// fastGet is a connected UDP socket speaking v1/v2c GET.
type fastGet struct {
	conn      *net.UDPConn
	version   byte // 0 = v1, 1 = v2c
	community []byte
	timeout   time.Duration
	retries   int
	reqID     uint32
	keys      []string // OIDs without leading dot, in request order
	varbinds  [][]byte // pre-encoded varbinds (SEQUENCE { OID, NULL })
	oidBytes  [][]byte // BER content of each OID, to recognise answers
	out, in   []byte
	vars      []fastVar
}

type fastVar struct {
	key string
	val Value
}

func newFastGet(t Target, keys []string) (*fastGet, error) {
	f := &fastGet{version: 1, community: []byte(t.Auth.Community.Value()), timeout: t.Timeout, retries: t.Retries,
		keys: keys, in: make([]byte, 65535), reqID: uint32(time.Now().UnixNano())}
	if t.Auth.Version == "1" {
		f.version = 0
	}
	for _, k := range keys {
		ob, err := encodeOID(k)
		if err != nil {
			return nil, err
		}
		f.oidBytes = append(f.oidBytes, ob)
		vb := appendTLV(nil, 0x06, ob)
		vb = append(vb, 0x05, 0x00)
		f.varbinds = append(f.varbinds, appendTLV(nil, 0x30, vb))
	}
	addr := t.Address
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, "161")
	}
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	f.conn, err = net.DialUDP("udp", nil, ua)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (f *fastGet) close() {
	if f != nil && f.conn != nil {
		f.conn.Close()
	}
}

// request encodes a GetRequest for keys[i:j] into f.out.
func (f *fastGet) request(id uint32, i, j int) []byte {
	vbl := 0
	for _, vb := range f.varbinds[i:j] {
		vbl += len(vb)
	}
	var pdu []byte
	pdu = appendInt(pdu, int64(id))
	pdu = append(pdu, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00)
	pdu = append(pdu, 0x30)
	pdu = appendLen(pdu, vbl)
	for _, vb := range f.varbinds[i:j] {
		pdu = append(pdu, vb...)
	}
	var msg []byte
	msg = append(msg, 0x02, 0x01, f.version)
	msg = appendTLV(msg, 0x04, f.community)
	msg = appendTLV(msg, 0xa0, pdu)
	f.out = appendTLV(f.out[:0], 0x30, msg)
	return f.out
}

// get asks for keys[i:j]; it returns the agent's error status and the
// variables (valid until the next call).
// The poll's deadline bounds every read, retries included.
func (f *fastGet) get(i, j int, pollDeadline time.Time) (gosnmp.SNMPError, []fastVar, error) {
	var lastErr error
	for try := 0; try <= f.retries; try++ {
		if !pollDeadline.IsZero() && !time.Now().Before(pollDeadline) {
			return 0, nil, fmt.Errorf("request %w", context.DeadlineExceeded)
		}
		f.reqID++
		id := f.reqID & 0x7fffffff
		if _, err := f.conn.Write(f.request(id, i, j)); err != nil {
			return 0, nil, err
		}
		deadline := time.Now().Add(f.timeout)
		if !pollDeadline.IsZero() && pollDeadline.Before(deadline) {
			deadline = pollDeadline
		}
		f.conn.SetReadDeadline(deadline)
		for {
			n, err := f.conn.Read(f.in)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					lastErr = err
					break
				}
				return 0, nil, err
			}
			st, vars, rid, err := f.decode(f.in[:n], i, j)
			if err != nil || rid != id {
				continue // stray, late or garbled datagram: keep waiting
			}
			return st, vars, nil
		}
	}
	return 0, nil, fmt.Errorf("request timeout (after %d retries): %w (%v)", f.retries, gosnmp.ErrMaxRetriesExceeded, lastErr)
}

// decode parses a GetResponse. Answers for requested OIDs reuse the
// request's key strings.
func (f *fastGet) decode(b []byte, i, j int) (gosnmp.SNMPError, []fastVar, uint32, error) {
	msg, rest, err := expect(b, 0x30)
	if err != nil || len(rest) != 0 {
		return 0, nil, 0, errBER
	}
	if _, msg, err = expect(msg, 0x02); err != nil { // version
		return 0, nil, 0, err
	}
	var comm []byte
	if comm, msg, err = expect(msg, 0x04); err != nil || string(comm) != string(f.community) {
		return 0, nil, 0, errBER
	}
	pdu, _, err := expect(msg, 0xa2)
	if err != nil {
		return 0, nil, 0, err
	}
	var v []byte
	if v, pdu, err = expect(pdu, 0x02); err != nil {
		return 0, nil, 0, err
	}
	rid, ok := beUint(v)
	if !ok {
		return 0, nil, 0, errBER
	}
	if v, pdu, err = expect(pdu, 0x02); err != nil {
		return 0, nil, 0, err
	}
	status, _ := beUint(v)
	if _, pdu, err = expect(pdu, 0x02); err != nil { // error index
		return 0, nil, 0, err
	}
	vbl, _, err := expect(pdu, 0x30)
	if err != nil {
		return 0, nil, 0, err
	}
	f.vars = f.vars[:0]
	for k := 0; len(vbl) > 0; k++ {
		var vb, oid []byte
		if vb, vbl, err = expect(vbl, 0x30); err != nil {
			return 0, nil, 0, err
		}
		if oid, vb, err = expect(vb, 0x06); err != nil {
			return 0, nil, 0, err
		}
		key := ""
		if i+k < j && string(oid) == string(f.oidBytes[i+k]) {
			key = f.keys[i+k]
		} else if key, err = oidString(oid); err != nil {
			return 0, nil, 0, err
		}
		val, err := decodeValue(vb)
		if err != nil {
			return 0, nil, 0, err
		}
		f.vars = append(f.vars, fastVar{key: key, val: val})
	}
	return gosnmp.SNMPError(status), f.vars, uint32(rid), nil
}

// expect reads one TLV with the given tag; it returns its content and the rest.
func expect(b []byte, tag byte) (content, rest []byte, err error) {
	t, content, rest, err := tlv(b)
	if err != nil {
		return nil, nil, err
	}
	if t != tag {
		return nil, nil, fmt.Errorf("%w: tag 0x%02x, want 0x%02x", errBER, t, tag)
	}
	return content, rest, nil
}

func tlv(b []byte) (tag byte, content, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, errBER
	}
	tag = b[0]
	n := int(b[1])
	p := 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 3 || len(b) < 2+k {
			return 0, nil, nil, errBER
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		p += k
	}
	if n > len(b)-p {
		return 0, nil, nil, errBER
	}
	return tag, b[p : p+n], b[p+n:], nil
}

func beUint(v []byte) (uint64, bool) {
	if len(v) == 0 || len(v) > 9 || (len(v) == 9 && v[0] != 0) {
		return 0, false
	}
	var x uint64
	for _, c := range v {
		x = x<<8 | uint64(c)
	}
	return x, true
}

func beInt(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 8 {
		return 0, false
	}
	x := int64(int8(v[0]))
	for _, c := range v[1:] {
		x = x<<8 | int64(c)
	}
	return x, true
}

func oidString(b []byte) (string, error) {
	if len(b) == 0 || len(b) > 512 {
		return "", errBER
	}
	var sb strings.Builder
	var v uint64
	first := true
	for i, c := range b {
		if v > 1<<56 {
			return "", errBER
		}
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 != 0 {
			if i == len(b)-1 {
				return "", errBER
			}
			continue
		}
		if first {
			a := min(v/40, 2)
			sb.WriteString(strconv.FormatUint(a, 10))
			sb.WriteByte('.')
			sb.WriteString(strconv.FormatUint(v-a*40, 10))
			first = false
		} else {
			sb.WriteByte('.')
			sb.WriteString(strconv.FormatUint(v, 10))
		}
		v = 0
	}
	return sb.String(), nil
}

// decodeValue decodes one value TLV into the types gosnmp uses.
func decodeValue(b []byte) (Value, error) {
	tag, c, _, err := tlv(b)
	if err != nil {
		return Value{}, err
	}
	t := gosnmp.Asn1BER(tag)
	switch t {
	case gosnmp.Integer:
		x, ok := beInt(c)
		if !ok {
			return Value{}, errBER
		}
		return Value{t, int(x)}, nil
	case gosnmp.OctetString, gosnmp.Opaque, gosnmp.BitString:
		return Value{t, append([]byte(nil), c...)}, nil
	case gosnmp.Null, gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView:
		return Value{t, nil}, nil
	case gosnmp.ObjectIdentifier:
		s, err := oidString(c)
		if err != nil {
			return Value{}, err
		}
		return Value{t, "." + s}, nil
	case gosnmp.IPAddress:
		if len(c) != 4 {
			return Value{}, errBER
		}
		return Value{t, net.IP(c).String()}, nil
	case gosnmp.Counter32, gosnmp.Gauge32, gosnmp.Uinteger32:
		x, ok := beUint(c)
		if !ok || x > 0xFFFFFFFF {
			return Value{}, errBER
		}
		if t == gosnmp.Uinteger32 {
			return Value{t, uint32(x)}, nil
		}
		return Value{t, uint(x)}, nil
	case gosnmp.TimeTicks:
		x, ok := beUint(c)
		if !ok || x > 0xFFFFFFFF {
			return Value{}, errBER
		}
		return Value{t, uint32(x)}, nil
	case gosnmp.Counter64:
		x, ok := beUint(c)
		if !ok {
			return Value{}, errBER
		}
		return Value{t, x}, nil
	}
	return Value{t, append([]byte(nil), c...)}, nil
}
