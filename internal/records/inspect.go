package records

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/config"
)

// Record kinds the recorder writes itself (typed API, not POST /api/v1/records).
const (
	KindRemoteInspection = "inspection-remote"
	KindOnsiteInspection = "inspection-onsite"
	KindFinding          = "finding"
	KindRepair           = "repair"
)

// Item and inspection results (the contract's words).
const (
	ResultNormal   = "正常"
	ResultAbnormal = "异常"
	ResultNoData   = "无数据"
)

// Inspection states.
const (
	InspectionCompleted = "completed"
	InspectionMissed    = "missed"
)

// Bounds of checklists and of what one inspection stores.
const (
	MaxChecklistItems   = 200
	MaxChecklistBytes   = 1 << 20
	MaxSeriesPerItem    = 200 // an item matching more series is 无数据 with an error: narrow its query
	MaxQueryBytes       = 4 << 10
	MaxOnsiteNoteBytes  = 4 << 10
	MaxInspectorNameLen = 128
)

// ---------------------------------------------------------------- remote checklist

// RemoteItem is one check: the instant vector Query at the slot, each
// element normal when `value Op Threshold` holds.
type RemoteItem struct {
	Name      string  `yaml:"name" json:"name"`   // stable identifier, e.g. ups_load
	Label     string  `yaml:"label" json:"label"` // zh-CN, e.g. UPS 负载率
	Query     string  `yaml:"query" json:"query"`
	Op        string  `yaml:"op" json:"op"` // < <= > >= == !=
	Threshold float64 `yaml:"threshold" json:"threshold"`
	Unit      string  `yaml:"unit" json:"unit,omitempty"`
}

// RemoteChecklist is the remote inspection's checklist file.
type RemoteChecklist struct {
	Items []RemoteItem `yaml:"items" json:"items"`
}

var ops = map[string]func(a, b float64) bool{
	"<": func(a, b float64) bool { return a < b }, "<=": func(a, b float64) bool { return a <= b },
	">": func(a, b float64) bool { return a > b }, ">=": func(a, b float64) bool { return a >= b },
	"==": func(a, b float64) bool { return a == b }, "!=": func(a, b float64) bool { return a != b },
}

func readBounded(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &config.Error{File: path, Msg: err.Error()}
	}
	if fi.Size() > MaxChecklistBytes {
		return nil, &config.Error{File: path, Msg: fmt.Sprintf("%d bytes: a checklist file is at most %d", fi.Size(), MaxChecklistBytes)}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &config.Error{File: path, Msg: err.Error()}
	}
	return b, nil
}

// LoadRemoteChecklist reads and validates a remote checklist (errors name file:line).
func LoadRemoteChecklist(path string) (*RemoteChecklist, error) {
	b, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	return ParseRemoteChecklist(path, b)
}

// ParseRemoteChecklist validates data as a remote checklist named file.
func ParseRemoteChecklist(file string, data []byte) (*RemoteChecklist, error) {
	var c RemoteChecklist
	doc, err := config.Parse(file, data, &c)
	if err != nil {
		return nil, err
	}
	if len(c.Items) == 0 || len(c.Items) > MaxChecklistItems {
		return nil, doc.Errorf("items", "%d items: want 1 … %d", len(c.Items), MaxChecklistItems)
	}
	seen := map[string]int{}
	for i, it := range c.Items {
		at := fmt.Sprintf("items[%d]", i)
		if err := checkName(it.Name); err != nil {
			return nil, doc.Errorf(at+".name", "%v", err)
		}
		if j, dup := seen[it.Name]; dup {
			return nil, doc.Errorf(at+".name", "%q is also items[%d]", it.Name, j)
		}
		seen[it.Name] = i
		if it.Label == "" || len(it.Label) > 256 {
			return nil, doc.Errorf(at+".label", "required, at most 256 bytes (the zh-CN name shown in records)")
		}
		if strings.TrimSpace(it.Query) == "" || len(it.Query) > MaxQueryBytes {
			return nil, doc.Errorf(at+".query", "required, at most %d bytes", MaxQueryBytes)
		}
		if _, ok := ops[it.Op]; !ok {
			return nil, doc.Errorf(at+".op", "%q: want one of < <= > >= == != (the item is 正常 when value op threshold)", it.Op)
		}
		if math.IsNaN(it.Threshold) || math.IsInf(it.Threshold, 0) {
			return nil, doc.Errorf(at+".threshold", "must be a finite number")
		}
	}
	return &c, nil
}

