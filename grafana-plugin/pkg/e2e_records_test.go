package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// e2eRecordFlows is the part of TestPluginBrowserE2E that works on the
// records, in the browser as the signed-in Editor: an alert posted to the
// recorder's Alertmanager webhook (as Alertmanager does) is acknowledged on
// the 值班 page, an incident is annotated with a rectification (owner,
// deadline, measures) on the 事件与整改 page and a manual score with its
// evidence is entered on the 评估 page — each still there after a reload
// and in the document the plugin serves (the duty log, the incident report,
// the providers report); then a Viewer's attempt at each is refused with
// the 403 naming the role needed, shown by the page.
func e2eRecordFlows(t *testing.T, b *tab, shim *grafanaShim, rec string) {
	t.Helper()
	y, err := os.ReadFile("../../deploy/etc/jianguan/evaluation.yml")
	if err != nil {
		t.Fatal(err)
	}
	recorderAdmin(t, rec, "eval/systems", map[string]any{"file": "evaluation.yml", "yaml": string(y)}) // the lead stores the indicator system
	alert := postHostDown(t, rec, "e2e-browser-1")                                                     // as Alertmanager posts it
	// The incident to annotate, as it is entered from the report's incidents.
	code, body := b.fetch("POST", "/recorder/incidents", `{"ns":"host","entity":"web-01","start":"2026-10-15T01:00:00Z","end":"2026-10-15T01:40:00Z","status":"open"}`)
	var inc struct{ ID int64 }
	if code != 201 || json.Unmarshal([]byte(body), &inc) != nil {
		t.Fatalf("entering the incident: %d %s", code, body)
	}
	document := func(path string, want ...string) {
		t.Helper()
		code, doc := b.fetch("GET", path, "")
		if code != 200 {
			t.Fatalf("%s: %d %.300s", path, code, doc)
		}
		for _, w := range want {
			if !strings.Contains(doc, w) {
				t.Errorf("%s lacks %q", path, w)
			}
		}
	}

	// 值班: acknowledge with a note.
	noteLabel := fmt.Sprintf("备注 %d", alert)
	b.open("duty")
	b.waitText("HostDown")
	b.typeInto(noteLabel, "已通知阿里云值班")
	b.click("button", "确认")
	b.waitText("已通知阿里云值班")
	b.open("duty")
	b.waitText("editor-user", "已通知阿里云值班")
	document("/documents/duty-daily.html?day=2026-10-15", "主机不可达", "已通知阿里云值班")
	b.noErrors("acknowledgement")

	// 事件与整改: the rectification of the incident.
	b.open("incidents")
	b.click("button", "批注")
	b.waitText("批注 host/web-01")
	b.click("label", "整改中")
	b.typeInto("原因", "宿主机内存故障")
	b.typeInto("处理人", "王处置")
	b.typeInto("整改责任人", "赵负责")
	b.typeInto("整改期限", "2026-11-15")
	b.typeInto("整改措施", "更换内存条并增加巡检项")
	b.click("button", "保存")
	b.waitText("更换内存条并增加巡检项")
	b.open("incidents")
	b.waitText("赵负责", "2026-11-15", "更换内存条并增加巡检项", "整改中")
	document(fmt.Sprintf("/documents/incident.html?id=%d", inc.ID), "宿主机内存故障", "赵负责", "更换内存条并增加巡检项")
	b.noErrors("incident")

	// 评估: a manual score with its evidence for October.
	b.open("evaluation")
	b.waitText("提交评分")
	b.typeInto("服务商", "阿里云")
	b.typeInto("指标", "vuln_rectification")
	b.typeInto("分数", "87.5")
	b.typeInto("评分依据", "整改报告 ZG-2026-10-07")
	b.click("button", "提交评分")
	b.waitText("整改报告 ZG-2026-10-07")
	b.open("evaluation")
	b.waitText("整改报告 ZG-2026-10-07", "vuln_rectification")
	document("/reports/providers/2026-10.html", "整改报告 ZG-2026-10-07")
	b.noErrors("manual score")

	// A Viewer: each write refused by the server, the page naming the role.
	shim.as("viewer-user", "Viewer")
	b.open("duty")
	b.waitText("HostDown", "已通知阿里云值班")
	b.typeInto(noteLabel, "只读用户的备注")
	b.click("button", "补充备注")
	b.waitText("权限不足", "Editor")
	b.open("incidents")
	b.click("button", "批注")
	b.waitText("批注 host/web-01")
	b.typeInto("整改措施", "只读用户的整改")
	b.click("button", "保存")
	b.waitText("权限不足", "Editor")
	b.open("evaluation")
	b.waitText("提交评分")
	b.typeInto("服务商", "阿里云")
	b.typeInto("指标", "licence_review")
	b.typeInto("分数", "60")
	b.typeInto("评分依据", "只读用户的依据")
	b.click("button", "提交评分")
	b.waitText("权限不足", "Editor")
	for _, c := range []struct{ page, text string }{{"duty", "只读用户的备注"}, {"incidents", "只读用户的整改"}, {"evaluation", "只读用户的依据"}} {
		b.open(c.page)
		if strings.Contains(b.text(), c.text) {
			t.Errorf("%s: a Viewer's write was recorded", c.page)
		}
	}
	shim.as("editor-user", "Editor")
}
