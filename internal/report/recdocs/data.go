package recdocs

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/records"
)

// Decoded records with their store record.
type (
	remoteRec struct {
		Rec  records.Record
		Body records.RemoteInspection
	}
	onsiteRec struct {
		Rec  records.Record
		Day  time.Time
		Body records.OnsiteInspection
	}
	findingRec struct {
		Rec    records.Record
		Found  time.Time // the slot of the inspection, or when the record was made
		Body   records.Finding
		Closed *time.Time
	}
	incidentRec struct {
		Rec  records.Record
		Body records.Incident
	}
	handoverRec struct {
		Rec  records.Record
		Body records.Handover
	}
)

// periodData is what the duty documents show for a period.
type periodData struct {
	P                 calendar.Period
	Alerts            []records.Alert // detected in P, oldest first
	Remote            []remoteRec     // slot in P, oldest first
	Onsite            []onsiteRec     // day in P, oldest first
	FindingsOpened    []findingRec    // found in P
	FindingsClosed    []findingRec    // closed in P
	FindingsOpenAtEnd []findingRec    // found before P's end and not closed by then
	Incidents         []incidentRec   // overlapping P
	Handovers         []handoverRec   // at in P
	Caveats           []string        // what the document may have missed (bounds), in the document's language
}

// readAlerts reads every alert detected in p, oldest first, in pages of
// records.MaxListLimit; more than MaxAlerts is an error.
func readAlerts(ctx context.Context, src Source, p calendar.Period) ([]records.Alert, error) {
	seen := map[int64]bool{}
	var out []records.Alert
	until := p.End
	for {
		page, err := src.ListAlerts(ctx, records.AlertFilter{Since: p.Start, Until: until, Limit: records.MaxListLimit})
		if err != nil {
			return nil, storeErr("alerts", err)
		}
		fresh := 0
		for _, a := range page {
			if !seen[a.ID] {
				seen[a.ID] = true
				out = append(out, a)
				fresh++
			}
		}
		if len(out) > MaxAlerts {
			return nil, BadInput("more than %d alerts detected in %s: a document reads at most %d (choose a shorter period)", MaxAlerts, p, MaxAlerts)
		}
		if len(page) < records.MaxListLimit {
			break
		}
		if fresh == 0 {
			return nil, BadInput("more than %d alerts detected within one millisecond at %s: cannot page through them", records.MaxListLimit, page[0].DetectedAt.Format(time.RFC3339Nano))
		}
		until = page[len(page)-1].DetectedAt.Add(time.Millisecond)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].DetectedAt.Equal(out[j].DetectedAt) {
			return out[i].DetectedAt.Before(out[j].DetectedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// current reads the newest records.MaxListLimit records of kind and drops
// those an amendment supersedes (the amendment stands for its original).
// full: the bound was reached, older records were not read.
func current(ctx context.Context, src Source, kind string) ([]records.Record, bool, error) {
	rs, err := src.FindRecords(ctx, records.RecordFilter{Kind: kind, Limit: records.MaxListLimit})
	if err != nil {
		return nil, false, storeErr(kind+" records", err)
	}
	amended := map[int64]bool{}
	for _, r := range rs {
		if r.AmendsID != nil {
			amended[*r.AmendsID] = true
		}
	}
	out := rs[:0:0]
	for _, r := range rs {
		if !amended[r.ID] {
			out = append(out, r)
		}
	}
	return out, len(rs) >= records.MaxListLimit, nil
}

func decode(r records.Record, v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return storeErr(fmt.Sprintf("record %d (%s)", r.ID, r.Kind), fmt.Errorf("body does not decode: %v", err))
	}
	return nil
}

// eachCurrent calls fn with each current record of kind (current) and its
// decoded body; a kind at the read bound adds a caveat (kind named zh / en).
func eachCurrent[T any](ctx context.Context, src Source, d *periodData, o Options, kind, zh, en string, fn func(records.Record, T) error) error {
	rs, full, err := current(ctx, src, kind)
	if err != nil {
		return err
	}
	if full {
		d.caveat(o, zh, en)
	}
	for _, r := range rs {
		var b T
		if err := decode(r, &b); err != nil {
			return err
		}
		if err := fn(r, b); err != nil {
			return err
		}
	}
	return nil
}

// gather reads everything the duty documents show for p.
func gather(ctx context.Context, src Source, p calendar.Period, o Options) (*periodData, error) {
	d := &periodData{P: p}
	var err error
	if d.Alerts, err = readAlerts(ctx, src, p); err != nil {
		return nil, err
	}
	if err := d.readInspections(ctx, src, o); err != nil {
		return nil, err
	}
	if err := d.readFindings(ctx, src, o); err != nil {
		return nil, err
	}
	if err := d.readIncidents(ctx, src, o); err != nil {
		return nil, err
	}
	if err := d.readHandovers(ctx, src, o); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *periodData) caveat(o Options, kindZH, kindEN string) {
	d.Caveats = append(d.Caveats, o.tr(
		fmt.Sprintf("记录库中%s记录已达单次读取上限 %d 条，仅统计最近的 %d 条，更早的记录未计入。", kindZH, records.MaxListLimit, records.MaxListLimit),
		fmt.Sprintf("The store holds at least %d %s records; only the newest %d were read, older ones are not counted.", records.MaxListLimit, kindEN, records.MaxListLimit)))
}

func (d *periodData) readInspections(ctx context.Context, src Source, o Options) error {
	rs, err := src.FindRecords(ctx, records.RecordFilter{Kind: records.KindRemoteInspection, SlotSince: d.P.Start, SlotUntil: d.P.End, Limit: records.MaxListLimit})
	if err != nil {
		return storeErr("remote inspections", err)
	}
	if len(rs) >= records.MaxListLimit {
		d.caveat(o, "远程巡检", "remote-inspection")
	}
	for _, r := range rs {
		var b records.RemoteInspection
		if err := decode(r, &b); err != nil {
			return err
		}
		d.Remote = append(d.Remote, remoteRec{r, b})
	}
	sort.Slice(d.Remote, func(i, j int) bool { return d.Remote[i].Body.Slot.Before(d.Remote[j].Body.Slot) })
	// On-site inspections: an amendment carries no slot, so read the kind
	// and place each by its date.
	err = eachCurrent(ctx, src, d, o, records.KindOnsiteInspection, "现场巡检", "on-site inspection", func(r records.Record, b records.OnsiteInspection) error {
		day, err := calendar.ParseDate(b.Date)
		if err != nil {
			return storeErr(fmt.Sprintf("record %d", r.ID), err)
		}
		if d.P.Contains(day) {
			d.Onsite = append(d.Onsite, onsiteRec{r, day, b})
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(d.Onsite, func(i, j int) bool { return d.Onsite[i].Day.Before(d.Onsite[j].Day) })
	return nil
}

func (d *periodData) readFindings(ctx context.Context, src Source, o Options) error {
	err := eachCurrent(ctx, src, d, o, records.KindFinding, "整改", "finding", func(r records.Record, b records.Finding) error {
		f := findingRec{Rec: r, Found: b.Slot, Body: b}
		if f.Found.IsZero() {
			f.Found = r.CreatedAt
		}
		if b.Status == "closed" && b.ClosedAt != nil {
			f.Closed = b.ClosedAt
		}
		if d.P.Contains(f.Found) {
			d.FindingsOpened = append(d.FindingsOpened, f)
		}
		if f.Closed != nil && d.P.Contains(*f.Closed) {
			d.FindingsClosed = append(d.FindingsClosed, f)
		}
		if f.Found.Before(d.P.End) && (f.Closed == nil || !f.Closed.Before(d.P.End)) {
			d.FindingsOpenAtEnd = append(d.FindingsOpenAtEnd, f)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, l := range [][]findingRec{d.FindingsOpened, d.FindingsClosed, d.FindingsOpenAtEnd} {
		sort.Slice(l, func(i, j int) bool {
			return l[i].Found.Before(l[j].Found) || l[i].Found.Equal(l[j].Found) && l[i].Rec.ID < l[j].Rec.ID
		})
	}
	return nil
}

func (d *periodData) readIncidents(ctx context.Context, src Source, o Options) error {
	err := eachCurrent(ctx, src, d, o, records.KindIncident, "故障", "incident", func(r records.Record, b records.Incident) error {
		if b.Start.Before(d.P.End) && (b.End == nil || !b.End.Before(d.P.Start)) {
			d.Incidents = append(d.Incidents, incidentRec{r, b})
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(d.Incidents, func(i, j int) bool { return d.Incidents[i].Body.Start.Before(d.Incidents[j].Body.Start) })
	return nil
}

func (d *periodData) readHandovers(ctx context.Context, src Source, o Options) error {
	err := eachCurrent(ctx, src, d, o, records.KindHandover, "交接班", "handover", func(r records.Record, b records.Handover) error {
		if d.P.Contains(b.At) {
			d.Handovers = append(d.Handovers, handoverRec{r, b})
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(d.Handovers, func(i, j int) bool { return d.Handovers[i].Body.At.Before(d.Handovers[j].Body.At) })
	return nil
}

// sub is the part of d inside q (a day of a week): alerts, inspections,
// findings and incidents restricted to q.
func (d *periodData) sub(q calendar.Period) *periodData {
	s := &periodData{P: q}
	for _, a := range d.Alerts {
		if q.Contains(a.DetectedAt) {
			s.Alerts = append(s.Alerts, a)
		}
	}
	for _, r := range d.Remote {
		if q.Contains(r.Body.Slot) {
			s.Remote = append(s.Remote, r)
		}
	}
	for _, r := range d.Onsite {
		if q.Contains(r.Day) {
			s.Onsite = append(s.Onsite, r)
		}
	}
	for _, f := range d.FindingsOpened {
		if q.Contains(f.Found) {
			s.FindingsOpened = append(s.FindingsOpened, f)
		}
	}
	for _, f := range d.FindingsClosed {
		if q.Contains(*f.Closed) {
			s.FindingsClosed = append(s.FindingsClosed, f)
		}
	}
	for _, in := range d.Incidents {
		if in.Body.Start.Before(q.End) && (in.Body.End == nil || !in.Body.End.Before(q.Start)) {
			s.Incidents = append(s.Incidents, in)
		}
	}
	return s
}
