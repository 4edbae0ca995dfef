package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/backend/resource/httpadapter"

	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
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
}

// App is one app instance (per org settings).
type App struct {
	backend.CallResourceHandler
	s           Settings
	password    string // secureJsonData.basicAuthPassword
	bearerToken string // secureJsonData.bearerToken
	now         func() time.Time
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
	if a.s.TimeoutSeconds <= 0 {
		a.s.TimeoutSeconds = 60
	}
	if a.s.MonthsOffered <= 0 {
		a.s.MonthsOffered = 13
	}
	if a.s.SnapshotDir == "" {
		a.s.SnapshotDir = "/var/lib/grafana/jianguan-report/snapshots"
	}
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

func (a *App) client() *promapi.Client {
	c := promapi.New(a.s.PrometheusURL)
	c.Username, c.Password, c.BearerToken = a.s.BasicAuthUser, a.password, a.bearerToken
	c.Timeout = time.Duration(a.s.TimeoutSeconds * float64(time.Second))
	return c
}

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
	return c
}

// offeredMonths are the last N complete months.
func (a *App) offeredMonths() []report.Month {
	now := a.now().In(report.Shanghai)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, report.Shanghai)
	var ms []report.Month
	for i := 1; i <= a.s.MonthsOffered; i++ {
		s := first.AddDate(0, -i, 0)
		ms = append(ms, report.Month{Label: s.Format("2006-01"), Start: s, End: s.AddDate(0, 1, 0)})
	}
	return ms
}

func (a *App) snapshotPath(kind, month string) string {
	return filepath.Join(a.s.SnapshotDir, kind, month+".json")
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
	}
	msg := a.scrub(err.Error())
	if code != http.StatusBadRequest {
		msg = "no report was produced: " + msg
	}
	log.DefaultLogger.Warn("report request failed", "status", code, "error", msg)
	writeJSON(w, code, apiError{Error: msg})
}

// scrub removes secrets from any message.
func (a *App) scrub(s string) string {
	for _, sec := range []string{a.password, a.bearerToken} {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "<redacted>")
		}
	}
	return s
}

// route dispatches resources (no ServeMux: it would redirect "/../").
func (a *App) route(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.Contains(p, ".."):
		writeJSON(w, http.StatusBadRequest, apiError{"invalid path"})
	case p == "/reports" || p == "/reports/":
		a.handleList(w, r)
	case strings.HasPrefix(p, "/reports/"):
		a.handleReport(w, r)
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
	var out struct {
		Kinds   []string `json:"kinds"`
		Formats []string `json:"formats"`
		Months  []month  `json:"months"`
	}
	out.Kinds, out.Formats = report.Kinds, report.Formats
	for _, m := range a.offeredMonths() {
		x := month{Month: m.Label, Start: m.Start.Format(time.RFC3339), End: m.End.Format(time.RFC3339), Frozen: map[string]bool{}}
		for _, k := range report.Kinds {
			_, err := os.Stat(a.snapshotPath(k, m.Label))
			x.Frozen[k] = err == nil
		}
		out.Months = append(out.Months, x)
	}
	writeJSON(w, http.StatusOK, out)
}

var reportPath = regexp.MustCompile(`^/reports/([^/]+)/([^/]+?)(?:\.([a-z]+)|/(freeze))$`)

// filterParams are the query parameters accepted as label filters; their
// values are escaped by the engine.
var filterParams = []string{"site", "room", "provider", "unit", "line", "kind", "system"}

