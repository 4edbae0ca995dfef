package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/backend/resource/httpadapter"
	"github.com/prometheus/common/version"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/eval"
	"github.com/jianguan/jianguan/internal/metricnames"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/report/recdocs"
	"github.com/jianguan/jianguan/internal/report/snapshot"
)

// Settings is the app's jsonData.
type Settings struct {
	PrometheusURL     string          `json:"prometheusUrl"`
	BasicAuthUser     string          `json:"basicAuthUser"`
	TimeoutSeconds    float64         `json:"timeoutSeconds"`
	SLATarget         float64         `json:"slaTarget"`
	MaintenancePolicy string          `json:"maintenancePolicy"`
	Weights           *report.Weights `json:"weights"`
	Organisation      string          `json:"organisation"`
	SnapshotDir       string          `json:"snapshotDir"`
	ChromiumPath      string          `json:"chromiumPath"`
	MonthsOffered     int             `json:"monthsOffered"`
	// Memory bounds of the Prometheus client (one per app instance, shared
	// by every request of the organisation): the largest answer read, MiB,
	// and the queries in flight at once.
	MaxAnswerMiB         int64 `json:"maxAnswerMiB"`
	MaxConcurrentQueries int   `json:"maxConcurrentQueries"`
	// JSONDecoder selects the decoder of Prometheus answers: "fast" (the
	// default, "") or "std" (encoding/json alone; the same series, about
	// 3× the CPU: docs/fastpaths.md), as jianguan-report
	// --prometheus.json-decoder.
	JSONDecoder string `json:"jsonDecoder"`
	// RecorderURL is jianguan-recorder's base URL (the records API the
	// pages read and write through /recorder/…; see recorder.go).
	RecorderURL string `json:"recorderUrl"`
	// EvaluationConfig is the indicator system (evaluation.yml, path on the
	// Grafana server; docs/evaluation.md). When set, the providers report
	// shows the assessment by it, as jianguan-report --evaluation.config
	// does, instead of the former score table; an invalid file fails the
	// instance with file:line. The plugin has no records store: manual
	// indicators are 无法评价 (as jianguan-report without --records.db).
	EvaluationConfig string `json:"evaluationConfig"`
	// ServiceStart is the contract's 服务期 start (YYYY-MM-DD; one year
	// from it, as reports.yml's service_start): the period "service" and
	// its summary documents; empty: not offered.
	ServiceStart string `json:"serviceStart"`
	// CalendarFile is calendar.yml (path on the Grafana server): the guard
	// periods (重保时期) of the 《重保保障工作报告》 (GET /documents/guard…)
	// and the guard days the duty documents mark; an invalid file fails
	// the instance with file:line. Empty: no guard periods.
	CalendarFile string `json:"calendarFile"`

	service *calendar.Service // from ServiceStart (validate)
}

// Bounds of the settings (NewApp refuses values outside them; 0 or absent
// means the default).
const (
	defaultTimeoutSeconds = 60
	maxTimeoutSeconds     = 600
	defaultMonthsOffered  = 13
	maxMonthsOffered      = 120
)

