package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/simsite"
)

// The demo's records (docs/records.md): jianguan-recorder on SQLite under the
// demo's work dir, Alertmanager's route 0 delivering to it, and a week of
// records written through its HTTP API — never SQL — so that the duty log,
// the weekly report and the incident report have something to show.

const addrRecorder = "127.0.0.1:9814"

// Demo people: Grafana logins (the trusted header) and the names on paper.
const (
	userDuty1    = "zhangwei"  // Editor, 值班员
	userDuty2    = "lina"      // Editor, 值班员
	userManager  = "wangqiang" // Admin, 值班长: reviewer and sign-off
	remoteSlotAM = "09:00"
	remoteSlotPM = "21:00"
)

// demoRemoteItems are the shipped remote checklist's items the backfilled
// history answers deterministically (smooth UPS and climate curves inside
// their bands, and the door series below): the week's 14 inspections have
// exactly one 异常 item, the door of A101 left open at doorOpenSlot.
var demoRemoteItems = []string{"ups_load", "ups_runtime", "temperature_high", "temperature_low", "humidity", "door"}

// doorOpenSlot is the index (oldest first) of the week's slot at which the
// history has A101's door open.
const doorOpenSlot = 5

// week is the demo's week of records: the 14 remote slots in (start, end],
// which end more than 24 h before the demo starts (the recorder's scheduler
// owns the last 24 h), and the 7 on-site days ending on end's date.
type week struct {
	start, end time.Time
	slots      []time.Time
	days       []time.Time // midnights, Asia/Shanghai, oldest first
	incidentID int64       // the line outage's incident record (writeWeek)
}

func demoWeek(now time.Time) week {
	w := week{end: now.Add(-25 * time.Hour)}
	w.start = w.end.Add(-7 * 24 * time.Hour)
	for d := calendar.DateOf(w.start); !d.After(w.end); d = d.AddDate(0, 0, 1) {
		for _, hm := range []string{remoteSlotAM, remoteSlotPM} {
			c, _ := time.Parse("15:04", hm)
			t := time.Date(d.Year(), d.Month(), d.Day(), c.Hour(), c.Minute(), 0, 0, calendar.Zone)
			if t.After(w.start) && !t.After(w.end) {
				w.slots = append(w.slots, t)
			}
		}
	}
	last := calendar.DateOf(w.end)
	for i := 6; i >= 0; i-- {
		w.days = append(w.days, last.AddDate(0, 0, -i))
	}
	return w
}

// day is the instant hm (15:04, Asia/Shanghai) of the week's day i.
func (w week) day(i int, hm string) time.Time {
	t, _ := time.Parse("15:04", hm)
	x := w.days[i]
	return time.Date(x.Year(), x.Month(), x.Day(), t.Hour(), t.Minute(), 0, 0, calendar.Zone)
}

// The week's events (issue 24 item 2): they happen in the site model the
// history is back-filled from (simsite.ScenarioWith), so the inspections,
// alerts, incident and handovers the week records have their causes in
// Prometheus' history.
const (
	weekDoor     = "door-main" // left open around doorOpenSlot
	weekLine     = "cu-leased-2"
	weekCRAC     = "crac-3"
	weekHost     = "host-007"
	weekWebsite  = "site-003"
	weekUtility  = 12 * time.Minute
	weekLineCut  = 48 * time.Minute
	weekCRACDown = 25 * time.Minute
)

func (w week) events() []simsite.Event {
	ev := func(k simsite.Kind, target string, start time.Time, d time.Duration) simsite.Event {
		return simsite.Event{Kind: k, Target: target, Window: simhistory.Window{Start: start.UTC(), End: start.Add(d).UTC()}}
	}
	open := w.slots[doorOpenSlot]
	return []simsite.Event{
		ev(simsite.DoorOpen, weekDoor, open.Add(-5*time.Minute), 25*time.Minute),
		ev(simsite.UtilityFailure, "", w.day(0, "14:20"), weekUtility),
		ev(simsite.LineCut, weekLine, w.day(2, "10:05"), weekLineCut),
		ev(simsite.CRACFailure, weekCRAC, w.day(3, "15:40"), weekCRACDown),
		ev(simsite.HostDown, weekHost, w.day(4, "02:13"), 9*time.Minute),
		ev(simsite.WebsiteDown, weekWebsite, w.day(5, "20:31"), 14*time.Minute),
	}
}

