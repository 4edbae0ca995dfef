package main

import (
	"bytes"
	"context"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jianguan/jianguan/internal/eval"
	"github.com/jianguan/jianguan/internal/records"
)

//go:embed openapi.yaml
var openapiYAML []byte

// Trusted-header authentication (the Grafana plugin): all three headers, the
// secret compared in constant time. See docs/records.md.
const (
	headerSecret = "X-Jianguan-Proxy-Secret"
	headerUser   = "X-Jianguan-User"
	headerRole   = "X-Jianguan-Role"
)

const maxJSONBody = 512 << 10 // acknowledgements and records (record bodies are ≤ 256 KiB)

// At most maxInFlight API requests are handled at once (memory: each holds at
// most one body, ≤ webhook.max_body_bytes); a request waits up to
// inFlightWait for a slot, then gets 503 (Alertmanager retries).
const (
	maxInFlight  = 32
	inFlightWait = 10 * time.Second
)

var roleRank = map[string]int{records.RoleViewer: 1, records.RoleEditor: 2, records.RoleAdmin: 3}

type identity struct {
	User string // as stored in history: "alice", or "grafana:alice"
	Role string
}

type server struct {
	cfg    *Config
	store  records.Store
	spool  *spool
	logger *slog.Logger

	webhooks   *prometheus.CounterVec
	replayed   *prometheus.CounterVec
	denied     *prometheus.CounterVec
	dbUp       prometheus.Gauge
	spoolFiles prometheus.GaugeFunc
	spoolBytes prometheus.GaugeFunc
	replayMu   sync.Mutex
	replayKick chan struct{}
	nowFunc    func() time.Time
	slots      chan struct{} // in-flight API requests, capacity maxInFlight
	slotWait   time.Duration
	ops        *opsMetrics
	sched      *scheduler // nil: no remote inspections configured
}

type route struct {
	method, path, role string
	h                  func(w http.ResponseWriter, r *http.Request, id identity)
}

func newServer(cfg *Config, st records.Store, sp *spool, logger *slog.Logger, reg prometheus.Registerer) *server {
	s := &server{cfg: cfg, store: st, spool: sp, logger: logger, replayKick: make(chan struct{}, 1), nowFunc: nowMS,
		slots: make(chan struct{}, maxInFlight), slotWait: inFlightWait}
	s.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jianguan_recorder_webhooks_total",
		Help: "Alertmanager webhook deliveries by result (stored, duplicate, spooled, invalid, too_large, spool_full)."}, []string{"result"})
	s.replayed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jianguan_recorder_spool_replayed_total",
		Help: "Spooled notifications replayed into the database by result (stored, duplicate, rejected)."}, []string{"result"})
	s.denied = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jianguan_recorder_requests_denied_total",
		Help: "API requests refused by reason (unauthenticated, forbidden, busy)."}, []string{"reason"})
	s.dbUp = prometheus.NewGauge(prometheus.GaugeOpts{Name: "jianguan_recorder_database_up", Help: "1 if the last database operation succeeded."})
	s.spoolFiles = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jianguan_recorder_spool_files", Help: "Notifications waiting in the spool."},
		func() float64 { f, _ := sp.usage(); return float64(f) })
	s.spoolBytes = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jianguan_recorder_spool_bytes", Help: "Bytes waiting in the spool."},
		func() float64 { _, b := sp.usage(); return float64(b) })
	reg.MustRegister(s.webhooks, s.replayed, s.denied, s.dbUp, s.spoolFiles, s.spoolBytes)
	for _, r := range []string{"stored", "duplicate", "spooled", "invalid", "too_large", "spool_full"} {
		s.webhooks.WithLabelValues(r)
	}
	for _, r := range []string{"stored", "duplicate", "rejected"} {
		s.replayed.WithLabelValues(r)
	}
	s.dbUp.Set(1)
	s.ops = newOpsMetrics(reg)
	s.sched = newScheduler(s)
	return s
}