// validate applies defaults and checks every bound, with messages that name
// the setting.
func (s *Settings) validate() error {
	switch {
	case s.TimeoutSeconds == 0:
		s.TimeoutSeconds = defaultTimeoutSeconds
	case !(s.TimeoutSeconds >= 1 && s.TimeoutSeconds <= maxTimeoutSeconds):
		return fmt.Errorf("jsonData.timeoutSeconds = %v: want 1 … %d seconds (default %d)", s.TimeoutSeconds, maxTimeoutSeconds, defaultTimeoutSeconds)
	}
	switch {
	case s.MonthsOffered == 0:
		s.MonthsOffered = defaultMonthsOffered
	case s.MonthsOffered < 1 || s.MonthsOffered > maxMonthsOffered:
		return fmt.Errorf("jsonData.monthsOffered = %d: want 1 … %d (default %d)", s.MonthsOffered, maxMonthsOffered, defaultMonthsOffered)
	}
	switch {
	case s.MaxAnswerMiB == 0:
		s.MaxAnswerMiB = promapi.DefaultMaxAnswerBytes >> 20
	case s.MaxAnswerMiB < 1 || s.MaxAnswerMiB > promapi.MaxMaxAnswerBytes>>20:
		return fmt.Errorf("jsonData.maxAnswerMiB = %d: want 1 … %d (default %d)", s.MaxAnswerMiB, promapi.MaxMaxAnswerBytes>>20, promapi.DefaultMaxAnswerBytes>>20)
	}
	switch {
	case s.MaxConcurrentQueries == 0:
		s.MaxConcurrentQueries = promapi.DefaultMaxConcurrent
	case s.MaxConcurrentQueries < 1 || s.MaxConcurrentQueries > promapi.MaxMaxConcurrent:
		return fmt.Errorf("jsonData.maxConcurrentQueries = %d: want 1 … %d (default %d)", s.MaxConcurrentQueries, promapi.MaxMaxConcurrent, promapi.DefaultMaxConcurrent)
	}
	dec, err := promapi.ParseJSONDecoder(s.JSONDecoder)
	if err != nil {
		return fmt.Errorf("jsonData.jsonDecoder = %q: want %q (default) or %q", s.JSONDecoder, promapi.JSONFast, promapi.JSONStd)
	}
	s.JSONDecoder = dec
	if s.SLATarget != 0 && !(s.SLATarget > 0 && s.SLATarget < 1) {
		return fmt.Errorf("jsonData.slaTarget = %v: want a fraction strictly between 0 and 1, e.g. 0.9999", s.SLATarget)
	}
	if err := s.validateRecorder(); err != nil {
		return err
	}
	if s.SnapshotDir == "" {
		s.SnapshotDir = "/var/lib/grafana/jianguan-report/snapshots"
	}
	if s.ServiceStart != "" {
		d, err := calendar.ParseDate(s.ServiceStart)
		if err != nil {
			return fmt.Errorf("jsonData.serviceStart = %q: %w", s.ServiceStart, err)
		}
		svc, err := calendar.NewService(d, time.Time{})
		if err != nil {
			return fmt.Errorf("jsonData.serviceStart = %q: %w", s.ServiceStart, err)
		}
		s.service = &svc
	}
	return nil
}

// App is one app instance (per org settings).
type App struct {
	backend.CallResourceHandler
	s           Settings
	password    string // secureJsonData.basicAuthPassword
	bearerToken string // secureJsonData.bearerToken
	now         func() time.Time
	prom        *promapi.Client // shared: its concurrency bound holds for the whole instance
	store       snapshot.Store
	ev          *eval.Evaluator    // jsonData.evaluationConfig; nil: the former score table
	calendar    *calendar.Calendar // jsonData.calendarFile; nil: none

	// secureJsonData.recorderProxySecret and .recorderPassword (recorder.go)
	recorderSecret, recorderPassword string
}

var (
	_ backend.CallResourceHandler   = (*App)(nil)
	_ backend.CheckHealthHandler    = (*App)(nil)
	_ instancemgmt.InstanceDisposer = (*App)(nil)
)

// NewApp is the instance factory.
func NewApp(_ context.Context, st backend.AppInstanceSettings) (instancemgmt.Instance, error) {
	a := &App{now: time.Now}
	if len(st.JSONData) > 0 {
		if err := json.Unmarshal(st.JSONData, &a.s); err != nil {
			return nil, fmt.Errorf("invalid jsonData: %v", err)
		}
	}
	a.password = st.DecryptedSecureJSONData["basicAuthPassword"]
	a.bearerToken = st.DecryptedSecureJSONData["bearerToken"]
	a.recorderSecret = st.DecryptedSecureJSONData["recorderProxySecret"]
	a.recorderPassword = st.DecryptedSecureJSONData["recorderPassword"]
	if err := a.s.validate(); err != nil {
		return nil, err
	}
	a.prom = a.newClient()
	if a.s.EvaluationConfig != "" {
		sys, err := eval.Load(a.s.EvaluationConfig)
		if err != nil {
			return nil, fmt.Errorf("jsonData.evaluationConfig: %w", err)
		}
		a.ev = &eval.Evaluator{File: sys, Querier: a.prom}
		if rs := a.records(); rs != nil {
			// Manual scores, stored system versions and the records
			// figures, as jianguan-report --records.db reads them.
			a.ev.Store = rs
		}
	}
	if a.s.CalendarFile != "" {
		c, err := calendar.Load(a.s.CalendarFile)
		if err != nil {
			return nil, fmt.Errorf("jsonData.calendarFile: %w", err)
		}
		a.calendar = c
	}
	a.store = snapshot.Store{Dir: a.s.SnapshotDir}
	if v := os.Getenv("JIANGUAN_REPORT_NOW"); v != "" { // tests only: pin the clock
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			a.now = func() time.Time { return t }
		}
	}
	a.CallResourceHandler = httpadapter.New(http.HandlerFunc(a.route))
	return a, nil
}

