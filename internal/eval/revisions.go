package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/report"
)

// Record kinds in the records store (generic records: history of every
// change, sign-off, amendment).
const (
	KindManualScore   = "eval_manual_score"
	KindSystemVersion = "eval_system_version"
)

// ManualScore is a score entered by a person, with its evidence.
type ManualScore struct {
	Kind      string    `json:"kind"` // provider kind (cloud | carrier)
	Provider  string    `json:"provider"`
	Indicator string    `json:"indicator"`
	Period    string    `json:"period"` // YYYY-MM
	Score     float64   `json:"score"`
	Evidence  string    `json:"evidence"` // reference to the evidence (document number, file, record)
	Author    string    `json:"author"`
	At        time.Time `json:"at"`
	Note      string    `json:"note,omitempty"` // shown in 扣分说明
}

// ErrInvalid wraps every refused entry.
var ErrInvalid = errors.New("invalid manual score")

// ErrNoSystem: no stored indicator system applies to the period.
var ErrNoSystem = report.ErrNoIndicatorSystem

// Check validates a manual score against the system: the indicator exists
// and is manual, the score is in range, evidence, author and time are given.
func (m ManualScore) Check(s *System) error {
	ind := s.Find(m.Kind, m.Indicator)
	switch {
	case ind == nil:
		return fmt.Errorf("%w: indicator %q is not in the %s indicator set of system %s", ErrInvalid, m.Indicator, m.Kind, s.Version)
	case ind.Rule != RuleManual:
		return fmt.Errorf("%w: indicator %q is %s, not manual: its score comes from the figures", ErrInvalid, m.Indicator, ind.Rule)
	case !periodRE.MatchString(m.Period):
		return fmt.Errorf("%w: period %q: want YYYY-MM", ErrInvalid, m.Period)
	case !(m.Score >= 0 && m.Score <= ind.manualMax()):
		return fmt.Errorf("%w: score %v of %q out of range 0 … %s", ErrInvalid, m.Score, m.Indicator, trimNum(ind.manualMax()))
	case !line(m.Provider, 256):
		return fmt.Errorf("%w: provider: required, one line, at most 256 bytes", ErrInvalid)
	case !line(m.Evidence, 1024):
		return fmt.Errorf("%w: evidence: a manual score needs a reference to its evidence (one line, at most 1024 bytes)", ErrInvalid)
	case !line(m.Author, 128):
		return fmt.Errorf("%w: author: required, one line, at most 128 bytes", ErrInvalid)
	case m.At.IsZero():
		return fmt.Errorf("%w: time: required", ErrInvalid)
	case len(m.Note) > MaxTextBytes || !utf8.ValidString(m.Note):
		return fmt.Errorf("%w: note: at most %d bytes of UTF-8", ErrInvalid, MaxTextBytes)
	}
	return nil
}

func line(s string, n int) bool {
	return strings.TrimSpace(s) != "" && len(s) <= n && utf8.ValidString(s) && !strings.ContainsAny(s, "\x00\r\n")
}

// EnterManual validates and stores a manual score as a record (Ref
// kind/provider/indicator/period is not unique: a correction is a new
// record or, once signed off, an amendment; the newest wins).
func EnterManual(ctx context.Context, st records.Store, s *System, actor string, m ManualScore) (records.Record, error) {
	if err := m.Check(s); err != nil {
		return records.Record{}, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return records.Record{}, err
	}
	return st.CreateRecord(ctx, actor, records.Record{Kind: KindManualScore, Title: fmt.Sprintf("人工评分 %s %s %s", m.Provider, m.Indicator, m.Period), Body: b})
}

