package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/eval"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/report/promapi"
)

// Inspections, findings and repairs (docs/records.md): typed API over
// records of the kinds records.Kind*, the remote-inspection scheduler and the
// metrics an alert rule can watch.

const (
	systemActor  = "jianguan-recorder" // the scheduler's name in history
	opsTick      = 30 * time.Second    // scheduler and metrics refresh
	slotLookback = 24 * time.Hour      // slots older than this are never evaluated nor recorded missed
	metricsLimit = records.MaxListLimit
)

type opsMetrics struct {
	lastCompleted *prometheus.GaugeVec
	lastMissed    *prometheus.GaugeVec
	abnormal      *prometheus.GaugeVec
	inspections   *prometheus.CounterVec
	findingsOpen  prometheus.Gauge
	findingsLate  prometheus.Gauge
	repairsOpen   prometheus.Gauge
	repairsLate   prometheus.Gauge
	incidentsOpen prometheus.Gauge
	incidentsLate prometheus.Gauge
	refreshErrors prometheus.Counter
}

func newOpsMetrics(reg prometheus.Registerer) *opsMetrics {
	m := &opsMetrics{
		lastCompleted: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "jianguan_recorder_inspection_last_completed_timestamp_seconds",
			Help: "Slot (Unix time) of the newest completed inspection by kind (remote, onsite: the day's midnight, Asia/Shanghai); 0 = none."}, []string{"kind"}),
		lastMissed: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "jianguan_recorder_inspection_last_missed_timestamp_seconds",
			Help: "Slot (Unix time) of the newest remote inspection recorded as missed; 0 = none."}, []string{"kind"}),
		abnormal: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "jianguan_recorder_inspection_abnormal_items",
			Help: "异常 items of the newest completed inspection by kind."}, []string{"kind"}),
		inspections: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jianguan_recorder_inspections_total",
			Help: "Remote inspections this process recorded, by result (completed, missed)."}, []string{"kind", "result"}),
		findingsOpen: prometheus.NewGauge(prometheus.GaugeOpts{Name: "jianguan_recorder_findings_open", Help: "Findings not closed."}),
		findingsLate: prometheus.NewGauge(prometheus.GaugeOpts{Name: "jianguan_recorder_findings_overdue",
			Help: "Findings not closed after their rectification deadline (整改期限)."}),
		repairsOpen: prometheus.NewGauge(prometheus.GaugeOpts{Name: "jianguan_recorder_repairs_open",
			Help: "Repairs not reinstalled and within their 15-working-day deadline."}),
		repairsLate: prometheus.NewGauge(prometheus.GaugeOpts{Name: "jianguan_recorder_repairs_overdue",
			Help: "Repairs not reinstalled after their 15-working-day deadline."}),
		incidentsOpen: prometheus.NewGauge(prometheus.GaugeOpts{Name: "jianguan_recorder_incidents_open",
			Help: "Incident records not closed."}),
		incidentsLate: prometheus.NewGauge(prometheus.GaugeOpts{Name: "jianguan_recorder_incidents_overdue",
			Help: "Incident records not closed after their rectification deadline (整改期限)."}),
		refreshErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "jianguan_recorder_ops_refresh_errors_total",
			Help: "Failed refreshes of the inspection, finding and repair metrics (database unavailable)."}),
	}
	reg.MustRegister(m.lastCompleted, m.lastMissed, m.abnormal, m.inspections, m.findingsOpen, m.findingsLate, m.repairsOpen, m.repairsLate, m.incidentsOpen, m.incidentsLate, m.refreshErrors)
	for _, k := range []string{"remote", "onsite"} {
		m.lastCompleted.WithLabelValues(k)
		m.abnormal.WithLabelValues(k)
	}
	m.lastMissed.WithLabelValues("remote")
	m.inspections.WithLabelValues("remote", records.InspectionCompleted)
	m.inspections.WithLabelValues("remote", records.InspectionMissed)
	return m
}

// ---------------------------------------------------------------- scheduler

type scheduler struct {
	s     *server
	query records.Querier
	mu    sync.Mutex
	why   map[int64]string // slot (ms) → last failure, for the missed record
}