// Dispose implements instancemgmt.InstanceDisposer. The PDF browser is
// shared by every instance (see browsers) and closed at process shutdown.
func (a *App) Dispose() {}

// rendererSet holds one persistent headless Chromium per configured path for
// the whole plugin process: instances (one per org and settings version)
// share it, so a settings change does not kill a render in flight. main
// closes them all when the plugin shuts down.
type rendererSet struct {
	mu     sync.Mutex
	m      map[string]*report.PDFRenderer
	closed bool
}

var browsers = &rendererSet{m: map[string]*report.PDFRenderer{}}

// get returns the renderer for a Chromium path (the browser itself starts on
// the first PDF).
func (s *rendererSet) get(chromium string) *report.PDFRenderer {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.m[chromium]
	if p == nil {
		p = report.NewPDFRenderer(chromium, 2)
		if !s.closed {
			s.m[chromium] = p
		} else {
			p.Close() // shutting down: renders fail rather than start a browser
		}
	}
	return p
}

// closeAll kills every browser and removes their temporary directories.
func (s *rendererSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, p := range s.m {
		p.Close()
		delete(s.m, k)
	}
	s.closed = true
}

func (a *App) newClient() *promapi.Client {
	c := promapi.New(a.s.PrometheusURL)
	c.Username, c.Password, c.BearerToken = a.s.BasicAuthUser, a.password, a.bearerToken
	c.Timeout = time.Duration(a.s.TimeoutSeconds * float64(time.Second))
	c.MaxAnswerBytes, c.MaxConcurrent, c.JSON = a.s.MaxAnswerMiB<<20, a.s.MaxConcurrentQueries, a.s.JSONDecoder
	return c
}

// client is the instance's Prometheus client.
func (a *App) client() *promapi.Client { return a.prom }

func (a *App) config() report.Config {
	c := report.DefaultConfig()
	if a.s.SLATarget > 0 {
		c.SLATarget = a.s.SLATarget
	}
	if a.s.MaintenancePolicy != "" {
		c.MaintenancePolicy = a.s.MaintenancePolicy
	}
	if a.s.Weights != nil {
		c.Weights = *a.s.Weights
	}
	c.Organisation = a.s.Organisation
	c.Now = a.now
	c.Frozen = a.store // 环比 reads a signed-off previous period from its snapshot
	if a.ev != nil {
		c.Evaluator = a.ev
	}
	return c
}

// offeredMonths are the last N complete months, newest first.
func (a *App) offeredMonths() []calendar.Period {
	m, _ := calendar.LastComplete(calendar.KindMonth, a.now())
	ms := make([]calendar.Period, 0, a.s.MonthsOffered)
	for i := 0; i < a.s.MonthsOffered; i++ {
		ms = append(ms, m)
		m = m.Previous()
	}
	return ms
}

// offeredPeriods are the periods the report page lists: the current month
// (a 截至 draft), the complete months offered, the current and the last
// quarter, the current and the last year, and the service period when
// configured (any other period, e.g. a range, is asked for with ?period=).
func (a *App) offeredPeriods() []calendar.Period {
	now := a.now()
	cur, _ := calendar.Current(calendar.KindMonth, now)
	out := append([]calendar.Period{cur}, a.offeredMonths()...)
	for _, k := range []calendar.Kind{calendar.KindQuarter, calendar.KindYear} {
		c, _ := calendar.Current(k, now)
		out = append(out, c, c.Previous())
	}
	if svc := a.s.service; svc != nil && now.After(svc.Start) {
		out = append(out, svc.Period())
	}
	return out
}