// startRecorder writes the recorder's configuration (SQLite, the shipped
// calendar and on-site checklist, the demo's remote checklist, anonymous
// Editor for Alertmanager on loopback, a trusted-header secret for the named
// demo users) and starts it.
func (d *demo) startRecorder(ctx context.Context) error {
	dir := filepath.Join(d.work, "recorder")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	secret := make([]byte, 24)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	d.recorderSecret = hex.EncodeToString(secret)
	if err := os.WriteFile(filepath.Join(dir, "proxy-secret"), []byte(d.recorderSecret+"\n"), 0o600); err != nil {
		return err
	}
	shipped := filepath.Join(d.root, "deploy", "etc", "jianguan")
	check, err := demoChecklist(filepath.Join(shipped, "inspection-remote.yml"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "inspection-remote.yml"), check, 0o644); err != nil {
		return err
	}
	cfg := map[string]any{
		"database": map[string]any{"backend": "sqlite", "path": filepath.Join(dir, "records.db")},
		"spool":    map[string]any{"dir": filepath.Join(dir, "spool")},
		"auth": map[string]any{
			"anonymous_role": records.RoleEditor, // loopback only: Alertmanager's webhook
			"trusted_header": map[string]any{"secret_file": filepath.Join(dir, "proxy-secret")},
		},
		"calendar_file": filepath.Join(shipped, "calendar.yml"),
		"inspections": map[string]any{
			"remote": map[string]any{"times": []string{remoteSlotAM, remoteSlotPM}, "checklist_file": filepath.Join(dir, "inspection-remote.yml"),
				"grace": "30m", "prometheus": map[string]any{"url": "http://" + addrProm}},
			"onsite": map[string]any{"checklist_file": filepath.Join(shipped, "inspection-onsite.yml")},
		},
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "recorder.yml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return err
	}
	pr, err := d.p.start("jianguan-recorder", nil, d.binPath("jianguan-recorder"), "--config.file="+path, "--web.listen-address="+addrRecorder)
	if err != nil {
		return err
	}
	return waitHTTP(ctx, pr, "http://"+addrRecorder+"/-/ready", 30*time.Second)
}

// demoChecklist is the shipped remote checklist reduced to demoRemoteItems.
func demoChecklist(shipped string) ([]byte, error) {
	c, err := records.LoadRemoteChecklist(shipped)
	if err != nil {
		return nil, err
	}
	var keep records.RemoteChecklist
	for _, it := range c.Items {
		if slices.Contains(demoRemoteItems, it.Name) {
			keep.Items = append(keep.Items, it)
		}
	}
	if len(keep.Items) != len(demoRemoteItems) {
		return nil, fmt.Errorf("%s: the demo needs items %v, found %d of them", shipped, demoRemoteItems, len(keep.Items))
	}
	return yaml.Marshal(keep)
}

// recClient calls the recorder's API as a demo user (trusted header) or, with
// user "", as Alertmanager (anonymous Editor).
type recClient struct {
	ctx    context.Context
	secret string
}