func newScheduler(s *server) *scheduler {
	r := &s.cfg.Inspections.Remote
	if r.check == nil {
		return nil
	}
	c := promapi.New(r.Prometheus.URL)
	c.Username, c.Password = r.Prometheus.Username, r.Prometheus.password.Value()
	c.Timeout, c.MaxAnswerBytes, c.MaxConcurrent = r.Prometheus.Timeout, r.Prometheus.MaxAnswerBytes, 1
	return &scheduler{s: s, query: promQuerier(c), why: map[int64]string{}}
}

// promQuerier adapts the report engine's Prometheus client.
func promQuerier(c *promapi.Client) records.Querier {
	return func(ctx context.Context, expr string, t time.Time) ([]records.Sample, error) {
		ss, err := c.Query(ctx, expr, t)
		if err != nil {
			return nil, err
		}
		out := make([]records.Sample, 0, len(ss))
		for _, s := range ss {
			if len(s.Points) == 0 {
				continue
			}
			out = append(out, records.Sample{Labels: s.Labels, Value: s.Points[len(s.Points)-1].V})
		}
		return out, nil
	}
}

// slots returns the configured slots in (from, to], oldest first.
func slots(times []clock, from, to time.Time) []time.Time {
	var out []time.Time
	for d := calendar.DateOf(from); !d.After(to); d = d.AddDate(0, 0, 1) {
		for _, c := range times {
			t := time.Date(d.Year(), d.Month(), d.Day(), c.h, c.m, 0, 0, calendar.Zone)
			if t.After(from) && !t.After(to) {
				out = append(out, t)
			}
		}
	}
	sortTimes(out)
	return out
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// step handles every slot of the last slotLookback up to now: a slot without
// a record is evaluated (at the slot's instant) while within grace, and
// recorded missed after.
func (sc *scheduler) step(ctx context.Context, now time.Time) {
	r := &sc.s.cfg.Inspections.Remote
	for _, slot := range slots(r.slots, now.Add(-slotLookback), now) {
		if ctx.Err() != nil {
			return
		}
		c, cancel := context.WithTimeout(ctx, storeTimeout)
		got, err := sc.s.store.FindRecords(c, records.RecordFilter{Kind: records.KindRemoteInspection, SlotSince: slot, SlotUntil: slot.Add(time.Millisecond), Limit: 1})
		cancel()
		if err != nil {
			sc.s.logger.Warn("inspection scheduler: database unavailable", "err", err)
			return
		}
		if len(got) > 0 {
			continue
		}
		key := slot.UnixMilli()
		if now.Before(slot.Add(r.Grace)) {
			ic, cancel := context.WithTimeout(ctx, r.Prometheus.Timeout)
			ri, err := r.check.Evaluate(ic, sc.query, slot)
			cancel()
			if err != nil {
				msg := promapi.Scrub(err.Error(), r.Prometheus.password.Value())
				sc.mu.Lock()
				sc.why[key] = msg
				sc.mu.Unlock()
				sc.s.logger.Warn("remote inspection failed; retrying until grace", "slot", slot, "err", msg)
				continue
			}
			ev := now.UTC()
			ri.EvaluatedAt = &ev
			sc.save(ctx, ri)
			continue
		}
		sc.mu.Lock()
		why := sc.why[key]
		delete(sc.why, key)
		sc.mu.Unlock()
		if why == "" {
			why = "not evaluated within " + r.Grace.String() + " of the slot (recorder not running?)"
		}
		sc.save(ctx, records.RemoteInspection{Slot: slot.UTC(), Status: records.InspectionMissed, Reason: why, Items: []records.ItemResult{}})
	}
}

func (sc *scheduler) save(ctx context.Context, ri records.RemoteInspection) {
	c, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	rec, fs, err := sc.s.store.CreateRecords(c, systemActor, records.RemoteRecord(ri), ri.Findings())
	switch {
	case errors.Is(err, records.ErrExists): // the other recorder of an HA pair was first
		return
	case err != nil:
		sc.s.logger.Error("cannot store the remote inspection; retrying", "slot", ri.Slot, "err", err)
		return
	}
	sc.s.ops.inspections.WithLabelValues("remote", ri.Status).Inc()
	sc.s.logger.Info("remote inspection recorded", "slot", ri.Slot, "status", ri.Status, "record", rec.ID,
		"abnormal", ri.Abnormal, "noData", ri.NoData, "findings", len(fs), "reason", ri.Reason)
}

// opsLoop runs the scheduler (if configured) and refreshes the metrics.
func (s *server) opsLoop(ctx context.Context) {
	t := time.NewTicker(opsTick)
	defer t.Stop()
	for {
		now := s.nowFunc()
		if s.sched != nil {
			s.sched.step(ctx, now)
		}
		s.refreshOps(ctx, now)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// refreshOps recomputes the gauges from the database (bounded reads of at
// most metricsLimit records per kind).
func (s *server) refreshOps(ctx context.Context, now time.Time) {
	ctx, cancel := context.WithTimeout(ctx, 2*storeTimeout)
	defer cancel()
	fail := func(err error) {
		s.ops.refreshErrors.Inc()
		s.logger.Warn("refreshing the inspection and repair metrics", "err", err)
	}
	rem, err := s.store.FindRecords(ctx, records.RecordFilter{Kind: records.KindRemoteInspection, Limit: 100})
	if err != nil {
		fail(err)
		return
	}
	var lastDone, lastMissed bool
	for _, r := range rem {
		var ri records.RemoteInspection
		if json.Unmarshal(r.Body, &ri) != nil || r.Slot == nil {
			continue
		}
		if ri.Status == records.InspectionCompleted && !lastDone {
			lastDone = true
			s.ops.lastCompleted.WithLabelValues("remote").Set(float64(r.Slot.Unix()))
			s.ops.abnormal.WithLabelValues("remote").Set(float64(ri.Abnormal))
		}
		if ri.Status == records.InspectionMissed && !lastMissed {
			lastMissed = true
			s.ops.lastMissed.WithLabelValues("remote").Set(float64(r.Slot.Unix()))
		}
	}
	ons, err := s.store.FindRecords(ctx, records.RecordFilter{Kind: records.KindOnsiteInspection, SlotSince: time.Unix(0, 0), Limit: 1})
	if err != nil {
		fail(err)
		return
	}
	if len(ons) == 1 {
		var oi records.OnsiteInspection
		_ = json.Unmarshal(ons[0].Body, &oi)
		s.ops.lastCompleted.WithLabelValues("onsite").Set(float64(ons[0].Slot.Unix()))
		s.ops.abnormal.WithLabelValues("onsite").Set(float64(oi.Abnormal))
	}
	fs, err := s.store.FindRecords(ctx, records.RecordFilter{Kind: records.KindFinding, Limit: metricsLimit})
	if err != nil {
		fail(err)
		return
	}
	open, late := 0, 0
	today := calendar.DateOf(now)
	for _, r := range fs {
		var f records.Finding
		if json.Unmarshal(r.Body, &f) != nil || f.Status == "closed" || superseded(r, fs) {
			continue
		}
		open++
		if d, err := calendar.ParseDate(f.Deadline); err == nil && d.Before(today) {
			late++
		}
	}
	s.ops.findingsOpen.Set(float64(open))
	s.ops.findingsLate.Set(float64(late))
	rs, err := s.store.FindRecords(ctx, records.RecordFilter{Kind: records.KindRepair, Limit: metricsLimit})
	if err != nil {
		fail(err)
		return
	}
	open, late = 0, 0
	for _, r := range rs {
		v, err := records.ViewRepair(s.cfg.cal, r, now)
		if err != nil {
			continue
		}
		switch v.Status {
		case records.RepairOpen:
			open++
		case records.RepairOverdue:
			late++
		}
	}
	s.ops.repairsOpen.Set(float64(open))
	s.ops.repairsLate.Set(float64(late))
	is, err := s.store.FindRecords(ctx, records.RecordFilter{Kind: records.KindIncident, Limit: metricsLimit})
	if err != nil {
		fail(err)
		return
	}
	open, late = 0, 0
	for _, r := range is {
		var in records.Incident
		if json.Unmarshal(r.Body, &in) != nil || in.Status == records.IncidentClosed || superseded(r, is) {
			continue
		}
		open++
		if in.Overdue(now) {
			late++
		}
	}
	s.ops.incidentsOpen.Set(float64(open))
	s.ops.incidentsLate.Set(float64(late))
}

// superseded: a signed-off finding that a later record amends counts once (as the amendment).
func superseded(r records.Record, all []records.Record) bool {
	for _, o := range all {
		if o.AmendsID != nil && *o.AmendsID == r.ID {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------- API

func (s *server) checklists(w http.ResponseWriter, _ *http.Request, _ identity) {
	out := map[string]any{"remote": nil, "onsite": nil, "remoteTimes": s.cfg.Inspections.Remote.Times}
	if c := s.cfg.Inspections.Remote.check; c != nil {
		out["remote"] = c
	}
	if c := s.cfg.Inspections.Onsite.check; c != nil {
		out["onsite"] = c
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) listInspections(w http.ResponseWriter, r *http.Request, _ identity) {
	kind := map[string]string{"remote": records.KindRemoteInspection, "onsite": records.KindOnsiteInspection}[r.URL.Query().Get("kind")]
	if kind == "" {
		writeError(w, http.StatusBadRequest, "kind: want remote or onsite")
		return
	}
	sp, err := parseSpan(r, "since", "until")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	f := records.RecordFilter{Kind: kind, SlotSince: sp.since, SlotUntil: sp.until, Limit: sp.limit}
	ctx, cancel := s.ctx(r)
	defer cancel()
	rs, err := s.store.FindRecords(ctx, f)
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"inspections": rs})
}

func (s *server) createOnsite(w http.ResponseWriter, r *http.Request, who identity) {
	c := s.cfg.Inspections.Onsite.check
	if c == nil {
		writeError(w, http.StatusNotFound, "on-site inspections are not configured (inspections.onsite.checklist_file)")
		return
	}
	var in records.OnsiteInspection
	if !readJSON(w, r, &in) {
		return
	}
	day, err := c.Validate(&in, s.nowFunc())
	if err != nil {
		s.storeError(w, err)
		return
	}
	rec, fs := records.OnsiteRecords(in, day)
	ctx, cancel := s.ctx(r)
	defer cancel()
	out, kids, err := s.store.CreateRecords(ctx, who.User, rec, fs)
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"inspection": out, "findings": kids})
	s.refreshOps(r.Context(), s.nowFunc())
}

func (s *server) listFindings(w http.ResponseWriter, r *http.Request, _ identity) {
	status := r.URL.Query().Get("status")
	if status != "" && status != "open" && status != "closed" {
		writeError(w, http.StatusBadRequest, "status: want open or closed")
		return
	}
	limit, err := parseLimit(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	rs, err := s.store.FindRecords(ctx, records.RecordFilter{Kind: records.KindFinding, Limit: limit})
	if err != nil {
		s.storeError(w, err)
		return
	}
	out := []records.Record{}
	for _, rec := range rs {
		var f records.Finding
		if status != "" && (json.Unmarshal(rec.Body, &f) != nil || (f.Status == "closed") != (status == "closed")) {
			continue
		}
		out = append(out, rec)
	}
	writeJSON(w, http.StatusOK, map[string]any{"findings": out})
}

func (s *server) createRepair(w http.ResponseWriter, r *http.Request, who identity) {
	var in struct {
		Unit        string    `json:"unit"`
		Description string    `json:"description"`
		SwapAt      time.Time `json:"swapAt"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	rp, err := records.NewRepair(s.cfg.cal, in.Unit, in.Description, in.SwapAt, s.nowFunc())
	if err != nil {
		s.storeError(w, err)
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	rec, err := s.store.CreateRecord(ctx, who.User, records.RepairRecord(rp))
	if err != nil {
		s.storeError(w, err)
		return
	}
	v, err := records.ViewRepair(s.cfg.cal, rec, s.nowFunc())
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, v)
	s.refreshOps(r.Context(), s.nowFunc())
}

func (s *server) listRepairs(w http.ResponseWriter, r *http.Request, _ identity) {
	status := r.URL.Query().Get("status")
	if status != "" && status != records.RepairOpen && status != records.RepairOverdue && status != records.RepairDone {
		writeError(w, http.StatusBadRequest, "status: want open, overdue or done")
		return
	}
	limit, err := parseLimit(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	rs, err := s.store.FindRecords(ctx, records.RecordFilter{Kind: records.KindRepair, Limit: limit})
	if err != nil {
		s.storeError(w, err)
		return
	}
	out := []records.RepairView{}
	now := s.nowFunc()
	for _, rec := range rs {
		v, err := records.ViewRepair(s.cfg.cal, rec, now)
		if err != nil || (status != "" && v.Status != status) {
			continue
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"repairs": out})
}

func (s *server) repairRecord(w http.ResponseWriter, r *http.Request) (records.Record, bool) {
	id, ok := pathID(w, r)
	if !ok {
		return records.Record{}, false
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	rec, err := s.store.GetRecord(ctx, id)
	if err == nil && rec.Kind != records.KindRepair {
		err = fmt.Errorf("record %d is a %s, not a repair: %w", id, rec.Kind, records.ErrNotFound)
	}
	if err != nil {
		s.storeError(w, err)
		return rec, false
	}
	return rec, true
}

func (s *server) getRepair(w http.ResponseWriter, r *http.Request, _ identity) {
	rec, ok := s.repairRecord(w, r)
	if !ok {
		return
	}
	v, err := records.ViewRepair(s.cfg.cal, rec, s.nowFunc())
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *server) reinstall(w http.ResponseWriter, r *http.Request, who identity) {
	var in struct {
		ReinstalledAt time.Time `json:"reinstalledAt"`
		Note          string    `json:"note"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	rec, ok := s.repairRecord(w, r)
	if !ok {
		return
	}
	body, err := records.Reinstall(rec, in.ReinstalledAt, in.Note, s.nowFunc())
	if err != nil {
		s.storeError(w, err)
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	upd, err := s.store.UpdateRecord(ctx, who.User, rec.ID, rec.Title, body)
	if err != nil {
		s.storeError(w, err)
		return
	}
	v, err := records.ViewRepair(s.cfg.cal, upd, s.nowFunc())
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
	s.refreshOps(r.Context(), s.nowFunc())
}

func (s *server) createIncident(w http.ResponseWriter, r *http.Request, who identity) {
	var in records.Incident
	if !readJSON(w, r, &in) {
		return
	}
	if err := in.Validate(s.nowFunc()); err != nil {
		s.storeError(w, err)
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	rec, err := s.store.CreateRecord(ctx, who.User, records.IncidentRecord(in))
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, rec)
	s.refreshOps(r.Context(), s.nowFunc())
}

// listIncidents: all (newest first), by status, or the one of an entity and
// start (ns, entity, start: the report engine's identity).
func (s *server) listIncidents(w http.ResponseWriter, r *http.Request, _ identity) {
	q := r.URL.Query()
	status := q.Get("status")
	if status != "" && status != records.IncidentOpen && status != records.IncidentRectifying && status != records.IncidentClosed {
		writeError(w, http.StatusBadRequest, "status: want open, rectifying or closed")
		return
	}
	f := records.RecordFilter{Kind: records.KindIncident}
	if q.Get("ns") != "" || q.Get("entity") != "" || q.Get("start") != "" {
		start, err := parseTimeParam(r, "start")
		if err != nil || start.IsZero() || q.Get("ns") == "" || q.Get("entity") == "" {
			writeError(w, http.StatusBadRequest, "ns, entity and start (RFC 3339) go together")
			return
		}
		f.Ref = records.IncidentRef(q.Get("ns"), q.Get("entity"), start)
	}
	var err error
	if f.Limit, err = parseLimit(r); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	rs, err := s.store.FindRecords(ctx, f)
	if err != nil {
		s.storeError(w, err)
		return
	}
	out := []records.Record{}
	for _, rec := range rs {
		var in records.Incident
		if status != "" && (json.Unmarshal(rec.Body, &in) != nil || in.Status != status) {
			continue
		}
		out = append(out, rec)
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": out})
}

// ---------------------------------------------------------------- guards on the generic record routes

// typedKind: records of these kinds are written through their own routes
// only (the server computes their slots, deadlines and verdicts).
func typedKind(kind string) string {
	switch kind {
	case records.KindRemoteInspection:
		return "remote inspections are written by the recorder's scheduler"
	case records.KindOnsiteInspection:
		return "use POST /api/v1/inspections/onsite"
	case records.KindRepair:
		return "use POST /api/v1/repairs and POST /api/v1/repairs/{id}/reinstall"
	case records.KindIncident:
		return "use POST /api/v1/incidents"
	case eval.KindSystemVersion:
		return "use POST /api/v1/eval/systems (role Admin): the indicator system is parsed and checked there, and a stored version never changes"
	}
	return ""
}

// typedBody validates a new body for an update or amendment of rec and
// returns it normalised (labels and counts filled in); other kinds pass.
// actor (the authenticated user) is the default author of a manual score.
func (s *server) typedBody(ctx context.Context, actor string, rec records.Record, body json.RawMessage) (json.RawMessage, error) {
	switch rec.Kind {
	case records.KindOnsiteInspection:
		c := s.cfg.Inspections.Onsite.check
		if c == nil {
			return nil, fmt.Errorf("%w: on-site inspections are not configured", records.ErrInvalid)
		}
		var in records.OnsiteInspection
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return nil, fmt.Errorf("%w: on-site inspection body: %v", records.ErrInvalid, err)
		}
		if _, err := c.Validate(&in, s.nowFunc()); err != nil {
			return nil, err
		}
		var orig records.OnsiteInspection
		if json.Unmarshal(rec.Body, &orig) == nil && orig.Date != in.Date {
			return nil, fmt.Errorf("%w: date %s: this inspection is for %s", records.ErrInvalid, in.Date, orig.Date)
		}
		return json.Marshal(in)
	case records.KindFinding:
		var f, old records.Finding
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("%w: finding body: %v", records.ErrInvalid, err)
		}
		if err := json.Unmarshal(rec.Body, &old); err != nil {
			return nil, fmt.Errorf("finding %d: stored body: %v", rec.ID, err)
		}
		if err := f.ValidateUpdate(old); err != nil {
			return nil, err
		}
		return json.Marshal(f)
	case records.KindIncident:
		var in records.Incident
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return nil, fmt.Errorf("%w: incident body: %v", records.ErrInvalid, err)
		}
		if err := in.Validate(s.nowFunc()); err != nil {
			return nil, err
		}
		if rec.Ref != nil && records.IncidentRef(in.NS, in.Entity, in.Start) != *rec.Ref {
			return nil, fmt.Errorf("%w: ns, entity and start identify the incident (%s): they cannot change", records.ErrInvalid, *rec.Ref)
		}
		return json.Marshal(in)
	case records.KindRemoteInspection, records.KindRepair, eval.KindSystemVersion:
		return nil, fmt.Errorf("%w: a %s cannot be edited here: %s", records.ErrInvalid, rec.Kind, typedKind(rec.Kind))
	case records.KindHandover:
		return records.HandoverBody(body, s.nowFunc())
	case eval.KindManualScore:
		return eval.ManualScoreBody(ctx, s.store, actor, body, s.nowFunc())
	}
	return body, nil
}

// findingBody validates a finding entered through POST /api/v1/records
// (e.g. from an alert): a Finding, what was found given by the caller.
func findingBody(body json.RawMessage) (json.RawMessage, error) {
	var f records.Finding
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: finding body: %v", records.ErrInvalid, err)
	}
	if strings.TrimSpace(f.Source) == "" || strings.TrimSpace(f.Label) == "" {
		return nil, fmt.Errorf("%w: finding: source (e.g. alert) and label are required", records.ErrInvalid)
	}
	if err := f.ValidateUpdate(f); err != nil {
		return nil, err
	}
	return json.Marshal(f)
}

// reviewerMayNotSign: an on-site inspection is signed off by its reviewer.
func reviewerMayNotSign(rec records.Record, user string) error {
	if rec.Kind != records.KindOnsiteInspection {
		return nil
	}
	var in records.OnsiteInspection
	if err := json.Unmarshal(rec.Body, &in); err != nil {
		return err
	}
	if in.Reviewer != user && "grafana:"+in.Reviewer != user {
		return fmt.Errorf("on-site inspection %d names reviewer %q: only the reviewer signs it off (you are %s)", rec.ID, in.Reviewer, user)
	}
	return nil
}