// period is the report period of a request: the parameter period (month
// accepted as its alias), else the path's {period} segment; any form
// calendar.ParsePeriod accepts ("service": jsonData.serviceStart).
func (a *App) period(r *http.Request, seg string) (calendar.Period, error) {
	s := r.URL.Query().Get("period")
	if s == "" {
		s = r.URL.Query().Get("month")
	}
	if s == "" {
		s = seg
	}
	if s == "" {
		return calendar.Period{}, report.Errorf(report.ErrBadRequest, "no period: give /reports/{kind}/{period}.{format} or ?period= (e.g. 2026-10, 2026-Q4, 2026, service, 2026-11-03..2026-11-17)")
	}
	return report.ParsePeriod(s, a.s.service, a.now())
}

// Grafana organisation roles, lowest first; the plugin checks the role
// Grafana sends in the PluginContext of every call (User.Role).
var roleRank = map[string]int{"Viewer": 1, "Editor": 2, "Admin": 3}

// Roles needed: reading reports is for Viewers, freezing a month (signing it
// off) for Admins.
const (
	roleRead   = "Viewer"
	roleFreeze = "Admin"
)

// authorize answers 403 unless the caller's org role is at least need.
func authorize(w http.ResponseWriter, r *http.Request, need, what string) bool {
	role := ""
	if u := backend.PluginConfigFromContext(r.Context()).User; u != nil {
		role = u.Role
	}
	if roleRank[role] >= roleRank[need] {
		return true
	}
	have := role
	if have == "" {
		have = "none"
	}
	writeJSON(w, http.StatusForbidden, apiError{fmt.Sprintf("forbidden: %s needs the Grafana organisation role %s or higher (your role: %s) / 权限不足：%s需要 %s 角色", what, need, have, what, need)})
	return false
}

type apiError struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, _ := json.MarshalIndent(v, "", "  ")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(b)
}

func (a *App) fail(w http.ResponseWriter, err error) {
	code := http.StatusBadGateway
	switch report.KindOf(err) {
	case report.ErrBadRequest:
		code = http.StatusBadRequest
	case report.ErrTimeout:
		code = http.StatusGatewayTimeout
	case report.ErrNoData:
		code = http.StatusNotFound
	}
	msg := a.scrub(err.Error())
	if code != http.StatusBadRequest {
		msg = "no report was produced: " + msg
	}
	log.DefaultLogger.Warn("report request failed", "status", code, "error", msg)
	writeJSON(w, code, apiError{Error: msg})
}

// scrub removes secrets from any message: the password, the token and the
// Authorization header values built from them (basic auth's base64 of
// user:password, which an upstream error may quote).
func (a *App) scrub(s string) string {
	return promapi.Scrub(s, append(a.client().Secrets(), a.password, a.bearerToken, a.recorderSecret, a.recorderPassword)...)
}

// route dispatches resources (no ServeMux: it would redirect "/../").
func (a *App) route(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if !authorize(w, r, roleRead, "reading reports") {
		return
	}
	switch {
	case strings.Contains(p, ".."):
		writeJSON(w, http.StatusBadRequest, apiError{"invalid path"})
	case strings.HasPrefix(p, "/recorder/"):
		a.handleRecorder(w, r)
	case p == "/reports" || p == "/reports/":
		a.handleList(w, r)
	case strings.HasPrefix(p, "/reports/"):
		a.handleReport(w, r)
	case strings.HasPrefix(p, "/narrative/"):
		a.handleNarrative(w, r)
	case strings.HasPrefix(p, "/evaluation/"):
		a.handleEvaluation(w, r)
	case strings.HasPrefix(p, "/documents/"):
		a.handleDocument(w, r)
	default:
		writeJSON(w, http.StatusNotFound, apiError{"unknown resource; see GET /reports"})
	}
}

