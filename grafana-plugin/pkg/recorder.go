package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
)

// The app's pages read and write operations records (inspections, duty,
// incidents, rectification, evaluation scores) through the plugin backend,
// which forwards them to jianguan-recorder's records API as the Grafana
// user. The role is checked HERE, before anything is forwarded (Viewer
// reads, Editor enters, Admin signs off); the recorder checks it again.
//
//	/recorder/{path}  →  {recorderUrl}/api/v1/{path}
//
// Only the routes in recorderRoutes are forwarded (the Alertmanager webhook
// and anything unknown answer 404).

// Bounds of a forwarded call.
const (
	maxRecorderRequest  = 512 << 10 // the recorder's own JSON body limit
	maxRecorderAnswer   = 16 << 20  // an answer larger than this is refused (502), never truncated
	recorderCallTimeout = 30 * time.Second
)

// Trusted headers of the recorder (docs/records.md).
const (
	hdrProxySecret = "X-Jianguan-Proxy-Secret"
	hdrUser        = "X-Jianguan-User"
	hdrRole        = "X-Jianguan-Role"
)

// Roles needed to enter records and to sign them off.
const (
	roleEnter   = "Editor"
	roleSignOff = "Admin"
)

type recorderRoute struct {
	method string
	path   *regexp.Regexp // of the part after /recorder/
	role   string
	what   string // the action, for the 403 message
}

// recorderRoutes mirror the recorder's routes (cmd/jianguan-recorder
// server.go) and their roles, minus the Alertmanager webhook.
var recorderRoutes = func() []recorderRoute {
	id := `[1-9][0-9]{0,18}`
	r := func(method, path, role, what string) recorderRoute {
		return recorderRoute{method, regexp.MustCompile(`^` + strings.ReplaceAll(path, "{id}", id) + `$`), role, what}
	}
	return []recorderRoute{
		r("GET", "alerts", roleRead, "reading alerts"),
		r("GET", "alerts/{id}", roleRead, "reading alerts"),
		r("GET", "alerts/{id}/history", roleRead, "reading alerts"),
		r("POST", "alerts/{id}/ack", roleEnter, "acknowledging an alert"),
		r("GET", "notifications", roleRead, "reading notifications"),
		r("GET", "records", roleRead, "reading records"),
		r("POST", "records", roleEnter, "entering a record"),
		r("GET", "records/{id}", roleRead, "reading records"),
		r("PUT", "records/{id}", roleEnter, "editing a record"),
		r("POST", "records/{id}/sign-off", roleSignOff, "signing a record off"),
		r("POST", "records/{id}/amend", roleEnter, "amending a record"),
		r("GET", "records/{id}/history", roleRead, "reading records"),
		r("GET", "checklists", roleRead, "reading checklists"),
		r("GET", "inspections", roleRead, "reading inspections"),
		r("POST", "inspections/onsite", roleEnter, "entering an on-site inspection"),
		r("GET", "findings", roleRead, "reading findings"),
		r("GET", "repairs", roleRead, "reading repairs"),
		r("POST", "repairs", roleEnter, "entering a repair"),
		r("GET", "repairs/{id}", roleRead, "reading repairs"),
		r("POST", "repairs/{id}/reinstall", roleEnter, "entering a reinstallation"),
		r("GET", "incidents", roleRead, "reading incidents"),
		r("POST", "incidents", roleEnter, "entering an incident"),
		r("GET", "whoami", roleRead, "reading your identity"),
	}
}()

// validateRecorder checks the records API's settings (jsonData.recorderUrl;
// secureJsonData.recorderProxySecret, and recorderPassword when the
// recorder's web config asks for basic auth as user "grafana").
func (s *Settings) validateRecorder() error {
	if s.RecorderURL == "" {
		return nil
	}
	u, err := url.Parse(s.RecorderURL)
	if err == nil && u.User != nil {
		// Not echoed: the URL carries a password.
		return errors.New("jsonData.recorderUrl carries credentials: remove them (the proxy secret and password go in secureJsonData)")
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("jsonData.recorderUrl = %q: want http(s)://host:port of jianguan-recorder, without credentials (they go in secureJsonData)", s.RecorderURL)
	}
	return nil
}

