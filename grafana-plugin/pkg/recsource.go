package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/jianguan/jianguan/internal/eval"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/report/recdocs"
)

// recorderSource is the operations-records store as jianguan-recorder's API
// shows it, read-only, as the plugin's own service identity (login
// serviceLogin, role Viewer): the records sections of the monthly reports
// (巡检, 整改, 告警统计), the documents from the records (duty logs, incident
// reports) and the assessment's manual scores and record figures read it
// exactly as jianguan-report --records.db reads the store, so the plugin's
// documents are the CLI's.
//
// Bounds: each call is callRecorder's (answer ≤ maxRecorderAnswer, refused
// whole when larger; recorderCallTimeout); a list asks for at most
// records.MaxListLimit rows and an answer with more rows than asked is an
// error; the callers (recdocs, eval) bound how many calls a document makes.
type recorderSource struct{ a *App }

// serviceLogin is the plugin's identity towards the recorder when it reads
// for a document (never a write).
const serviceLogin = "jianguan-report-app"

var (
	_ recdocs.Source = recorderSource{}
	_ eval.Reader    = recorderSource{}
)

// records is the records source when jsonData.recorderUrl and the proxy
// secret are set; nil otherwise (the sections then say 未配置记录库).
func (a *App) records() *recorderSource {
	if a.s.RecorderURL == "" || a.recorderSecret == "" {
		return nil
	}
	return &recorderSource{a}
}

// get reads one answer of the records API into v.
func (s recorderSource) get(ctx context.Context, path string, q url.Values, v any) error {
	code, _, body, err := s.a.callRecorder(ctx, http.MethodGet, path, q.Encode(), nil, serviceLogin, roleRead)
	if err != nil {
		return errors.New(s.a.scrub(err.Error()))
	}
	if code != http.StatusOK {
		var e apiError
		_ = json.Unmarshal(body, &e)
		if e.Error == "" {
			e.Error = string(bytes.TrimSpace(body))
		}
		err := fmt.Errorf("records service: GET %s answered %d: %s", path, code, e.Error)
		if code == http.StatusNotFound {
			err = fmt.Errorf("%w: %w", records.ErrNotFound, err)
		}
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("records service: GET %s: %w", path, err)
	}
	return nil
}

// limitParam sets limit (0: the store's default) and returns how many rows
// the answer may have.
func limitParam(q url.Values, limit int) int {
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if limit <= 0 || limit > records.MaxListLimit {
		return records.MaxListLimit
	}
	return limit
}

func timeParam(q url.Values, name string, t time.Time) {
	if !t.IsZero() {
		q.Set(name, t.Format(time.RFC3339Nano))
	}
}

func tooMany(path string, got, limit int) error {
	return fmt.Errorf("records service: GET %s answered %d rows, more than the %d asked for", path, got, limit)
}

// ListAlerts is records.Store.ListAlerts (GET /alerts).
func (s recorderSource) ListAlerts(ctx context.Context, f records.AlertFilter) ([]records.Alert, error) {
	q := url.Values{}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	timeParam(q, "since", f.Since)
	timeParam(q, "until", f.Until)
	n := limitParam(q, f.Limit)
	var out struct {
		Alerts []records.Alert `json:"alerts"`
	}
	if err := s.get(ctx, "alerts", q, &out); err != nil {
		return nil, err
	}
	if len(out.Alerts) > n {
		return nil, tooMany("alerts", len(out.Alerts), n)
	}
	return out.Alerts, nil
}

// GetAlert is records.Store.GetAlert (GET /alerts/{id}).
func (s recorderSource) GetAlert(ctx context.Context, id int64) (records.Alert, error) {
	var a records.Alert
	err := s.get(ctx, "alerts/"+strconv.FormatInt(id, 10), nil, &a)
	return a, err
}

// GetRecord is records.Store.GetRecord (GET /records/{id}).
func (s recorderSource) GetRecord(ctx context.Context, id int64) (records.Record, error) {
	var r records.Record
	if err := s.get(ctx, "records/"+strconv.FormatInt(id, 10), nil, &r); err != nil {
		return r, err
	}
	return r, compactBody(&r)
}

// ListRecords is records.Store.ListRecords (GET /records).
func (s recorderSource) ListRecords(ctx context.Context, kind string, limit int) ([]records.Record, error) {
	q := url.Values{}
	if kind != "" {
		q.Set("kind", kind)
	}
	return s.list(ctx, "records", q, limitParam(q, limit))
}

// FindRecords is records.Store.FindRecords (GET /records/find).
func (s recorderSource) FindRecords(ctx context.Context, f records.RecordFilter) ([]records.Record, error) {
	q := url.Values{}
	if f.Kind != "" {
		q.Set("kind", f.Kind)
	}
	if f.ParentID != 0 {
		q.Set("parentId", strconv.FormatInt(f.ParentID, 10))
	}
	timeParam(q, "slotSince", f.SlotSince)
	timeParam(q, "slotUntil", f.SlotUntil)
	if f.Ref != "" {
		q.Set("ref", f.Ref)
	}
	return s.list(ctx, "records/find", q, limitParam(q, f.Limit))
}

func (s recorderSource) list(ctx context.Context, path string, q url.Values, n int) ([]records.Record, error) {
	var out struct {
		Records []records.Record `json:"records"`
	}
	if err := s.get(ctx, path, q, &out); err != nil {
		return nil, err
	}
	if len(out.Records) > n {
		return nil, tooMany(path, len(out.Records), n)
	}
	for i := range out.Records {
		if err := compactBody(&out.Records[i]); err != nil {
			return nil, err
		}
	}
	return out.Records, nil
}

// compactBody undoes the API's indentation of a record's body: the store
// hands out the body as stored (compact JSON).
func compactBody(r *records.Record) error {
	if len(r.Body) == 0 {
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, r.Body); err != nil {
		return fmt.Errorf("records service: record %d: body: %w", r.ID, err)
	}
	r.Body = b.Bytes()
	return nil
}