func (a *App) handleList(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, apiError{"use GET"})
		return
	}
	type month struct {
		Month  string          `json:"month"`
		Start  string          `json:"start"`
		End    string          `json:"end"`
		Frozen map[string]bool `json:"frozen"`
	}
	type period struct {
		Period string          `json:"period"` // ?period= value
		Kind   string          `json:"kind"`
		Label  string          `json:"label"`
		Start  string          `json:"start"`
		End    string          `json:"end"`
		Draft  bool            `json:"draft"` // unfinished: 截至 …, cannot be frozen
		Frozen map[string]bool `json:"frozen"`
	}
	var out struct {
		Kinds     []string `json:"kinds"`
		Formats   []string `json:"formats"`
		Months    []month  `json:"months"`
		Periods   []period `json:"periods"`
		CanFreeze bool     `json:"canFreeze"` // the caller's role may freeze
	}
	out.Kinds, out.Formats = report.Kinds, report.Formats
	if u := backend.PluginConfigFromContext(r.Context()).User; u != nil {
		out.CanFreeze = roleRank[u.Role] >= roleRank[roleFreeze]
	}
	for _, m := range a.offeredMonths() {
		x := month{Month: m.String(), Start: m.Start.Format(time.RFC3339), End: m.End.Format(time.RFC3339), Frozen: map[string]bool{}}
		for _, k := range report.Kinds {
			x.Frozen[k] = a.store.Exists(k, snapshot.Name(m))
		}
		out.Months = append(out.Months, x)
	}
	for _, p := range a.offeredPeriods() {
		x := period{Period: p.String(), Kind: string(p.Kind), Label: docfmt.PeriodLabel(p, docfmt.ZH), Start: p.Start.Format(time.RFC3339),
			End: p.End.Format(time.RFC3339), Draft: !p.IsComplete(a.now()), Frozen: map[string]bool{}}
		for _, k := range report.Kinds {
			x.Frozen[k] = a.store.Exists(k, snapshot.Name(p))
		}
		out.Periods = append(out.Periods, x)
	}
	writeJSON(w, http.StatusOK, out)
}

// reportPath is /reports/{kind}/{period}.{format}, POST
// /reports/{kind}/{period}/freeze, or without {period} when ?period= gives
// it (a range's ".." cannot be in a path).
var reportPath = regexp.MustCompile(`^/reports/([^/.]+)(?:/([^/]+?))?(?:\.([a-z]+)|/(freeze))$`)

// filterParams are the query parameters accepted as label filters; their
// values are escaped by the engine.
var filterParams = []string{"site", "room", "provider", "unit", "line", "kind", "system"}