// handleRecorder checks the role for the route, then forwards the call.
func (a *App) handleRecorder(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/recorder/")
	var rt *recorderRoute
	pathKnown := false
	for i := range recorderRoutes {
		if recorderRoutes[i].path.MatchString(rest) {
			pathKnown = true
			if recorderRoutes[i].method == r.Method {
				rt = &recorderRoutes[i]
				break
			}
		}
	}
	switch {
	case !pathKnown:
		writeJSON(w, http.StatusNotFound, apiError{"unknown resource /recorder/" + rest + ": not a records API route (see cmd/jianguan-recorder/openapi.yaml)"})
		return
	case rt == nil:
		writeJSON(w, http.StatusMethodNotAllowed, apiError{"method " + r.Method + " not allowed on /recorder/" + rest})
		return
	}
	if !authorize(w, r, rt.role, rt.what) {
		return
	}
	pc := backend.PluginConfigFromContext(r.Context())
	login := ""
	if pc.User != nil {
		login = pc.User.Login
	}
	if login == "" {
		writeJSON(w, http.StatusForbidden, apiError{"forbidden: the Grafana request carries no user login, so nothing can be recorded as its author / 无法确定当前用户"})
		return
	}
	if a.s.RecorderURL == "" || a.recorderSecret == "" {
		writeJSON(w, http.StatusServiceUnavailable, apiError{"records are not configured: set jsonData.recorderUrl and secureJsonData.recorderProxySecret / 未配置记录服务"})
		return
	}
	var body []byte
	if r.Method != http.MethodGet {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxRecorderRequest+1))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, apiError{"reading the request: " + err.Error()})
			return
		}
		if len(b) > maxRecorderRequest {
			writeJSON(w, http.StatusRequestEntityTooLarge, apiError{fmt.Sprintf("request body larger than %d KiB", maxRecorderRequest>>10)})
			return
		}
		body = b
	}
	code, hdr, out, err := a.callRecorder(r.Context(), r.Method, rest, r.URL.RawQuery, body, login, roleOf(r))
	if err != nil {
		writeJSON(w, http.StatusBadGateway, apiError{"records service: " + a.scrub(err.Error())})
		return
	}
	if ct := hdr.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(code)
	w.Write(out)
}

// roleOf is the caller's Grafana organisation role ("" without a user).
func roleOf(r *http.Request) string {
	if u := backend.PluginConfigFromContext(r.Context()).User; u != nil {
		return u.Role
	}
	return ""
}

var errAnswerTooLarge = errors.New("answer too large")

// callRecorder sends one call to the records API as the Grafana user and
// returns its status, headers and body (at most maxRecorderAnswer bytes).
func (a *App) callRecorder(ctx context.Context, method, path, rawQuery string, body []byte, login, role string) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, recorderCallTimeout)
	defer cancel()
	u := strings.TrimRight(a.s.RecorderURL, "/") + "/api/v1/" + path
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(hdrProxySecret, a.recorderSecret)
	req.Header.Set(hdrUser, login)
	req.Header.Set(hdrRole, role)
	if a.recorderPassword != "" {
		req.SetBasicAuth("grafana", a.recorderPassword)
	}
	resp, err := recorderClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, maxRecorderAnswer+1))
	if err != nil {
		return 0, nil, nil, err
	}
	if len(out) > maxRecorderAnswer {
		return 0, nil, nil, fmt.Errorf("%w: more than %d MiB (ask for fewer with ?limit=)", errAnswerTooLarge, maxRecorderAnswer>>20)
	}
	return resp.StatusCode, resp.Header, out, nil
}

// recorderClient does not follow redirects (the secret stays with the
// configured recorder).
var recorderClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// recordFreeze records who froze a month in the records API (kind
// report-freeze), so the page can say who signed it off. The freeze itself
// stands if this fails; the caller reports the failure.
func (a *App) recordFreeze(ctx context.Context, r *http.Request, kind, month, sha, frozenAt string) error {
	return a.record(ctx, r, "report-freeze", kind+" "+month, map[string]string{"kind": kind, "month": month, "sha256": sha, "frozenAt": frozenAt})
}

// record writes one record of kind (title, body) as the caller in the
// records API: who did what to a report (a freeze, a narrative edit).
func (a *App) record(ctx context.Context, r *http.Request, kind, title string, body any) error {
	if a.s.RecorderURL == "" || a.recorderSecret == "" {
		return errors.New("records are not configured (jsonData.recorderUrl): who did it is not recorded")
	}
	login := ""
	if u := backend.PluginConfigFromContext(r.Context()).User; u != nil {
		login = u.Login
	}
	b, _ := json.Marshal(map[string]any{"kind": kind, "title": title, "body": body})
	code, _, out, err := a.callRecorder(ctx, http.MethodPost, "records", "", b, login, roleOf(r))
	if err != nil {
		return errors.New(a.scrub(err.Error()))
	}
	if code != http.StatusCreated {
		log.DefaultLogger.Warn("recording failed", "kind", kind, "status", code)
		return fmt.Errorf("records service answered %d: %s", code, bytes.TrimSpace(out))
	}
	return nil
}