func checkName(n string) error {
	if n == "" || len(n) > 64 {
		return fmt.Errorf("required, 1–64 characters [a-z0-9_]")
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return fmt.Errorf("%q: only a-z, 0-9 and _", n)
		}
	}
	return nil
}

// Sample is one element of an instant vector.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Querier evaluates an instant query at t (internal/report/promapi in the recorder).
type Querier func(ctx context.Context, expr string, t time.Time) ([]Sample, error)

// SeriesResult is one element's value and verdict. Value is a string so that
// NaN and ±Inf (which JSON cannot carry) survive.
type SeriesResult struct {
	Labels map[string]string `json:"labels"`
	Value  string            `json:"value"`
	Result string            `json:"result"`
}

// ItemResult is one checklist item's verdict: 异常 if any element is
// abnormal, 无数据 if the query returned nothing or failed.
type ItemResult struct {
	RemoteItem
	Result string         `json:"result"`
	Series []SeriesResult `json:"series"`
	Error  string         `json:"error,omitempty"`
	// Omitted counts series left out so that the record fits in
	// MaxRecordBodyBytes (normal ones first, then abnormal ones beyond
	// 20, 5, 1 and 0 per item); the verdict counts them all.
	Omitted int `json:"omitted,omitempty"`
}

// keptAbnormal is how many abnormal series per item a record that had to be
// shrunk keeps.
const keptAbnormal = 20

// RemoteInspection is the body of an inspection-remote record.
type RemoteInspection struct {
	Slot        time.Time    `json:"slot"`
	Status      string       `json:"status"` // completed or missed
	EvaluatedAt *time.Time   `json:"evaluatedAt,omitempty"`
	Reason      string       `json:"reason,omitempty"` // why it was missed
	Normal      int          `json:"normal"`
	Abnormal    int          `json:"abnormal"`
	NoData      int          `json:"noData"`
	Items       []ItemResult `json:"items"`
}

// Finding is the body of a finding record: one abnormal item of an
// inspection, open until rectified (整改).
type Finding struct {
	Source    string         `json:"source"` // inspection-remote, inspection-onsite
	Slot      time.Time      `json:"slot"`
	Item      string         `json:"item"`
	Label     string         `json:"label"`
	Detail    string         `json:"detail"`
	Series    []SeriesResult `json:"series,omitempty"`
	Status    string         `json:"status"` // open, closed
	Owner     string         `json:"owner,omitempty"`
	Deadline  string         `json:"deadline,omitempty"` // YYYY-MM-DD
	Measures  string         `json:"measures,omitempty"` // 整改措施
	ClosedAt  *time.Time     `json:"closedAt,omitempty"`
	Threshold *float64       `json:"threshold,omitempty"`
	Op        string         `json:"op,omitempty"`
}

// ValidateUpdate checks a finding's new body against the stored one: the
// rectification fields change (status open/closed, owner, deadline,
// measures, closedAt), what was found does not.
func (f *Finding) ValidateUpdate(old Finding) error {
	if f.Source != old.Source || !f.Slot.Equal(old.Slot) || f.Item != old.Item || f.Label != old.Label || f.Detail != old.Detail ||
		len(f.Series) != len(old.Series) || f.Op != old.Op || (f.Threshold == nil) != (old.Threshold == nil) ||
		(f.Threshold != nil && *f.Threshold != *old.Threshold) {
		return fmt.Errorf("%w: source, slot, item, label, detail, series, op and threshold are what was found: they cannot change", ErrInvalid)
	}
	for i := range f.Series {
		if f.Series[i].Value != old.Series[i].Value || labelKey(f.Series[i].Labels) != labelKey(old.Series[i].Labels) {
			return fmt.Errorf("%w: series[%d] is what was found: it cannot change", ErrInvalid, i)
		}
	}
	if f.Status != "open" && f.Status != "closed" {
		return fmt.Errorf("%w: status %q: want open or closed", ErrInvalid, f.Status)
	}
	if err := text("owner", f.Owner, MaxInspectorNameLen, false); err != nil {
		return err
	}
	if err := text("measures", f.Measures, MaxIncidentText, f.Status == "closed"); err != nil {
		return fmt.Errorf("%w (a closed finding says what was done)", err)
	}
	if f.Deadline != "" {
		if _, err := calendar.ParseDate(f.Deadline); err != nil {
			return fmt.Errorf("%w: deadline: %v", ErrInvalid, err)
		}
	}
	if f.Status == "closed" && f.ClosedAt == nil {
		return fmt.Errorf("%w: closedAt: required when closed (RFC 3339)", ErrInvalid)
	}
	return nil
}