// routes is the whole API; TestOpenAPICoversRoutes checks it against openapi.yaml.
func (s *server) routes() []route {
	return []route{
		{"POST", "/api/v1/alertmanager", records.RoleEditor, s.webhook},
		{"GET", "/api/v1/alerts", records.RoleViewer, s.listAlerts},
		{"GET", "/api/v1/alerts/{id}", records.RoleViewer, s.getAlert},
		{"POST", "/api/v1/alerts/{id}/ack", records.RoleEditor, s.ack},
		{"GET", "/api/v1/alerts/{id}/history", records.RoleViewer, s.history("alert")},
		{"GET", "/api/v1/notifications", records.RoleViewer, s.listNotifications},
		{"GET", "/api/v1/records", records.RoleViewer, s.listRecords},
		{"POST", "/api/v1/records", records.RoleEditor, s.createRecord},
		{"GET", "/api/v1/records/find", records.RoleViewer, s.findRecords},
		{"GET", "/api/v1/records/{id}", records.RoleViewer, s.getRecord},
		{"PUT", "/api/v1/records/{id}", records.RoleEditor, s.updateRecord},
		{"POST", "/api/v1/records/{id}/sign-off", records.RoleAdmin, s.signOff},
		{"POST", "/api/v1/records/{id}/amend", records.RoleEditor, s.amend},
		{"GET", "/api/v1/records/{id}/history", records.RoleViewer, s.history("record")},
		{"GET", "/api/v1/checklists", records.RoleViewer, s.checklists},
		{"GET", "/api/v1/inspections", records.RoleViewer, s.listInspections},
		{"POST", "/api/v1/inspections/onsite", records.RoleEditor, s.createOnsite},
		{"POST", "/api/v1/inspections/remote", records.RoleAdmin, s.runRemote},
		{"GET", "/api/v1/findings", records.RoleViewer, s.listFindings},
		{"GET", "/api/v1/repairs", records.RoleViewer, s.listRepairs},
		{"POST", "/api/v1/repairs", records.RoleEditor, s.createRepair},
		{"GET", "/api/v1/repairs/{id}", records.RoleViewer, s.getRepair},
		{"POST", "/api/v1/repairs/{id}/reinstall", records.RoleEditor, s.reinstall},
		{"GET", "/api/v1/incidents", records.RoleViewer, s.listIncidents},
		{"POST", "/api/v1/incidents", records.RoleEditor, s.createIncident},
		{"POST", "/api/v1/eval/systems", records.RoleAdmin, s.saveSystem},
		{"GET", "/api/v1/whoami", records.RoleViewer, s.whoami},
		{"GET", "/api/v1/openapi.yaml", records.RoleViewer, s.openapi},
	}
}

func (s *server) register(mux *http.ServeMux) {
	for _, rt := range s.routes() {
		mux.HandleFunc(rt.method+" "+rt.path, func(w http.ResponseWriter, r *http.Request) {
			id, err := s.identify(r)
			if err != nil {
				s.denied.WithLabelValues("unauthenticated").Inc()
				w.Header().Set("WWW-Authenticate", `Basic realm="jianguan-recorder"`)
				writeError(w, http.StatusUnauthorized, err.Error())
				return
			}
			if roleRank[id.Role] < roleRank[rt.role] {
				s.denied.WithLabelValues("forbidden").Inc()
				writeError(w, http.StatusForbidden, fmt.Sprintf("%s needs role %s; %s has %s", rt.method+" "+rt.path, rt.role, id.User, id.Role))
				return
			}
			wait := time.NewTimer(s.slotWait)
			defer wait.Stop()
			select {
			case s.slots <- struct{}{}:
				defer func() { <-s.slots }()
			case <-wait.C:
				s.denied.WithLabelValues("busy").Inc()
				writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("more than %d requests in flight", maxInFlight))
				return
			case <-r.Context().Done():
				return
			}
			rt.h(w, r, id)
		})
	}
}

// identify: trusted header (Grafana plugin) if its secret header is present,
// else the basic-auth user (password already checked by exporter-toolkit),
// else the anonymous role.
func (s *server) identify(r *http.Request) (identity, error) {
	if got := r.Header.Get(headerSecret); got != "" {
		want := s.cfg.Auth.TrustedHeader.secret.Value()
		if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return identity{}, errors.New("trusted header: wrong or unconfigured secret")
		}
		user, role := r.Header.Get(headerUser), r.Header.Get(headerRole)
		if user == "" || len(user) > 128 || !utf8.ValidString(user) || strings.ContainsAny(user, "\x00\r\n") {
			return identity{}, errors.New("trusted header: " + headerUser + " must be 1–128 characters")
		}
		if !validRole(role) {
			return identity{}, fmt.Errorf("trusted header: %s %q: want Viewer, Editor or Admin", headerRole, role)
		}
		return identity{User: "grafana:" + user, Role: role}, nil
	}
	if user, _, ok := r.BasicAuth(); ok {
		role, known := s.cfg.Auth.Users[user]
		if !known {
			return identity{}, fmt.Errorf("user %q has no role in the recorder configuration", user)
		}
		return identity{User: user, Role: role}, nil
	}
	if s.cfg.Auth.AnonymousRole != "" {
		return identity{User: "anonymous", Role: s.cfg.Auth.AnonymousRole}, nil
	}
	return identity{}, errors.New("authentication required")
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// storeError maps store errors to HTTP; database failures are 503 (retry).
func (s *server) storeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, records.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, records.ErrSignedOff), errors.Is(err, records.ErrExists):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, records.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		s.dbUp.Set(0)
		s.logger.Error("database", "err", err)
		writeError(w, http.StatusServiceUnavailable, "database unavailable")
	}
}