func (a *App) handleReport(w http.ResponseWriter, r *http.Request) {
	m := reportPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		writeJSON(w, http.StatusBadRequest, apiError{"want /reports/{kind}/{YYYY-MM}.{html,pdf,csv,xlsx,json} or POST /reports/{kind}/{YYYY-MM}/freeze"})
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
	month, err := report.ParseMonth(monthS, report.Shanghai, a.now())
	if err != nil {
		a.fail(w, err)
		return
	}
	cfg := a.config()
	cfg.Filter = map[string]string{}
	for _, p := range filterParams {
		if v := r.URL.Query().Get(p); v != "" {
			cfg.Filter[p] = v
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Duration(a.s.TimeoutSeconds*float64(time.Second)))
	defer cancel()
	if freeze {
		if r.Method != http.MethodPost {
			writeJSON(w, http.StatusMethodNotAllowed, apiError{"freeze needs POST"})
			return
		}
		if len(cfg.Filter) > 0 {
			writeJSON(w, http.StatusBadRequest, apiError{"a frozen month covers all entities: no filters"})
			return
		}
		p := a.snapshotPath(kind, month.Label)
		if _, err := os.Stat(p); err == nil {
			writeJSON(w, http.StatusConflict, apiError{fmt.Sprintf("%s %s is already frozen", kind, month.Label)})
			return
		}
		d, err := report.Build(ctx, a.client(), cfg, kind, month)
		if err != nil {
			a.fail(w, err)
			return
		}
		b, err := report.Freeze(d, a.now())
		if err != nil {
			a.fail(w, err)
			return
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			writeJSON(w, http.StatusInternalServerError, apiError{"cannot create snapshot directory: " + err.Error()})
			return
		}
		tmp := p + ".tmp"
		if err := os.WriteFile(tmp, b, 0o644); err != nil || os.Rename(tmp, p) != nil {
			writeJSON(w, http.StatusInternalServerError, apiError{"cannot write snapshot"})
			return
		}
		fd, _ := report.Thaw(b)
		writeJSON(w, http.StatusOK, map[string]string{"kind": kind, "month": month.Label, "sha256": fd.Frozen.SHA256, "frozenAt": fd.Frozen.FrozenAt})
		return
	}
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, apiError{"use GET"})
		return
	}
	var d *report.Document
	if b, err := os.ReadFile(a.snapshotPath(kind, month.Label)); err == nil && len(cfg.Filter) == 0 {
		d, err = report.Thaw(b)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, apiError{"frozen snapshot is damaged: " + err.Error()})
			return
		}
	} else {
		d, err = report.Build(ctx, a.client(), cfg, kind, month)
		if err != nil {
			a.fail(w, err)
			return
		}
	}
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
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="jianguan-%s-%s.%s"`, kind, month.Label, format))
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
var neededMetrics = []string{"line_observed_seconds_total", "line_down_seconds_total", "host_observed_seconds_total",
	"website_observed_seconds_total", "env_condition_observed_seconds_total"}

// startTimeMetrics let the engine find counter resets without reading every
// sample (exporters before they existed still give exact, slower reports).
var startTimeMetrics = []string{"line_start_time_seconds", "host_start_time_seconds", "website_start_time_seconds", "env_condition_start_time_seconds"}

// CheckHealth: Prometheus reachable, needed metrics exist, retention covers
// the months offered.
func (a *App) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	if a.s.PrometheusURL == "" {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: "prometheusUrl is not configured"}, nil
	}
	c := a.client()
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
			days(ret), covered, len(months), oldest.Label, days(now.Sub(oldest.Start))))
	}
	if status == backend.HealthStatusOk {
		msgs = append([]string{fmt.Sprintf("Prometheus reachable; metrics present; retention %s covers the %d months offered", days(ret), len(months))}, msgs...)
	}
	if len(noStart) > 0 && len(missing) == 0 {
		msgs = append(msgs, "no "+strings.Join(noStart, ", ")+" (exporters older than jianguan's counter start time): reports stay exact but read every sample of those entities and are slower; upgrade the exporters")
	}
	details, _ := json.Marshal(map[string]any{"missing": missing, "missingStartTime": noStart, "retention": days(ret), "monthsOffered": len(months)})
	return &backend.CheckHealthResult{Status: status, Message: strings.Join(msgs, "; "), JSONDetails: details}, nil
}

func days(d time.Duration) string { return fmt.Sprintf("%dd", int(math.Ceil(d.Hours()/24))) }