func (a *App) handleReport(w http.ResponseWriter, r *http.Request) {
	m := reportPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		writeJSON(w, http.StatusBadRequest, apiError{"want /reports/{kind}/{period}.{html,pdf,csv,xlsx,json} or POST /reports/{kind}/{period}/freeze (period: YYYY-MM, YYYY-Qn, YYYY, service; or ?period=, e.g. a range 2026-11-03..2026-11-17)"})
		return
	}
	kind, monthS, format, freeze := m[1], m[2], m[3], m[4] != ""
	if err := report.ValidKind(kind); err != nil {
		a.fail(w, err)
		return
	}
	if !freeze {
		if err := report.ValidFormat(format); err != nil {
			a.fail(w, err)
			return
		}
	}
	month, err := a.period(r, monthS)
	if err != nil {
		a.fail(w, err)
		return
	}
	name := snapshot.Name(month) // the snapshot's and narrative's file name
	cfg := a.config()
	cfg.Filter = map[string]string{}
	for _, p := range filterParams {
		if v := r.URL.Query().Get(p); v != "" {
			cfg.Filter[p] = v
		}
	}
	if v := r.URL.Query().Get("lang"); v != "" {
		// One language per document (a frozen month keeps its own).
		l, err := docfmt.ParseLang(v)
		if err != nil {
			a.fail(w, report.Errorf(report.ErrBadRequest, "lang: %v", err))
			return
		}
		cfg.Lang = l
	}
	if !a.narrate(w, &cfg, kind, name) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Duration(a.s.TimeoutSeconds*float64(time.Second)))
	defer cancel()
	if freeze {
		if r.Method != http.MethodPost {
			writeJSON(w, http.StatusMethodNotAllowed, apiError{"freeze needs POST"})
			return
		}
		if !authorize(w, r, roleFreeze, "freezing a month") {
			return
		}
		if len(cfg.Filter) > 0 {
			writeJSON(w, http.StatusBadRequest, apiError{"a frozen month covers all entities: no filters"})
			return
		}
		if !month.IsComplete(a.now()) { // a 截至 draft is never signed off
			writeJSON(w, http.StatusConflict, apiError{fmt.Sprintf("%s %s: %s", kind, name, report.NewDraftError(month, a.now()).Error())})
			return
		}
		// The store shared with the CLI: once, atomically; a frozen month
		// is refused with its SHA-256.
		res, err := a.store.Freeze(ctx, kind, name, func(ctx context.Context) (*report.Document, error) {
			return a.buildMonthly(ctx, cfg, kind, month)
		}, a.now())
		var fe *snapshot.FrozenError
		var ue *snapshot.UnfilledError
		switch {
		case errors.As(err, &fe):
			writeJSON(w, http.StatusConflict, map[string]string{"error": fmt.Sprintf("%s %s: %s", kind, name, fe.Error()), "sha256": fe.SHA256, "frozenAt": fe.FrozenAt})
			return
		case errors.As(err, &ue):
			writeJSON(w, http.StatusConflict, apiError{fmt.Sprintf("%s %s: %s", kind, name, ue.Error())})
			return
		case errors.As(err, new(*report.DraftError)):
			writeJSON(w, http.StatusConflict, apiError{fmt.Sprintf("%s %s: %s", kind, name, err.Error())})
			return
		case err != nil && (errors.As(err, new(*report.Error)) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)):
			a.fail(w, err)
			return
		case err != nil:
			writeJSON(w, http.StatusInternalServerError, apiError{"cannot freeze: " + a.scrub(err.Error())})
			return
		}
		out := map[string]string{"kind": kind, "month": name, "sha256": res.SHA256, "frozenAt": res.FrozenAt, "frozenBy": backend.PluginConfigFromContext(r.Context()).User.Login}
		if err := a.recordFreeze(context.WithoutCancel(ctx), r, kind, name, res.SHA256, res.FrozenAt); err != nil {
			out["warning"] = "frozen, but who froze it was not recorded: " + err.Error()
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, apiError{"use GET"})
		return
	}
	var d *report.Document
	if len(cfg.Filter) == 0 {
		d, err = a.store.Load(kind, name)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			writeJSON(w, http.StatusInternalServerError, apiError{"frozen snapshot is damaged: " + err.Error()})
			return
		}
	}
	if d == nil {
		d, err = a.buildMonthly(ctx, cfg, kind, month)
		if err != nil {
			a.fail(w, err)
			return
		}
	}
	a.writeDocument(w, d, format, kind+"-"+name)
}

