package docfmt

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
	"unicode/utf8"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/config"
)

// Identification is the identification block of every document for 甲方:
// the cover (项目名称, 合同编号, 报送单位, 报送对象, 报告编号, 服务期, 报告期,
// 密级) and the sign-off block (编制人, 审核人, 批准人, 日期, seal).
// It is loaded from reports.yml (deploy/etc/jianguan/reports.yml).
type Identification struct {
	Project    string `yaml:"project"`     // 项目名称
	ContractNo string `yaml:"contract_no"` // 合同编号
	Client     string `yaml:"client"`      // 甲方
	// Submitter is the default 报送单位; Submitters overrides it per report
	// kind (infrastructure and lines are 乙方's, hosts 丁方's, …).
	Submitter  string            `yaml:"submitter"`
	Submitters map[string]string `yaml:"submitters"`
	Recipient  string            `yaml:"recipient"` // 报送对象
	// NumberTemplate (report_number) is a text/template for 报告编号 with .Year, .Month (two
	// digits), .Kind (the kind's code in NumberKinds, e.g. JC) and .Seq
	// (int; write {{printf "%03d" .Seq}} for 001).
	NumberTemplate string `yaml:"report_number"`
	// NumberKinds maps a report kind to its short code in report numbers.
	NumberKinds map[string]string `yaml:"number_kinds"`
	// ServiceStart is the first day of the service period; when the
	// calendar file is also loaded they must agree (CheckCalendar).
	ServiceStart    string  `yaml:"service_start"`
	Confidentiality string  `yaml:"confidentiality"` // 密级 / marking printed on every page
	SignOff         SignOff `yaml:"sign_off"`
	// MachineRoom: the contract's machine-room figures the infrastructure
	// report checks against (zero fields take DefaultMachineRoom's).
	MachineRoom MachineRoom `yaml:"machine_room"`

	numberTmpl *template.Template
	doc        *config.Doc
}

// SignOff names the people of the sign-off block; an empty name leaves a
// line to sign by hand.
type SignOff struct {
	Preparer string `yaml:"preparer"` // 编制人
	Reviewer string `yaml:"reviewer"` // 审核人
	Approver string `yaml:"approver"` // 批准人
}

// MachineRoom holds the contract's rack figures: racks hosted, the reserve
// on top of them, the power per rack and the most one rack may draw.
type MachineRoom struct {
	Racks          int     `yaml:"racks"`           // 106
	ReservePercent float64 `yaml:"reserve_percent"` // 20
	RackKW         float64 `yaml:"rack_kw"`         // 4
	RackMaxKW      float64 `yaml:"rack_max_kw"`     // 5
}

// Bound of machine_room.racks (a typo of 106000 is refused).
const maxRacks = 100000

// DefaultMachineRoom is the contract's: 106 racks + 20 % reserve, 4 kW per
// rack, 5 kW at most for one rack.
func DefaultMachineRoom() MachineRoom {
	return MachineRoom{Racks: 106, ReservePercent: 20, RackKW: 4, RackMaxKW: 5}
}

// Room is the configured machine room with the defaults for zero fields.
func (id *Identification) Room() MachineRoom {
	m, d := id.MachineRoom, DefaultMachineRoom()
	if m.Racks == 0 {
		m.Racks = d.Racks
	}
	if m.ReservePercent == 0 {
		m.ReservePercent = d.ReservePercent
	}
	if m.RackKW == 0 {
		m.RackKW = d.RackKW
	}
	if m.RackMaxKW == 0 {
		m.RackMaxKW = d.RackMaxKW
	}
	return m
}

// SignOffRoles are the roles of the sign-off block, in order.
var SignOffRoles = []Wording{{"编制人", "Prepared by"}, {"审核人", "Reviewed by"}, {"批准人", "Approved by"}}

// Bounds of the identification file.
const (
	MaxIdentBytes        = 64 << 10
	maxFieldRunes        = 200
	maxReportNumberRunes = 64
	maxTemplateRunes     = 200
)

