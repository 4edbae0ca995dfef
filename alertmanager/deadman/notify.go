package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/redact"
)

const alertName = "DeadmanHeartbeatMissing"

func bj(t time.Time) string {
	if t.IsZero() {
		return "无 (none)"
	}
	return t.In(beijing).Format("2006-01-02 15:04:05")
}

func summary(e event) string {
	if e.Status == "firing" {
		return fmt.Sprintf("监控链路心跳中断：%s 已超过 %s 未收到 Watchdog 心跳", e.Name, e.Timeout)
	}
	return fmt.Sprintf("监控链路心跳已恢复：%s", e.Name)
}

func description(e event) string {
	last := bj(e.LastHeartbeat)
	if e.LastHeartbeat.IsZero() {
		last = "启动以来未收到 (none since start " + bj(e.StartedAt) + ")"
	}
	if e.Status == "firing" {
		return fmt.Sprintf("最后一次心跳（北京时间）：%s。Prometheus、Alertmanager 或两者之间的链路可能已停止工作，其他告警可能无法送达，请立即检查。"+
			" Watchdog heartbeat from Alertmanager missing for more than %s: alerting may be down.", last, e.Timeout)
	}
	return fmt.Sprintf("心跳中断自 %s 起，于 %s 恢复（北京时间）。Heartbeats are back.", bj(e.FiringSince), bj(e.ResolvedAt))
}

// httpDo sends req through client, whose errors are redacted (every query
// value, userinfo password and fragment masked: see internal/redact); the
// status error below masks the same way. The answer is read up to 1 MiB.
func httpDo(ctx context.Context, client *redact.Client, req *http.Request) ([]byte, error) {
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return body, fmt.Errorf("%s %s: %s", req.Method, redact.URL(req.URL.String()), resp.Status)
	}
	return body, nil
}

// newRequest is http.NewRequest with the URL masked in its error.
func newRequest(method, u string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequest(method, u, body)
	return req, redact.Error(err)
}

// ---------------------------------------------------------------- generic webhook

// webhookNotifier POSTs an Alertmanager-compatible (version 4) webhook payload, so the same
// ticket/on-call gateway that takes Alertmanager's notifications takes this one.
type webhookNotifier struct {
	name            string // unique, shown in logs: "webhook " + the redacted URL
	url             string
	bearerTokenFile string
	client          *redact.Client
}

func (w *webhookNotifier) Name() string {
	if w.name != "" {
		return w.name
	}
	return "webhook " + redact.URL(w.url)
}

type whAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

type whPayload struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []whAlert         `json:"alerts"`
}

func payload(e event) whPayload {
	labels := map[string]string{"alertname": alertName, "severity": "critical", "team": "meta", "site": e.Site, "deadman": e.Name}
	ann := map[string]string{"summary": summary(e), "description": description(e)}
	if e.RunbookURL != "" {
		ann["runbook_url"] = e.RunbookURL
	}
	a := whAlert{Status: e.Status, Labels: labels, Annotations: ann, StartsAt: e.FiringSince, GeneratorURL: e.ExternalURL}
	if e.Status == "resolved" {
		a.EndsAt = e.ResolvedAt
	}
	return whPayload{
		Version: "4", GroupKey: "deadman:" + e.Name, Status: e.Status, Receiver: "deadman",
		GroupLabels: map[string]string{"alertname": alertName}, CommonLabels: labels, CommonAnnotations: ann,
		ExternalURL: e.ExternalURL, Alerts: []whAlert{a},
	}
}

func (w *webhookNotifier) Notify(ctx context.Context, e event) error {
	b, err := json.Marshal(payload(e))
	if err != nil {
		return err
	}
	req, err := newRequest(http.MethodPost, w.url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "jianguan-deadman")
	if w.bearerTokenFile != "" {
		tok, err := readSecretFile("deadman.webhook.bearer-token-file", w.bearerTokenFile)
		if err != nil {
			return fmt.Errorf("bearer token: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	_, err = httpDo(ctx, w.client, req)
	return err
}

// ---------------------------------------------------------------- WeCom (企业微信) app message

type wecomNotifier struct {
	apiURL, corpID, agentID, secretFile string
	toUser, toParty, toTag              string
	client                              *redact.Client
}

func (w *wecomNotifier) Name() string { return "wecom" }

func markdown(e event) string {
	var b strings.Builder
	if e.Status == "firing" {
		fmt.Fprintf(&b, "<font color=\"warning\">**[告警][紧急] %s**</font>\n", alertName)
	} else {
		fmt.Fprintf(&b, "<font color=\"info\">**[已恢复] %s**</font>\n", alertName)
	}
	fmt.Fprintf(&b, "> **%s**\n", summary(e))
	if e.Site != "" {
		fmt.Fprintf(&b, "> 站点：%s\n", e.Site)
	}
	fmt.Fprintf(&b, "> 详情：%s\n", description(e))
	if e.RunbookURL != "" {
		fmt.Fprintf(&b, "> [处置手册 Runbook](%s)\n", e.RunbookURL)
	}
	return b.String()
}

func (w *wecomNotifier) Notify(ctx context.Context, e event) error {
	secret, err := readSecretFile("deadman.wecom.api-secret-file", w.secretFile)
	if err != nil {
		return fmt.Errorf("wecom secret: %w", err)
	}
	base := strings.TrimSuffix(w.apiURL, "/") + "/"
	q := url.Values{"corpid": {w.corpID}, "corpsecret": {secret}}
	req, err := newRequest(http.MethodGet, base+"gettoken?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	body, err := httpDo(ctx, w.client, req)
	if err != nil {
		return err
	}
	var tok struct {
		ErrCode     int    `json:"errcode"`
		ErrMsg      string `json:"errmsg"`
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tok); err != nil {
		return fmt.Errorf("wecom gettoken: %w", err)
	}
	if tok.ErrCode != 0 || tok.AccessToken == "" {
		return fmt.Errorf("wecom gettoken: errcode %d: %s", tok.ErrCode, tok.ErrMsg)
	}
	msg := map[string]any{
		"touser": w.toUser, "toparty": w.toParty, "totag": w.toTag, "agentid": w.agentID,
		"msgtype": "markdown", "markdown": map[string]string{"content": markdown(e)},
	}
	b, _ := json.Marshal(msg)
	req, err = newRequest(http.MethodPost, base+"message/send?access_token="+url.QueryEscape(tok.AccessToken), bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	body, err = httpDo(ctx, w.client, req)
	if err != nil {
		return err
	}
	var res struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return fmt.Errorf("wecom message/send: %w", err)
	}
	if res.ErrCode != 0 {
		return fmt.Errorf("wecom message/send: errcode %d: %s", res.ErrCode, res.ErrMsg)
	}
	return nil
}