func (s *server) ctx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), storeTimeout)
}

func pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "id must be a positive integer")
		return 0, false
	}
	return id, true
}

// readJSON decodes a bounded JSON body strictly (unknown fields are errors).
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", maxJSONBody))
		} else {
			writeError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		}
		return false
	}
	return true
}

// ---------------------------------------------------------------- webhook

func (s *server) webhook(w http.ResponseWriter, r *http.Request, id identity) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.Webhook.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.webhooks.WithLabelValues("too_large").Inc()
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than webhook.max_body_bytes (%d)", s.cfg.Webhook.MaxBodyBytes))
			return
		}
		writeError(w, http.StatusBadRequest, "reading body: "+err.Error())
		return
	}
	n, err := decodeWebhook(body)
	if err != nil {
		s.webhooks.WithLabelValues("invalid").Inc()
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	n.ReceivedAt, n.ReceivedBy = s.nowFunc(), id.User
	ctx, cancel := s.ctx(r)
	defer cancel()
	res, err := s.store.Ingest(ctx, n, s.cfg.Webhook.DedupWindow)
	switch {
	case err == nil:
		s.dbUp.Set(1)
		result := "stored"
		if res.Duplicate {
			result = "duplicate"
		}
		s.webhooks.WithLabelValues(result).Inc()
		writeJSON(w, http.StatusOK, map[string]any{"result": result, "notificationId": res.NotificationID, "alertIds": res.AlertIDs})
		return
	case errors.Is(err, records.ErrInvalid):
		s.webhooks.WithLabelValues("invalid").Inc()
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.dbUp.Set(0)
	s.logger.Warn("database unavailable, spooling the notification", "err", err, "groupKey", n.GroupKey)
	if serr := s.spool.put(n); serr != nil {
		s.webhooks.WithLabelValues("spool_full").Inc()
		s.logger.Error("cannot spool the notification; Alertmanager will retry", "err", serr)
		writeError(w, http.StatusServiceUnavailable, "database unavailable and spool not writable: "+serr.Error())
		return
	}
	s.webhooks.WithLabelValues("spooled").Inc()
	writeJSON(w, http.StatusOK, map[string]any{"result": "spooled"})
}

// decodeWebhook parses and validates one Alertmanager payload.
func decodeWebhook(body []byte) (*records.Notification, error) {
	if !utf8.Valid(body) {
		return nil, errors.New("body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var n records.Notification
	if err := dec.Decode(&n); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if dec.More() {
		return nil, errors.New("invalid JSON: more than one value")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid JSON: trailing data")
	}
	n.ID, n.ReceivedAt, n.ReceivedBy = 0, time.Time{}, "" // never taken from the sender
	if err := n.Validate(); err != nil {
		return nil, err
	}
	return &n, nil
}

// replayLoop drains the spool into the database every interval (and when kicked).
func (s *server) replayLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.Spool.ReplayInterval)
	defer t.Stop()
	for {
		if l, ok := s.store.(*lazyStore); ok {
			if err := l.ensure(ctx); err != nil {
				s.dbUp.Set(0)
				s.logger.Warn("records database still unavailable", "err", err)
			}
		}
		s.replay(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.replayKick:
		}
	}
}

// replay stores spooled notifications oldest first; it stops at the first
// database error. A notification stored but not yet removed when the process
// dies is found again as a duplicate (same key and receive time), never twice.
func (s *server) replay(ctx context.Context) {
	s.replayMu.Lock()
	defer s.replayMu.Unlock()
	names, err := s.spool.list()
	if err != nil {
		s.logger.Error("spool", "err", err)
		return
	}
	for _, name := range names {
		if ctx.Err() != nil {
			return
		}
		n, err := s.spool.read(name)
		if err == nil {
			err = n.Validate()
		}
		if err != nil {
			s.logger.Error("unusable spool file kept aside", "file", name, "err", err)
			s.replayed.WithLabelValues("rejected").Inc()
			_ = s.spool.remove(name, true)
			continue
		}
		c, cancel := context.WithTimeout(ctx, storeTimeout)
		res, err := s.store.Ingest(c, n, s.cfg.Webhook.DedupWindow)
		cancel()
		if errors.Is(err, records.ErrInvalid) {
			s.logger.Error("spooled notification rejected by the store, kept aside", "file", name, "err", err)
			s.replayed.WithLabelValues("rejected").Inc()
			_ = s.spool.remove(name, true)
			continue
		}
		if err != nil {
			s.dbUp.Set(0)
			return
		}
		s.dbUp.Set(1)
		result := "stored"
		if res.Duplicate {
			result = "duplicate"
		}
		s.replayed.WithLabelValues(result).Inc()
		if err := s.spool.remove(name, false); err != nil {
			s.logger.Error("spool", "err", err)
			return
		}
	}
}

// ---------------------------------------------------------------- alerts

func (s *server) listAlerts(w http.ResponseWriter, r *http.Request, _ identity) {
	var f records.AlertFilter
	f.Status = r.URL.Query().Get("status")
	if f.Status != "" && f.Status != "firing" && f.Status != "resolved" {
		writeError(w, http.StatusBadRequest, "status: want firing or resolved")
		return
	}
	sp, err := parseSpan(r, "since", "until")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	f.Since, f.Until, f.Limit = sp.since, sp.until, sp.limit
	ctx, cancel := s.ctx(r)
	defer cancel()
	as, err := s.store.ListAlerts(ctx, f)
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": as})
}

func (s *server) getAlert(w http.ResponseWriter, r *http.Request, _ identity) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	a, err := s.store.GetAlert(ctx, id)
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *server) ack(w http.ResponseWriter, r *http.Request, who identity) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var body struct {
		Note string `json:"note"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	k, err := s.store.Acknowledge(ctx, id, who.User, body.Note, s.nowFunc())
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, k)
}

func (s *server) history(entity string) func(http.ResponseWriter, *http.Request, identity) {
	return func(w http.ResponseWriter, r *http.Request, _ identity) {
		id, ok := pathID(w, r)
		if !ok {
			return
		}
		ctx, cancel := s.ctx(r)
		defer cancel()
		h, err := s.store.History(ctx, entity, id)
		if err != nil {
			s.storeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"history": h})
	}
}

func (s *server) listNotifications(w http.ResponseWriter, r *http.Request, _ identity) {
	limit, err := parseLimit(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	ns, err := s.store.ListNotifications(ctx, limit)
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": ns})
}

// ---------------------------------------------------------------- records

type recordInput struct {
	Kind    string          `json:"kind"`
	AlertID *int64          `json:"alertId"`
	Title   string          `json:"title"`
	Body    json.RawMessage `json:"body"`
}

func (s *server) listRecords(w http.ResponseWriter, r *http.Request, _ identity) {
	limit, err := parseLimit(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	rs, err := s.store.ListRecords(ctx, r.URL.Query().Get("kind"), limit)
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": rs})
}

// findRecords is records.Store.FindRecords: records by kind, parent, slot
// range and ref, newest slot (then newest record) first — what the documents
// built from the records read (the Grafana plugin's records source).
func (s *server) findRecords(w http.ResponseWriter, r *http.Request, _ identity) {
	q := r.URL.Query()
	f := records.RecordFilter{Kind: q.Get("kind"), Ref: q.Get("ref")}
	var err error
	if v := q.Get("parentId"); v != "" {
		if f.ParentID, err = strconv.ParseInt(v, 10, 64); err != nil || f.ParentID <= 0 {
			writeError(w, http.StatusBadRequest, "parentId "+strconv.Quote(v)+": want a positive integer")
			return
		}
	}
	sp, err := parseSpan(r, "slotSince", "slotUntil")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	f.SlotSince, f.SlotUntil, f.Limit = sp.since, sp.until, sp.limit
	ctx, cancel := s.ctx(r)
	defer cancel()
	rs, err := s.store.FindRecords(ctx, f)
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": rs})
}

func (s *server) createRecord(w http.ResponseWriter, r *http.Request, who identity) {
	var in recordInput
	if !readJSON(w, r, &in) {
		return
	}
	if why := typedKind(in.Kind); why != "" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("kind %s: %s", in.Kind, why))
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	if in.Kind == records.KindFinding || in.Kind == records.KindHandover || in.Kind == eval.KindManualScore {
		var err error
		switch in.Kind {
		case records.KindFinding:
			in.Body, err = findingBody(in.Body)
		case records.KindHandover:
			in.Body, err = records.HandoverBody(in.Body, s.nowFunc())
		default:
			in.Body, err = eval.ManualScoreBody(ctx, s.store, who.User, in.Body, s.nowFunc())
		}
		if err != nil {
			s.storeError(w, err)
			return
		}
	}
	rec, err := s.store.CreateRecord(ctx, who.User, records.Record{Kind: in.Kind, AlertID: in.AlertID, Title: in.Title, Body: in.Body})
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, rec)
}

// saveSystem stores a version of the evaluation indicator system
// (eval.SaveSystem: parsed and checked; a stored version never changes — the
// same content again is a no-op, other content under the same version is a
// conflict). Role Admin: the system decides every provider's score.
func (s *server) saveSystem(w http.ResponseWriter, r *http.Request, who identity) {
	var in struct {
		File string `json:"file"`
		YAML string `json:"yaml"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	if in.File == "" || strings.ContainsAny(in.File, "/\\\n") || len(in.File) > 128 {
		writeError(w, http.StatusBadRequest, "file: the indicator system's file name (no path, ≤ 128 bytes) is required; errors name it")
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	sys, err := eval.SaveSystem(ctx, s.store, who.User, in.File, []byte(in.YAML))
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": sys.Version, "appliesFrom": sys.AppliesFrom, "status": sys.Status, "sha256": sys.SHA256})
}

func (s *server) getRecord(w http.ResponseWriter, r *http.Request, _ identity) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	rec, err := s.store.GetRecord(ctx, id)
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *server) updateRecord(w http.ResponseWriter, r *http.Request, who identity) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in struct {
		Title string          `json:"title"`
		Body  json.RawMessage `json:"body"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	old, err := s.store.GetRecord(ctx, id)
	if err == nil {
		in.Body, err = s.typedBody(ctx, who.User, old, in.Body)
	}
	if err != nil {
		s.storeError(w, err)
		return
	}
	rec, err := s.store.UpdateRecord(ctx, who.User, id, in.Title, in.Body)
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *server) signOff(w http.ResponseWriter, r *http.Request, who identity) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	old, err := s.store.GetRecord(ctx, id)
	if err != nil {
		s.storeError(w, err)
		return
	}
	if err := reviewerMayNotSign(old, who.User); err != nil {
		writeError(w, http.StatusForbidden, err.Error())
		return
	}
	rec, err := s.store.SignOff(ctx, who.User, id, s.nowFunc())
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *server) amend(w http.ResponseWriter, r *http.Request, who identity) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in struct {
		AlertID *int64          `json:"alertId"`
		Title   string          `json:"title"`
		Body    json.RawMessage `json:"body"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	old, err := s.store.GetRecord(ctx, id)
	if err == nil {
		in.Body, err = s.typedBody(ctx, who.User, old, in.Body)
	}
	if err != nil {
		s.storeError(w, err)
		return
	}
	rec, err := s.store.Amend(ctx, who.User, id, records.Record{AlertID: in.AlertID, Title: in.Title, Body: in.Body})
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, rec)
}

func (s *server) whoami(w http.ResponseWriter, _ *http.Request, id identity) {
	writeJSON(w, http.StatusOK, map[string]string{"user": id.User, "role": id.Role})
}

func (s *server) openapi(w http.ResponseWriter, _ *http.Request, _ identity) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(openapiYAML)
}

// ready: the recorder can take webhooks when the database answers or the
// spool has room.
func (s *server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err == nil {
		s.dbUp.Set(1)
		fmt.Fprintln(w, "Ready")
		return
	}
	s.dbUp.Set(0)
	if f, b := s.spool.usage(); f < s.cfg.Spool.MaxFiles && b < s.cfg.Spool.MaxBytes {
		fmt.Fprintln(w, "Ready (database unavailable, spooling)")
		return
	}
	http.Error(w, "database unavailable and spool full", http.StatusServiceUnavailable)
}