func fmtValue(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Evaluate runs every item at slot. A query that fails makes its item 无数据
// with the error; ping failing (Prometheus unreachable) fails the whole
// inspection so that the caller retries and finally records it missed.
func (c *RemoteChecklist) Evaluate(ctx context.Context, q Querier, slot time.Time) (RemoteInspection, error) {
	if _, err := q(ctx, "vector(1)", slot); err != nil {
		return RemoteInspection{}, fmt.Errorf("Prometheus: %w", err)
	}
	out := RemoteInspection{Slot: slot.UTC(), Status: InspectionCompleted, Items: make([]ItemResult, 0, len(c.Items))}
	for _, it := range c.Items {
		r := ItemResult{RemoteItem: it, Series: []SeriesResult{}}
		samples, err := q(ctx, it.Query, slot)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return RemoteInspection{}, fmt.Errorf("item %s: %w", it.Name, ctx.Err())
			}
			r.Result, r.Error = ResultNoData, err.Error()
		case len(samples) == 0:
			r.Result = ResultNoData
		case len(samples) > MaxSeriesPerItem:
			r.Result, r.Error = ResultNoData, fmt.Sprintf("%d series: at most %d per item (narrow the query)", len(samples), MaxSeriesPerItem)
		default:
			r.Result = ResultNormal
			sort.Slice(samples, func(i, j int) bool { return labelKey(samples[i].Labels) < labelKey(samples[j].Labels) })
			for _, s := range samples {
				sr := SeriesResult{Labels: s.Labels, Value: fmtValue(s.Value), Result: ResultNormal}
				if !ops[it.Op](s.Value, it.Threshold) { // NaN is never normal
					sr.Result, r.Result = ResultAbnormal, ResultAbnormal
				}
				r.Series = append(r.Series, sr)
			}
		}
		switch r.Result {
		case ResultNormal:
			out.Normal++
		case ResultAbnormal:
			out.Abnormal++
		default:
			out.NoData++
		}
		out.Items = append(out.Items, r)
	}
	return out, nil
}