func (c recClient) call(method, path, user, role string, body, out any, want int) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(c.ctx, method, "http://"+addrRecorder+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.Header.Set("X-Jianguan-Proxy-Secret", c.secret)
		req.Header.Set("X-Jianguan-User", user)
		req.Header.Set("X-Jianguan-Role", role)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// demoAlert is one alert of the week as Alertmanager delivers it to route 0
// (receiver recorder, one notification per alert).
type demoAlert struct {
	labels      map[string]string
	summary     string
	start       time.Time
	dur         time.Duration
	ackBy, note string // "" = left unacknowledged
}

func (a demoAlert) fingerprint() string {
	keys := make([]string, 0, len(a.labels))
	for k := range a.labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s\xff%s\xff", k, a.labels[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func (a demoAlert) notification(status string) map[string]any {
	keys := make([]string, 0, len(a.labels))
	for k := range a.labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var gk []string
	for _, k := range keys {
		gk = append(gk, fmt.Sprintf("%s=%q", k, a.labels[k]))
	}
	end := time.Time{}
	if status == "resolved" {
		end = a.start.Add(a.dur)
	}
	alert := map[string]any{"status": status, "labels": a.labels, "annotations": map[string]string{"summary": a.summary},
		"startsAt": a.start.UTC().Format(time.RFC3339Nano), "endsAt": end.UTC().Format(time.RFC3339Nano),
		"generatorURL": "http://" + addrProm + "/graph", "fingerprint": a.fingerprint()}
	return map[string]any{"version": "4", "groupKey": `{}/{alertname!="Watchdog"}:{` + strings.Join(gk, ", ") + `}`,
		"truncatedAlerts": 0, "status": status, "receiver": "recorder", "groupLabels": a.labels, "commonLabels": a.labels,
		"commonAnnotations": map[string]string{"summary": a.summary}, "externalURL": "http://" + addrAM, "alerts": []any{alert}}
}

// weekCounts is what the week writes; demo-smoke reads it back through the API.
type weekCounts struct {
	remote, findings, onsite, alerts, acked, incidents, repairs, handovers int
}

var weekWant = weekCounts{remote: 14, findings: 1, onsite: 7, alerts: 5, acked: 4, incidents: 1, repairs: 1, handovers: 7}

// writeWeek writes the week through the API, oldest first. Everything is
// fixed relative to the week (no randomness), so every run writes the same
// records for its week.
func (d *demo) writeWeek(ctx context.Context) error {
	c := recClient{ctx: ctx, secret: d.recorderSecret}
	w := d.week
	day := w.day
	// 远程巡检: the 14 slots, evaluated from Prometheus' history.
	var findingIDs []int64
	for _, s := range w.slots {
		var out struct {
			Findings []records.Record `json:"findings"`
		}
		if err := c.call("POST", "/api/v1/inspections/remote", userManager, records.RoleAdmin, map[string]any{"slot": s.Format(time.RFC3339)}, &out, 201); err != nil {
			return err
		}
		for _, f := range out.Findings {
			findingIDs = append(findingIDs, f.ID)
		}
	}
	if len(findingIDs) != weekWant.findings {
		return fmt.Errorf("the week's remote inspections opened %d findings, want %d (the door of A101 at %s)", len(findingIDs), weekWant.findings, w.slots[doorOpenSlot].Format(time.RFC3339))
	}
	// 整改: the finding is rectified and signed off.
	var fr records.Record
	if err := c.call("GET", fmt.Sprintf("/api/v1/records/%d", findingIDs[0]), userManager, records.RoleAdmin, nil, &fr, 200); err != nil {
		return err
	}
	var f records.Finding
	if err := json.Unmarshal(fr.Body, &f); err != nil {
		return err
	}
	closed := w.slots[doorOpenSlot].Add(18 * time.Hour)
	f.Owner, f.Deadline, f.Status, f.ClosedAt = "张伟", closed.In(calendar.Zone).Format("2006-01-02"), "closed", &closed
	f.Measures = simsite.Room + " 主门（" + weekDoor + "）闭门器更换；在门上张贴“随手关门”提示；将门禁告警接入值班大屏。"
	if err := c.call("PUT", fmt.Sprintf("/api/v1/records/%d", fr.ID), userDuty1, records.RoleEditor, map[string]any{"title": fr.Title, "body": f}, nil, 200); err != nil {
		return err
	}
	if err := c.call("POST", fmt.Sprintf("/api/v1/records/%d/sign-off", fr.ID), userManager, records.RoleAdmin, nil, nil, 200); err != nil {
		return err
	}
	// 现场巡检: one a day, all 正常, signed off by the reviewer.
	oc, err := records.LoadOnsiteChecklist(filepath.Join(d.root, "deploy", "etc", "jianguan", "inspection-onsite.yml"))
	if err != nil {
		return err
	}
	for i, x := range w.days {
		in := records.OnsiteInspection{Date: x.Format("2006-01-02"), Inspector: []string{"张伟", "李娜"}[i%2], Reviewer: userManager,
			Notes: "机房例行现场巡检。"}
		for _, it := range oc.Items {
			in.Items = append(in.Items, records.OnsiteResult{Name: it.Name, Result: records.ResultNormal})
		}
		var out struct {
			Inspection records.Record `json:"inspection"`
		}
		if err := c.call("POST", "/api/v1/inspections/onsite", []string{userDuty1, userDuty2}[i%2], records.RoleEditor, in, &out, 201); err != nil {
			return err
		}
		if err := c.call("POST", fmt.Sprintf("/api/v1/records/%d/sign-off", out.Inspection.ID), userManager, records.RoleAdmin, nil, nil, 200); err != nil {
			return err
		}
	}
	// 告警: five alerts as Alertmanager delivers them to route 0, firing then
	// resolved; four acknowledged with notes, one never acknowledged.
	line := map[string]string{"alertname": "LineDown", "severity": "critical", "team": "network", "site": simsite.SiteName, "line": weekLine, "kind": "leased", "provider": "中国联通", "path": weekLine}
	room := func(alertname, severity string, l ...string) map[string]string {
		m := map[string]string{"alertname": alertname, "severity": severity, "team": "facilities", "site": simsite.SiteName, "room": simsite.Room}
		for i := 0; i+1 < len(l); i += 2 {
			m[l[i]] = l[i+1]
		}
		return m
	}
	alerts := []demoAlert{
		{room("EnvUPSOnBattery", "critical", "device", simsite.UPSs[0]), "UPS 电池供电", day(0, "14:20"), simsite.GeneratorStart, userDuty1,
			fmt.Sprintf("市电双路中断 %d 分钟：UPS 电池供电 %d 秒后由发电机接载，市电恢复后切回；已电话通知物业供电值班，记录工单 GD-1201。", int(weekUtility.Minutes()), int(simsite.GeneratorStart.Seconds()))},
		{line, "线路中断", day(2, "10:05"), weekLineCut, userDuty2, "联通专线中断，已报障（联通工单 CU-88213）；经该线路访问的政务云主机同时不可达，见故障处理记录。"},
		{room("EnvCoolingRedundancyLost", "warning"), "空调冗余不足", day(3, "15:40"), weekCRACDown, userDuty1,
			weekCRAC + " 高压告警停机，其余三台（N+1）承载，温度未越限；已复位，厂家次日上门检查。"},
		{map[string]string{"alertname": "HostDown", "severity": "critical", "team": "hosts", "site": simsite.SiteName, "host": weekHost},
			"主机不可达", day(4, "02:13"), 9 * time.Minute, userDuty2, weekHost + " 内核崩溃自动重启，已通知系统负责人提交日志。"},
		{map[string]string{"alertname": "WebsiteDown", "severity": "critical", "team": "websites", "site": simsite.SiteName, "url": simsite.WebsiteURL(weekWebsite)},
			"网站不可用", day(5, "20:31"), 14 * time.Minute, "", ""},
	}
	for _, a := range alerts {
		var res struct {
			AlertIDs []int64 `json:"alertIds"`
		}
		if err := c.call("POST", "/api/v1/alertmanager", "", "", a.notification("firing"), &res, 200); err != nil {
			return err
		}
		if len(res.AlertIDs) != 1 {
			return fmt.Errorf("webhook %s: alert ids %v", a.labels["alertname"], res.AlertIDs)
		}
		if a.ackBy != "" {
			if err := c.call("POST", fmt.Sprintf("/api/v1/alerts/%d/ack", res.AlertIDs[0]), a.ackBy, records.RoleEditor, map[string]string{"note": a.note}, nil, 200); err != nil {
				return err
			}
		}
		if err := c.call("POST", "/api/v1/alertmanager", "", "", a.notification("resolved"), nil, 200); err != nil {
			return err
		}
	}
	// 故障处理: the line outage, through its course to closed, then signed off.
	la := alerts[1]
	end := la.start.Add(la.dur)
	inc := records.Incident{NS: "line", Entity: weekLine, Start: la.start, End: &end, Status: records.IncidentOpen,
		Cause: "联通城域网光缆被市政施工挖断。", Impact: fmt.Sprintf("%s 专线 %s 中断 %d 分钟，经其访问的政务云主机 %s 同时不可达。", simsite.SiteName, weekLine,
			int(weekLineCut.Minutes()), strings.Join(simsite.HostsBehind(weekLine), "、")), Handler: "李娜",
		Timeline: []records.TimelineStep{
			{At: la.start.Add(time.Minute), Text: "LineDown 告警，值班员确认专线中断及其后的主机不可达。"},
			{At: la.start.Add(6 * time.Minute), Text: "向联通报障，工单 CU-88213；通知受影响单位。"},
			{At: la.start.Add(35 * time.Minute), Text: "联通定位为施工挖断，抢修熔接。"},
			{At: end, Text: "线路恢复，丢包与时延正常。"},
		}}
	var ir records.Record
	if err := c.call("POST", "/api/v1/incidents", userDuty2, records.RoleEditor, inc, &ir, 201); err != nil {
		return err
	}
	d.week.incidentID = ir.ID
	inc.Status, inc.Owner, inc.Deadline = records.IncidentRectifying, "李娜", w.days[6].Format("2006-01-02")
	inc.Measures = "要求联通提供第二路由；在施工区段加装警示标识；专线中断演练纳入季度计划。"
	if err := c.call("PUT", fmt.Sprintf("/api/v1/records/%d", ir.ID), userDuty2, records.RoleEditor, map[string]any{"title": ir.Title, "body": inc}, nil, 200); err != nil {
		return err
	}
	inc.Status = records.IncidentClosed
	inc.Timeline = append(inc.Timeline, records.TimelineStep{At: day(5, "11:00"), Text: "联通书面确认第二路由开通，整改完成。"})
	if err := c.call("PUT", fmt.Sprintf("/api/v1/records/%d", ir.ID), userDuty2, records.RoleEditor, map[string]any{"title": ir.Title, "body": inc}, nil, 200); err != nil {
		return err
	}
	if err := c.call("POST", fmt.Sprintf("/api/v1/records/%d/sign-off", ir.ID), userManager, records.RoleAdmin, nil, nil, 200); err != nil {
		return err
	}
	// 维修: a UPS power module swapped for a spare, the repaired one reinstalled.
	var rv records.RepairView
	if err := c.call("POST", "/api/v1/repairs", userDuty1, records.RoleEditor, map[string]any{"unit": simsite.UPSs[0] + "（" + simsite.Room + "）功率模块 3",
		"description": "功率模块 3 故障告警，已换上备件；故障模块返厂维修。", "swapAt": day(1, "10:30")}, &rv, 201); err != nil {
		return err
	}
	if err := c.call("POST", fmt.Sprintf("/api/v1/repairs/%d/reinstall", rv.ID), userDuty1, records.RoleEditor, map[string]any{"reinstalledAt": day(6, "16:00"),
		"note": "返厂模块修复，已装回 " + simsite.UPSs[0] + " 并通过带载测试；备件归还备件库。"}, &rv, 200); err != nil {
		return err
	}
	if rv.Status != records.RepairDone || rv.Late {
		return fmt.Errorf("repair %d: status %s late %v, want done within %d working days", rv.ID, rv.Status, rv.Late, records.RepairWorkdays)
	}
	// 交接班: one handover a day, 08:30.
	for i := range w.days {
		from, to := []string{"李娜", "张伟"}[i%2], []string{"张伟", "李娜"}[i%2]
		h := records.Handover{At: day(i, "08:30"), From: from, To: to, Notes: "夜班无未关闭告警；动环、线路、主机、网站状态正常。"}
		switch i { // what the previous shift saw (the alerts above)
		case 3:
			h.Notes, h.Tickets = "昨日 "+weekLine+" 专线中断已恢复，联通整改跟踪中（见故障处理记录）。", []string{"CU-88213"}
		case 4:
			h.Notes = "昨日 " + simsite.Room + " 精密空调 " + weekCRAC + " 高压告警停机已复位（N+1 承载，温度未越限），厂家今日上门。"
		}
		if err := c.call("POST", "/api/v1/records", from2user(from), records.RoleEditor, map[string]any{"kind": records.KindHandover,
			"title": "交接班 " + w.days[i].Format("2006-01-02"), "body": h}, nil, 201); err != nil {
			return err
		}
	}
	return nil
}

func from2user(name string) string {
	if name == "李娜" {
		return userDuty2
	}
	return userDuty1
}

// countWeek reads the week back through the API (demo-smoke).
func (d *demo) countWeek(ctx context.Context) (weekCounts, error) {
	c := recClient{ctx: ctx, secret: d.recorderSecret}
	var n weekCounts
	q := func(path string, key string) ([]json.RawMessage, error) {
		var out map[string][]json.RawMessage
		if err := c.call("GET", path, userManager, records.RoleViewer, nil, &out, 200); err != nil {
			return nil, err
		}
		return out[key], nil
	}
	since, until := url.QueryEscape(d.week.start.Format(time.RFC3339)), url.QueryEscape(d.week.end.Format(time.RFC3339))
	rem, err := q("/api/v1/inspections?kind=remote&limit=1000&since="+since+"&until="+until, "inspections")
	if err != nil {
		return n, err
	}
	for _, r := range rem {
		var rec records.Record
		var ri records.RemoteInspection
		if json.Unmarshal(r, &rec) == nil && json.Unmarshal(rec.Body, &ri) == nil && ri.Status == records.InspectionCompleted {
			n.remote++
		}
	}
	fs, err := q("/api/v1/findings?limit=1000", "findings")
	if err != nil {
		return n, err
	}
	for _, r := range fs { // the week's, not those the live scheduler may open
		var rec records.Record
		var f records.Finding
		if json.Unmarshal(r, &rec) == nil && json.Unmarshal(rec.Body, &f) == nil && !f.Slot.Before(d.week.start) && !f.Slot.After(d.week.end) {
			n.findings++
		}
	}
	ons, err := q("/api/v1/inspections?kind=onsite&limit=1000", "inspections")
	if err != nil {
		return n, err
	}
	n.onsite = len(ons)
	as, err := q("/api/v1/alerts?limit=1000&until="+until, "alerts")
	if err != nil {
		return n, err
	}
	for _, r := range as {
		var a records.Alert
		if json.Unmarshal(r, &a) == nil && !a.DetectedAt.Before(d.week.start) {
			n.alerts++
			if a.AcknowledgedAt != nil {
				n.acked++
			}
		}
	}
	is, err := q("/api/v1/incidents?status=closed", "incidents")
	if err != nil {
		return n, err
	}
	n.incidents = len(is)
	rs, err := q("/api/v1/repairs?status=done", "repairs")
	if err != nil {
		return n, err
	}
	n.repairs = len(rs)
	hs, err := q("/api/v1/records?kind=handover&limit=1000", "records")
	if err != nil {
		return n, err
	}
	n.handovers = len(hs)
	return n, nil
}

func (d *demo) smokeWeek(ctx context.Context) func() error {
	return func() error {
		n, err := d.countWeek(ctx)
		if err != nil {
			return err
		}
		if n != weekWant {
			return fmt.Errorf("the week through the API: %+v, want %+v", n, weekWant)
		}
		return nil
	}
}

// smokeRecorded waits until the recorder holds an alert named name detected
// since the demo started (delivered by Alertmanager's route 0).
func (d *demo) smokeRecorded(ctx context.Context, name string) func() error {
	return func() error {
		c := recClient{ctx: ctx, secret: d.recorderSecret}
		since := url.QueryEscape(d.week.end.Add(25 * time.Hour).Format(time.RFC3339))
		return eventually(ctx, 60*time.Second, func() error {
			var out struct {
				Alerts []records.Alert `json:"alerts"`
			}
			if err := c.call("GET", "/api/v1/alerts?since="+since, userManager, records.RoleViewer, nil, &out, 200); err != nil {
				return err
			}
			for _, a := range out.Alerts {
				if a.Alertname == name && a.NotifiedAt != nil {
					return nil
				}
			}
			return fmt.Errorf("no %s in the recorder yet (%d alerts since the demo started)", name, len(out.Alerts))
		})
	}
}

// recordDocs renders the documents from the week's records with
// jianguan-report (the recorder's SQLite file, read while it runs): the duty
// log of the incident's day, the weekly report of that week, the incident
// handling report, and the guard report of the newest guard period before
// the week — each as html and pdf, into out/reports/records.
func (d *demo) recordDocs(ctx context.Context) error {
	dir := filepath.Join(d.out, "reports", "records")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	shipped := filepath.Join(d.root, "deploy", "etc", "jianguan")
	calFile := filepath.Join(shipped, "calendar.yml")
	cal, err := calendar.Load(calFile)
	if err != nil {
		return err
	}
	day := d.week.days[2].Format("2006-01-02")
	docs := [][]string{
		{"duty-daily-" + day, "--kind=duty-daily", "--day=" + day},
		{"duty-weekly-" + day, "--kind=duty-weekly", "--week=" + day},
		{fmt.Sprintf("incident-%d", d.week.incidentID), "--kind=incident", fmt.Sprintf("--id=%d", d.week.incidentID)},
	}
	var guard *calendar.GuardPeriod
	for _, g := range cal.GuardPeriods() {
		if g.Period.End.Before(d.week.end) && (guard == nil || g.Period.End.After(guard.Period.End)) {
			guard = &g
		}
	}
	if guard != nil {
		docs = append(docs, []string{"guard-" + guard.Name, "--kind=guard", "--period=" + guard.Name})
	}
	for _, doc := range docs {
		for _, format := range []string{"html", "pdf"} {
			args := append([]string{"--records.db=" + filepath.Join(d.work, "recorder", "records.db"), "--calendar.file=" + calFile,
				"--reports.config=" + filepath.Join(shipped, "reports.yml"), "--format=" + format,
				"-o", filepath.Join(dir, doc[0]+"."+format)}, doc[1:]...)
			if b, err := exec.CommandContext(ctx, d.binPath("jianguan-report"), args...).CombinedOutput(); err != nil {
				return fmt.Errorf("jianguan-report %s: %v: %s", strings.Join(doc[1:], " "), err, tailString(string(b), 10))
			}
		}
	}
	d.logf("documents from the week's records written to %s (duty log, weekly report, incident report, guard report × html, pdf)", dir)
	return nil
}

// smokeRecordDocs checks the documents from the records: every one a PDF
// and an HTML page in Chinese.
func (d *demo) smokeRecordDocs() error {
	files, _ := filepath.Glob(filepath.Join(d.out, "reports", "records", "*"))
	if len(files) < 6 {
		return fmt.Errorf("only %d documents from the records in %s", len(files), filepath.Join(d.out, "reports", "records"))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		switch {
		case strings.HasSuffix(f, ".pdf") && !bytes.HasPrefix(b, []byte("%PDF")):
			return fmt.Errorf("%s is not a PDF", f)
		case strings.HasSuffix(f, ".html") && !strings.Contains(string(b), "报告") && !strings.Contains(string(b), "值班"):
			return fmt.Errorf("%s has no Chinese title", f)
		}
	}
	return nil
}
