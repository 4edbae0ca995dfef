package docfmt

import (
	"strings"
	"testing"

	"github.com/jianguan/jianguan/internal/calendar"
)

const shippedReports = "../../deploy/etc/jianguan/reports.yml"

func TestShippedIdentification(t *testing.T) {
	id, err := LoadIdentification(shippedReports)
	if err != nil {
		t.Fatal(err)
	}
	if id.ContractNo != "DSJ-2025-034" || id.Client != "北京市大数据中心" || id.Recipient != "北京市大数据中心" {
		t.Errorf("identification %+v", id)
	}
	if id.SubmitterFor("lines") != "中国电信股份有限公司北京分公司" || id.SubmitterFor("hosts") != "北京安信天行科技有限公司" ||
		id.SubmitterFor("providers") != "安芯网盾（北京）科技有限公司" {
		t.Errorf("submitters %v / %s", id.Submitters, id.Submitter)
	}
	p, _ := calendar.ParsePeriod("2026-11", nil)
	for kind, want := range map[string]string{"lines": "JG-202611-XL-001", "infrastructure": "JG-202611-JF-001"} {
		n, err := id.ReportNumber(kind, p, 1)
		if err != nil || n != want {
			t.Errorf("ReportNumber(%s) = %q %v, want %q", kind, n, err, want)
		}
	}
	if n, _ := id.ReportNumber("hosts", p, 12); n != "JG-202611-KY-012" {
		t.Errorf("seq 12: %q", n)
	}
	if _, err := id.ReportNumber("duty", p, 1); err == nil || !strings.Contains(err.Error(), `"duty" has no entry in number_kinds`) {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := id.ReportNumber("lines", p, 0); err == nil {
		t.Error("seq 0 accepted")
	}
	svc, err := id.Service()
	if err != nil || svc.Period().String() != "service" || svc.Start.Format("2006-01-02") != "2025-12-01" {
		t.Errorf("service %v %v", svc, err)
	}
	// The shipped reports.yml and calendar.yml agree on the service start.
	cal, err := calendar.Load("../../deploy/etc/jianguan/calendar.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := id.CheckCalendar(cal); err != nil {
		t.Error(err)
	}
	// The zh-CN cover fields contain no English beyond the contract number and allowed words.
	cover := strings.Join([]string{id.Project, id.Client, id.Recipient, id.Submitter, id.Confidentiality}, " ")
	if w := ASCIIWords(cover); len(w) > 0 {
		t.Errorf("cover has English words %v", w)
	}
}

const goodIdent = `project: P
contract_no: DSJ-2025-034
client: C
recipient: R
submitter: S
report_number: 'JG-{{.Year}}-{{.Kind}}-{{.Seq}}'
number_kinds: {lines: XL}
service_start: 2025-12-01
confidentiality: 内部
`

func TestIdentificationErrors(t *testing.T) {
	rep := func(old, new string) string {
		if !strings.Contains(goodIdent, old) {
			panic(old)
		}
		return strings.Replace(goodIdent, old, new, 1)
	}
	tests := []struct{ name, yaml, want string }{
		{"unknown field", goodIdent + "seal: yes\n", "reports.yml:10: field seal not found"},
		{"missing project", rep("project: P\n", ""), "reports.yml:1: project: required: 项目名称"},
		{"empty contract", rep("contract_no: DSJ-2025-034", "contract_no: ''"), "reports.yml:2: contract_no: required"},
		{"missing recipient", rep("recipient: R\n", ""), "recipient: required: 报送对象"},
		{"missing submitter", rep("submitter: S\n", ""), "submitter: required: 报送单位"},
		{"missing confidentiality", rep("confidentiality: 内部\n", ""), "confidentiality: required"},
		{"bad date", rep("service_start: 2025-12-01", "service_start: 2025-13-01"), "reports.yml:8: service_start: date \"2025-13-01\": no such day"},
		{"bad template", rep("{{.Seq}}'", "{{.Seq}'"), "reports.yml:6: report_number: template: report_number:1: bad character U+007D"},
		{"unknown template field", rep("{{.Kind}}", "{{.Knd}}"), "reports.yml:6: report_number: report number: template: report_number:1:15: executing \"report_number\" at <.Knd>: can't evaluate field Knd"},
		{"no seq", rep("-{{.Seq}}", ""), "does not use .Seq"},
		{"too long number", rep("JG-", strings.Repeat("X", 70)), "at most 64"},
		{"empty submitter override", goodIdent + "submitters: {hosts: ''}\n", "submitters.hosts: empty"},
		{"too long field", rep("project: P", "project: "+strings.Repeat("项", 201)), "project: 201 characters; at most 200"},
		{"sign-off unknown role", goodIdent + "sign_off: {author: x}\n", "field author not found"},
		{"machine room racks negative", goodIdent + "machine_room: {racks: -1}\n", "reports.yml:10: machine_room.racks: -1; want 1..100000"},
		{"machine room racks typo", goodIdent + "machine_room: {racks: 106000}\n", "machine_room.racks: 106000"},
		{"machine room max below per-rack", goodIdent + "machine_room: {rack_kw: 6}\n", "machine_room.rack_max_kw: 5 kW below rack_kw 6 kW"},
		{"machine room reserve", goodIdent + "machine_room: {reserve_percent: 120}\n", "reports.yml:10: machine_room: reserve_percent 0..100"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseIdentification("reports.yml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
	id, err := ParseIdentification("reports.yml", []byte(goodIdent))
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.Load("../../deploy/etc/jianguan/calendar.yml")
	if err != nil {
		t.Fatal(err)
	}
	id.ServiceStart = "2026-01-01"
	if err := id.CheckCalendar(cal); err == nil || !strings.Contains(err.Error(), "calendar.yml says service.start 2025-12-01") {
		t.Errorf("disagreeing service start: %v", err)
	}
	var zero Identification
	if _, err := zero.Number(NumberFields{}); err == nil {
		t.Error("unloaded identification numbered a report")
	}
}