func labelKey(l map[string]string) string {
	ks := make([]string, 0, len(l))
	for k := range l {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var b strings.Builder
	for _, k := range ks {
		b.WriteString(k + "=" + l[k] + ",")
	}
	return b.String()
}

// Findings returns one finding per abnormal item (only the abnormal series).
func (ri RemoteInspection) Findings() []Record {
	var out []Record
	for _, it := range ri.Items {
		if it.Result != ResultAbnormal {
			continue
		}
		var bad []SeriesResult
		for _, s := range it.Series {
			if s.Result == ResultAbnormal {
				bad = append(bad, s)
			}
		}
		th := it.Threshold
		f := Finding{Source: KindRemoteInspection, Slot: ri.Slot, Item: it.Name, Label: it.Label, Series: bad, Status: "open",
			Threshold: &th, Op: it.Op,
			Detail: fmt.Sprintf("%d 项异常（正常条件：值 %s %s%s）", len(bad), it.Op, fmtValue(it.Threshold), it.Unit)}
		out = append(out, findingRecord(f))
	}
	return out
}

func findingRecord(f Finding) Record {
	b, _ := json.Marshal(f) // plain data
	return Record{Kind: KindFinding, Title: fmt.Sprintf("%s %s 异常", f.Slot.In(calendar.Zone).Format("2006-01-02 15:04"), f.Label), Body: b}
}

// RemoteRecord is the inspection-remote record of ri. A body larger than
// MaxRecordBodyBytes (many series with long labels) is shrunk: first the
// normal series are left out, then abnormal ones beyond 20, 5, 1, 0 per
// item (ItemResult.Omitted counts them); the verdicts stay.
func RemoteRecord(ri RemoteInspection) Record {
	b, _ := json.Marshal(ri) // plain data; values are strings
	for _, keep := range []int{MaxSeriesPerItem, keptAbnormal, 5, 1, 0} {
		if len(b) <= MaxRecordBodyBytes-4<<10 {
			break
		}
		items := make([]ItemResult, len(ri.Items))
		for i, it := range ri.Items {
			var kept []SeriesResult
			for _, sr := range it.Series {
				if sr.Result == ResultAbnormal && len(kept) < keep {
					kept = append(kept, sr)
				}
			}
			if kept == nil {
				kept = []SeriesResult{}
			}
			it.Omitted += len(it.Series) - len(kept)
			it.Series = kept
			items[i] = it
		}
		ri.Items = items
		b, _ = json.Marshal(ri)
	}
	title := "远程巡检 " + ri.Slot.In(calendar.Zone).Format("2006-01-02 15:04")
	if ri.Status == InspectionMissed {
		title += "（未完成）"
	}
	slot := ri.Slot
	return Record{Kind: KindRemoteInspection, Title: title, Body: b, Slot: &slot}
}

// ---------------------------------------------------------------- on-site checklist

// OnsiteItem is one thing the inspector looks at.
type OnsiteItem struct {
	Name  string `yaml:"name" json:"name"`
	Label string `yaml:"label" json:"label"`
	Hint  string `yaml:"hint" json:"hint,omitempty"` // what to look at
}

// OnsiteChecklist is the on-site inspection's checklist file.
type OnsiteChecklist struct {
	Items []OnsiteItem `yaml:"items" json:"items"`
}

// LoadOnsiteChecklist reads and validates an on-site checklist (errors name file:line).
func LoadOnsiteChecklist(path string) (*OnsiteChecklist, error) {
	b, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	return ParseOnsiteChecklist(path, b)
}

// ParseOnsiteChecklist validates data as an on-site checklist named file.
func ParseOnsiteChecklist(file string, data []byte) (*OnsiteChecklist, error) {
	var c OnsiteChecklist
	doc, err := config.Parse(file, data, &c)
	if err != nil {
		return nil, err
	}
	if len(c.Items) == 0 || len(c.Items) > MaxChecklistItems {
		return nil, doc.Errorf("items", "%d items: want 1 … %d", len(c.Items), MaxChecklistItems)
	}
	seen := map[string]int{}
	for i, it := range c.Items {
		at := fmt.Sprintf("items[%d]", i)
		if err := checkName(it.Name); err != nil {
			return nil, doc.Errorf(at+".name", "%v", err)
		}
		if j, dup := seen[it.Name]; dup {
			return nil, doc.Errorf(at+".name", "%q is also items[%d]", it.Name, j)
		}
		seen[it.Name] = i
		if it.Label == "" || len(it.Label) > 256 {
			return nil, doc.Errorf(at+".label", "required, at most 256 bytes")
		}
	}
	return &c, nil
}

// OnsiteResult is one item as the inspector entered it.
type OnsiteResult struct {
	Name   string `json:"name"`
	Label  string `json:"label,omitempty"` // filled from the checklist
	Result string `json:"result"`          // 正常 or 异常
	Note   string `json:"note,omitempty"`  // required for 异常
}

// OnsiteInspection is the body of an inspection-onsite record (and the API's input).
type OnsiteInspection struct {
	Date      string         `json:"date"` // YYYY-MM-DD, Asia/Shanghai
	Inspector string         `json:"inspector"`
	Reviewer  string         `json:"reviewer"` // the Admin user who signs it off
	Items     []OnsiteResult `json:"items"`
	Notes     string         `json:"notes,omitempty"`
	Normal    int            `json:"normal"`
	Abnormal  int            `json:"abnormal"`
}

func person(field, v string) error {
	if strings.TrimSpace(v) == "" || len(v) > MaxInspectorNameLen || !utf8.ValidString(v) || strings.ContainsAny(v, "\x00\r\n") {
		return fmt.Errorf("%w: %s: required, 1–%d bytes on one line", ErrInvalid, field, MaxInspectorNameLen)
	}
	return nil
}

// Validate checks in against the checklist, fills labels and counts, and
// returns the day's slot (midnight, Asia/Shanghai). Every checklist item must
// be answered exactly once; an abnormal one needs a note; the date may not be
// after now's date.
func (c *OnsiteChecklist) Validate(in *OnsiteInspection, now time.Time) (time.Time, error) {
	day, err := calendar.ParseDate(in.Date)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: date: %v", ErrInvalid, err)
	}
	if day.After(calendar.DateOf(now)) {
		return time.Time{}, fmt.Errorf("%w: date %s is in the future", ErrInvalid, in.Date)
	}
	if err := person("inspector", in.Inspector); err != nil {
		return time.Time{}, err
	}
	if err := person("reviewer", in.Reviewer); err != nil {
		return time.Time{}, err
	}
	if len(in.Notes) > MaxOnsiteNoteBytes || !utf8.ValidString(in.Notes) {
		return time.Time{}, fmt.Errorf("%w: notes: at most %d bytes of UTF-8", ErrInvalid, MaxOnsiteNoteBytes)
	}
	labels := map[string]string{}
	for _, it := range c.Items {
		labels[it.Name] = it.Label
	}
	seen := map[string]bool{}
	in.Normal, in.Abnormal = 0, 0
	for i := range in.Items {
		r := &in.Items[i]
		l, ok := labels[r.Name]
		if !ok {
			return time.Time{}, fmt.Errorf("%w: items[%d]: %q is not in the on-site checklist", ErrInvalid, i, r.Name)
		}
		if seen[r.Name] {
			return time.Time{}, fmt.Errorf("%w: items[%d]: %q answered twice", ErrInvalid, i, r.Name)
		}
		seen[r.Name] = true
		r.Label = l
		if len(r.Note) > MaxOnsiteNoteBytes || !utf8.ValidString(r.Note) {
			return time.Time{}, fmt.Errorf("%w: items[%d] (%s): note: at most %d bytes of UTF-8", ErrInvalid, i, l, MaxOnsiteNoteBytes)
		}
		switch r.Result {
		case ResultNormal:
			in.Normal++
		case ResultAbnormal:
			if strings.TrimSpace(r.Note) == "" {
				return time.Time{}, fmt.Errorf("%w: items[%d] (%s) is 异常: say what in note", ErrInvalid, i, l)
			}
			in.Abnormal++
		default:
			return time.Time{}, fmt.Errorf("%w: items[%d] (%s): result %q: want 正常 or 异常", ErrInvalid, i, l, r.Result)
		}
	}
	var missing []string
	for _, it := range c.Items {
		if !seen[it.Name] {
			missing = append(missing, it.Name+" ("+it.Label+")")
		}
	}
	if len(missing) > 0 {
		return time.Time{}, fmt.Errorf("%w: items not answered: %s", ErrInvalid, strings.Join(missing, ", "))
	}
	return day, nil
}

// OnsiteRecords returns the inspection-onsite record (slot: the day) and one
// finding per abnormal item. Validate first.
func OnsiteRecords(in OnsiteInspection, day time.Time) (Record, []Record) {
	b, _ := json.Marshal(in)
	slot := day
	rec := Record{Kind: KindOnsiteInspection, Title: "现场巡检 " + in.Date, Body: b, Slot: &slot}
	var fs []Record
	for _, it := range in.Items {
		if it.Result == ResultAbnormal {
			fs = append(fs, findingRecord(Finding{Source: KindOnsiteInspection, Slot: day.UTC(), Item: it.Name, Label: it.Label,
				Detail: it.Note, Status: "open"}))
		}
	}
	return rec, fs
}