// plainTemplate admits text and {{.Field}} / {{printf "…" .Field}} actions
// only: no range, if, with, define or variables, so a report-number
// template cannot loop ({{range 1000000000}}) or branch.
func plainTemplate(root *parse.ListNode) error {
	for _, n := range root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
		case *parse.ActionNode:
			if len(n.Pipe.Decl) > 0 || len(n.Pipe.Cmds) != 1 {
				return fmt.Errorf("%s: only {{.Year}}, {{.Month}}, {{.Kind}}, {{.Seq}} and {{printf \"%%03d\" .Seq}} are allowed", n)
			}
			for i, a := range n.Pipe.Cmds[0].Args {
				switch a := a.(type) {
				case *parse.FieldNode, *parse.StringNode:
				case *parse.IdentifierNode:
					if a.Ident != "printf" || i != 0 {
						return fmt.Errorf("%s: function %s is not allowed (printf only)", n, a.Ident)
					}
				default:
					return fmt.Errorf("%s: only fields, strings and printf are allowed", n)
				}
			}
		default:
			return fmt.Errorf("%s: only {{.Year}}, {{.Month}}, {{.Kind}}, {{.Seq}} and printf are allowed (no range, if, with)", n)
		}
	}
	return nil
}

// NumberFields are what a report-number template sees.
type NumberFields struct {
	Year  int
	Month string // "01".."12", the month the period starts in
	Kind  string // NumberKinds[kind]
	Seq   int
}

// LoadIdentification reads and validates reports.yml.
func LoadIdentification(path string) (*Identification, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, &config.Error{File: path, Msg: err.Error()}
	}
	if st.Size() > MaxIdentBytes {
		return nil, &config.Error{File: path, Msg: fmt.Sprintf("file is %d bytes; limited to %d", st.Size(), MaxIdentBytes)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &config.Error{File: path, Msg: err.Error()}
	}
	return ParseIdentification(path, data)
}

// ParseIdentification validates identification data (file names it in errors).
func ParseIdentification(file string, data []byte) (*Identification, error) {
	if len(data) > MaxIdentBytes {
		return nil, &config.Error{File: file, Msg: fmt.Sprintf("%d bytes; limited to %d", len(data), MaxIdentBytes)}
	}
	var id Identification
	doc, err := config.Parse(file, data, &id)
	if err != nil {
		return nil, err
	}
	id.doc = doc
	required := []struct{ field, value, what string }{
		{"project", id.Project, "项目名称, the project name on the cover"},
		{"contract_no", id.ContractNo, "合同编号, e.g. DSJ-2025-034"},
		{"client", id.Client, "甲方, the client"},
		{"submitter", id.Submitter, "报送单位, the party that submits the reports"},
		{"recipient", id.Recipient, "报送对象, to whom the reports go"},
		{"report_number", id.NumberTemplate, `the report-number template, e.g. "JG-{{.Year}}-{{.Kind}}-{{printf \"%03d\" .Seq}}"`},
		{"service_start", id.ServiceStart, "the first day of the service period, YYYY-MM-DD"},
		{"confidentiality", id.Confidentiality, "密级 / the marking printed on every page"},
	}
	for _, r := range required {
		if strings.TrimSpace(r.value) == "" {
			return nil, doc.Errorf(r.field, "required: %s", r.what)
		}
		if n := utf8.RuneCountInString(r.value); n > maxFieldRunes {
			return nil, doc.Errorf(r.field, "%d characters; at most %d", n, maxFieldRunes)
		}
	}
	for _, f := range []struct{ field, value string }{{"sign_off.preparer", id.SignOff.Preparer}, {"sign_off.reviewer", id.SignOff.Reviewer}, {"sign_off.approver", id.SignOff.Approver}} {
		if n := utf8.RuneCountInString(f.value); n > maxFieldRunes {
			return nil, doc.Errorf(f.field, "%d characters; at most %d", n, maxFieldRunes)
		}
	}
	for k, v := range id.Submitters {
		if strings.TrimSpace(v) == "" {
			return nil, doc.Errorf("submitters."+k, "empty: remove the entry to use submitter")
		}
	}
	if _, err := calendar.ParseDate(id.ServiceStart); err != nil {
		return nil, doc.Errorf("service_start", "%v", err)
	}
	if m := id.MachineRoom; m.Racks < 0 || m.Racks > maxRacks {
		return nil, doc.Errorf("machine_room.racks", "%d; want 1..%d", m.Racks, maxRacks)
	} else if m.ReservePercent < 0 || m.ReservePercent > 100 || m.RackKW < 0 || m.RackMaxKW < 0 {
		return nil, doc.Errorf("machine_room", "reserve_percent 0..100, rack_kw and rack_max_kw ≥ 0")
	} else if r := id.Room(); r.RackMaxKW < r.RackKW {
		return nil, doc.Errorf("machine_room.rack_max_kw", "%g kW below rack_kw %g kW", r.RackMaxKW, r.RackKW)
	}
	if n := utf8.RuneCountInString(id.NumberTemplate); n > maxTemplateRunes {
		return nil, doc.Errorf("report_number", "%d characters; at most %d", n, maxTemplateRunes)
	}
	t, err := template.New("report_number").Option("missingkey=error").Parse(id.NumberTemplate)
	if err != nil {
		return nil, doc.Errorf("report_number", "%v", err)
	}
	if err := plainTemplate(t.Tree.Root); err != nil {
		return nil, doc.Errorf("report_number", "%v", err)
	}
	id.numberTmpl = t
	// Try it, so that a field typo ({{.Yr}}) fails at load, not at the month end.
	if _, err := id.Number(NumberFields{Year: 2026, Month: "11", Kind: "XX", Seq: 1}); err != nil {
		return nil, doc.Errorf("report_number", "%v", err)
	}
	if n, err := id.Number(NumberFields{Year: 2026, Month: "11", Kind: "XX", Seq: 2}); err == nil {
		if m, _ := id.Number(NumberFields{Year: 2026, Month: "11", Kind: "XX", Seq: 1}); m == n {
			return nil, doc.Errorf("report_number", "%q does not use .Seq: every report would get the same number", id.NumberTemplate)
		}
	}
	return &id, nil
}