// ManualScoreBody validates the body of an eval_manual_score record entered
// through the record API (POST, PUT, amendment): it is decoded strictly
// (unknown fields and trailing data are errors), an empty author is the
// authenticated actor and an empty at is now, and it is checked (Check)
// against the indicator system stored for its period (SystemFor). Every
// refusal wraps both records.ErrInvalid and ErrInvalid. It returns the
// normalised body (at in UTC milliseconds) that ManualScores reads.
func ManualScoreBody(ctx context.Context, st records.Store, actor string, body json.RawMessage, now time.Time) (json.RawMessage, error) {
	var m ManualScore
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %w: body: %v", records.ErrInvalid, ErrInvalid, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: %w: body: trailing data", records.ErrInvalid, ErrInvalid)
	}
	if m.Author == "" {
		m.Author = actor
	}
	if m.At.IsZero() {
		m.At = now
	}
	if m.At.After(now.Add(5 * time.Minute)) {
		return nil, fmt.Errorf("%w: %w: at: not in the future (RFC 3339)", records.ErrInvalid, ErrInvalid)
	}
	m.At = m.At.UTC().Truncate(time.Millisecond)
	if !periodRE.MatchString(m.Period) {
		return nil, fmt.Errorf("%w: %w: period %q: want YYYY-MM", records.ErrInvalid, ErrInvalid, m.Period)
	}
	s, err := SystemFor(ctx, st, m.Period)
	if err != nil {
		if errors.Is(err, ErrNoSystem) {
			return nil, fmt.Errorf("%w: %w: %v", records.ErrInvalid, ErrInvalid, err)
		}
		return nil, err // the store: not the caller's fault
	}
	if err := m.Check(s); err != nil {
		return nil, fmt.Errorf("%w: %w", records.ErrInvalid, err)
	}
	return json.Marshal(m)
}

// ManualScores reads the manual scores of a period (YYYY-MM) from the store
// (at most records.MaxListLimit records of the kind are read: newest first).
func ManualScores(ctx context.Context, st Reader, period string) ([]ManualScore, error) {
	rs, err := st.ListRecords(ctx, KindManualScore, records.MaxListLimit)
	if err != nil {
		return nil, err
	}
	var out []ManualScore
	for _, r := range rs {
		var m ManualScore
		if err := json.Unmarshal(r.Body, &m); err != nil {
			return nil, fmt.Errorf("record %d (%s): %v", r.ID, KindManualScore, err)
		}
		if m.Period == period {
			out = append(out, m)
		}
	}
	return out, nil
}

// SystemRecord is the body of an eval_system_version record: the file
// itself, so that any month can be re-read with the version it used.
type SystemRecord struct {
	Version     string `json:"version"`
	AppliesFrom string `json:"appliesFrom"`
	Status      string `json:"status"`
	SHA256      string `json:"sha256"`
	YAML        string `json:"yaml"`
}

// SaveSystem validates data and stores it as a version record. A version
// already stored with the same bytes is returned as is; the same version
// with other bytes is refused (a revision takes a new version).
func SaveSystem(ctx context.Context, st records.Store, actor, file string, data []byte) (*System, error) {
	s, err := Parse(file, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", records.ErrInvalid, err)
	}
	old, err := storedSystems(ctx, st)
	if err != nil {
		return nil, err
	}
	for _, o := range old {
		if o.Version == s.Version {
			if o.SHA256 == s.SHA256 {
				return s, nil
			}
			return nil, fmt.Errorf("%w: indicator system version %s is already stored with other content (SHA-256 %s): a revision needs a new version", records.ErrExists, s.Version, o.SHA256)
		}
	}
	b, err := json.Marshal(SystemRecord{Version: s.Version, AppliesFrom: s.AppliesFrom, Status: s.Status, SHA256: s.SHA256, YAML: string(data)})
	if err != nil {
		return nil, err
	}
	if _, err := st.CreateRecord(ctx, actor, records.Record{Kind: KindSystemVersion, Title: "评估指标体系 " + s.Version + "（自 " + s.AppliesFrom + " 起）", Body: b}); err != nil {
		return nil, err
	}
	return s, nil
}

func storedSystems(ctx context.Context, st Reader) ([]SystemRecord, error) {
	rs, err := st.ListRecords(ctx, KindSystemVersion, records.MaxListLimit)
	if err != nil {
		return nil, err
	}
	out := make([]SystemRecord, 0, len(rs))
	for _, r := range rs {
		var s SystemRecord
		if err := json.Unmarshal(r.Body, &s); err != nil {
			return nil, fmt.Errorf("record %d (%s): %v", r.ID, KindSystemVersion, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// SystemFor is the stored version that applies to period (YYYY-MM): the
// one with the latest applies_from not after period (among equal ones the
// one stored last).
func SystemFor(ctx context.Context, st Reader, period string) (*System, error) {
	ss, err := storedSystems(ctx, st) // newest first
	if err != nil {
		return nil, err
	}
	var best *SystemRecord
	for i := range ss {
		s := &ss[i]
		if s.AppliesFrom <= period && (best == nil || s.AppliesFrom > best.AppliesFrom) {
			best = s
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%w applies to %s (stored versions: %d)", ErrNoSystem, period, len(ss))
	}
	return Parse("records:"+KindSystemVersion+"/"+best.Version, []byte(best.YAML))
}