// writeDocument renders d in format and sends it as the attachment
// jianguan-{stem}.{format}.
func (a *App) writeDocument(w http.ResponseWriter, d *report.Document, format, stem string) {
	var out bytes.Buffer
	if format == "pdf" {
		pctx, pcancel := context.WithTimeout(context.Background(), 120*time.Second)
		defer pcancel()
		b, err := browsers.get(a.s.ChromiumPath).RenderPDF(pctx, d)
		if err != nil {
			if report.KindOf(err) == report.ErrTimeout {
				a.fail(w, err)
				return
			}
			writeJSON(w, http.StatusInternalServerError, apiError{"PDF rendering failed: " + err.Error()})
			return
		}
		out.Write(b)
	} else if err := report.Render(&out, d, format); err != nil {
		writeJSON(w, http.StatusInternalServerError, apiError{"rendering failed: " + err.Error()})
		return
	}
	w.Header().Set("Content-Type", report.ContentType(format))
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="jianguan-%s.%s"`, stem, format))
	w.WriteHeader(http.StatusOK)
	// gRPC's default client limit is 4 MiB: send ≤ 1 MiB per message.
	b := out.Bytes()
	fl, _ := w.(http.Flusher)
	for len(b) > 0 {
		n := len(b)
		if n > 1<<20 {
			n = 1 << 20
		}
		w.Write(b[:n])
		b = b[n:]
		if fl != nil {
			fl.Flush()
		}
	}
}

// neededMetrics must exist for the reports to be meaningful.
var neededMetrics = []string{metricnames.Line.Observed(), metricnames.Line.Down(), metricnames.Host.Observed(),
	metricnames.Website.Observed(), metricnames.EnvCondition.Observed()}

// startTimeMetrics let the engine find counter resets without reading every
// sample (exporters before they existed still give exact, slower reports).
var startTimeMetrics = []string{metricnames.Line.StartTime(), metricnames.Host.StartTime(), metricnames.Website.StartTime(),
	metricnames.EnvCondition.StartTime()}

// CheckHealth: Prometheus reachable, needed metrics exist, retention covers
// the months offered.
func (a *App) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	if a.s.PrometheusURL == "" {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: "prometheusUrl is not configured"}, nil
	}
	c := a.newClient()
	c.Timeout = 10 * time.Second
	now := a.now()
	if _, err := c.Query(ctx, "vector(1)", now); err != nil {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: a.scrub(err.Error())}, nil
	}
	// The series API reads the index, not 40 days of samples.
	present := func(names []string) ([]string, error) {
		var missing []string
		for _, m := range names {
			res, err := c.Series(ctx, m, now.Add(-40*24*time.Hour), now)
			if err != nil {
				return nil, err
			}
			if len(res) == 0 {
				missing = append(missing, m)
			}
		}
		return missing, nil
	}
	missing, err := present(neededMetrics)
	if err != nil {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: a.scrub(err.Error())}, nil
	}
	noStart, err := present(startTimeMetrics)
	if err != nil {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: a.scrub(err.Error())}, nil
	}
	months := a.offeredMonths()
	oldest := months[len(months)-1]
	ret, err := c.Retention(ctx)
	var msgs []string
	status := backend.HealthStatusOk
	if len(missing) > 0 {
		sort.Strings(missing)
		status = backend.HealthStatusError
		msgs = append(msgs, "metrics missing: "+strings.Join(missing, ", "))
	}
	if err != nil {
		msgs = append(msgs, "retention unknown: "+a.scrub(err.Error()))
	} else if now.Sub(oldest.Start) > ret {
		covered := 0
		for _, m := range months {
			if now.Sub(m.Start) <= ret {
				covered++
			}
		}
		status = backend.HealthStatusError
		msgs = append(msgs, fmt.Sprintf("retention %s covers only %d of the %d months offered (oldest %s needs %v); raise --storage.tsdb.retention.time, use remote storage, or freeze months in time",
			days(ret), covered, len(months), oldest.String(), days(now.Sub(oldest.Start))))
	}
	if status == backend.HealthStatusOk {
		msgs = append([]string{fmt.Sprintf("Prometheus reachable; metrics present; retention %s covers the %d months offered", days(ret), len(months))}, msgs...)
	}
	if len(noStart) > 0 && len(missing) == 0 {
		msgs = append(msgs, "no "+strings.Join(noStart, ", ")+" (exporters older than jianguan's counter start time): reports stay exact but read every sample of those entities and are slower; upgrade the exporters")
	}
	// The plugin's own version and revision (make plugin stamps them with
	// -ldflags, issue 24 item 3), first in the message and in the details.
	msgs = append([]string{"jianguan " + version.Version + " (revision " + version.Revision + ")"}, msgs...)
	details, _ := json.Marshal(map[string]any{"missing": missing, "missingStartTime": noStart, "retention": days(ret), "monthsOffered": len(months),
		"version": version.Version, "revision": version.Revision})
	return &backend.CheckHealthResult{Status: status, Message: strings.Join(msgs, "; "), JSONDetails: details}, nil
}

func days(d time.Duration) string { return fmt.Sprintf("%dd", int(math.Ceil(d.Hours()/24))) }

// buildMonthly is a monthly report with its records sections (巡检, 整改,
// 告警统计): read from jianguan-recorder's API when jsonData.recorderUrl is
// set (recsource.go: the sections jianguan-report --records.db writes), else
// each says 未配置记录库 (report.AddRecordSections) rather than vanish.
func (a *App) buildMonthly(ctx context.Context, cfg report.Config, kind string, month calendar.Period) (*report.Document, error) {
	d, err := report.Build(ctx, a.client(), cfg, kind, month)
	if err != nil {
		return nil, err
	}
	var rs report.RecordSections
	if src := a.records(); src != nil {
		rs = recdocs.Monthly{Src: src}
	}
	return d, report.AddRecordSections(ctx, d, rs)
}