// Number renders a report number from the template.
func (id *Identification) Number(f NumberFields) (string, error) {
	if id.numberTmpl == nil {
		return "", fmt.Errorf("report number: identification not loaded with LoadIdentification")
	}
	var b bytes.Buffer
	if err := id.numberTmpl.Execute(&b, f); err != nil {
		return "", fmt.Errorf("report number: %v", err)
	}
	s := strings.TrimSpace(b.String())
	if s == "" {
		return "", fmt.Errorf("report number: template gives an empty number")
	}
	if n := utf8.RuneCountInString(s); n > maxReportNumberRunes {
		return "", fmt.Errorf("report number %q: %d characters; at most %d", s, n, maxReportNumberRunes)
	}
	return s, nil
}

// ReportNumber is the number of the seq-th report of a kind for a period.
func (id *Identification) ReportNumber(kind string, p calendar.Period, seq int) (string, error) {
	if seq < 1 {
		return "", fmt.Errorf("report number: sequence %d, want ≥ 1", seq)
	}
	code, ok := id.NumberKinds[kind]
	if !ok {
		return "", fmt.Errorf("report number: report kind %q has no entry in number_kinds", kind)
	}
	s := p.Start.In(calendar.Zone)
	return id.Number(NumberFields{Year: s.Year(), Month: fmt.Sprintf("%02d", s.Month()), Kind: code, Seq: seq})
}

// SubmitterFor returns the 报送单位 of a report kind.
func (id *Identification) SubmitterFor(kind string) string {
	if s, ok := id.Submitters[kind]; ok {
		return s
	}
	return id.Submitter
}

// Service returns the service period from ServiceStart (one year).
func (id *Identification) Service() (calendar.Service, error) {
	d, err := calendar.ParseDate(id.ServiceStart)
	if err != nil {
		return calendar.Service{}, err
	}
	return calendar.NewService(d, time.Time{})
}

// CheckCalendar reports a service start that disagrees with the calendar
// file's: two files must not tell two service periods.
func (id *Identification) CheckCalendar(c *calendar.Calendar) error {
	d, err := calendar.ParseDate(id.ServiceStart)
	if err != nil {
		return id.doc.Errorf("service_start", "%v", err)
	}
	if !d.Equal(c.Service.Start) {
		return id.doc.Errorf("service_start", "%s, but the calendar file %s says service.start %s",
			id.ServiceStart, c.Doc.File, c.Service.Start.Format("2006-01-02"))
	}
	return nil
}
