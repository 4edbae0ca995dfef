package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/docfmt"
)

// RenderHTML writes a self-contained HTML document (inline CSS and SVG, no
// external resources) in the document's one language (d.Lang: zh-CN by
// default, en), in the frame every document for 甲方 has: cover with the
// identification block, 目录, numbered headings (一、（一）), the body, the
// sign-off block and the audit appendix. Print CSS: A4, GB/T 9704 margins
// (top 37 mm, left 28 mm); page header and 「第 N 页 共 M 页」 come from the
// PDF printer (PrintFrame).
func RenderHTML(w io.Writer, d *Document) error {
	v, err := newView(d)
	if err != nil {
		return err
	}
	return htmlTmpl.Execute(w, v)
}

// docLang is the document's language (zh-CN when unset: documents frozen
// before languages existed are Chinese).
func docLang(d *Document) docfmt.Lang {
	if d.Lang == string(docfmt.EN) {
		return docfmt.EN
	}
	return docfmt.ZH
}

// pick is the wording of lang from a zh/en pair.
func pick(lang docfmt.Lang, zh, en string) string {
	if lang == docfmt.EN && en != "" {
		return en
	}
	return zh
}

type kvView struct{ Label, Value string }

type tocView struct{ ID, Num, Title string }

type cellView struct {
	Class string
	Text  template.HTML
}

type tableView struct {
	ID, Num, Title, Empty string
	Wide                  bool // more than 9 columns: set smaller to fit the 156 mm text block
	Columns               []string
	Numeric               []bool
	Rows                  [][]cellView
}

type sectionView struct {
	ID, Num, Title string
	Text           []string
	Charts         []template.HTML
	Tables         []tableView
	Items          []kvView
}

type signView struct{ Role, Name string }

type htmlView struct {
	Lang, Title, Subtitle, Confidentiality string
	Cover                                  []kvView
	Draft                                  string
	Frozen                                 *Frozen
	L                                      map[string]string
	TOC                                    []tocView
	Summary                                sectionView
	Sections                               []sectionView
	SignNum                                string
	SignOff                                []signView
	SignDate                               string
	Audit                                  sectionView
	Policy                                 string
	Method                                 []string
	Queries                                []AuditQuery
	Caveats                                []string
	Counters                               tableView
	CountersNote                           string // where the counters are when not printed whole (printedCounters)
	Annexes                                []annexView
}

// annexView is one annex (附件一：…明细) after the sign-off, its table in
// chunks of annexChunkRows rows (annexChunks).
type annexView struct {
	ID, Title string
	Note      string // an annex longer than PrintRows: where its rows are (printedAnnex)
	Tables    []tableView
}

// labels of the frame, per language.
var frameLabels = map[docfmt.Lang]map[string]string{
	docfmt.ZH: {
		"toc": "目录", "summary": "总体情况", "signoff": "签署", "appendix": "附录：审计信息", "seal": "（盖章）", "date": "日期",
		"caveats": "注意事项", "policy": "维护策略：", "queries": "查询（PromQL 与求值时间）", "purpose": "用途", "evalAt": "求值时间", "series": "序列数",
		"frozen": "已冻结", "draft": "草稿：本报告尚未签署，签署栏留空。", "item": "项目", "value": "内容",
	},
	docfmt.EN: {
		"toc": "Contents", "summary": "Overview", "signoff": "Sign-off", "appendix": "Appendix: audit", "seal": "(seal)", "date": "Date",
		"caveats": "Caveats", "policy": "Maintenance policy: ", "queries": "Queries (PromQL and evaluation time)", "purpose": "Purpose", "evalAt": "Evaluated at", "series": "Series",
		"frozen": "Frozen", "draft": "Draft: this report is not signed off; the sign-off lines are empty.", "item": "Item", "value": "Value",
	},
}

// heading is the number of the n-th heading at level (1: 一、 / 1., 2: （一） / 1.1).
func heading(lang docfmt.Lang, level, parent, n int) string {
	if lang == docfmt.EN {
		if level == 1 {
			return fmt.Sprintf("%d.", n)
		}
		return fmt.Sprintf("%d.%d", parent, n)
	}
	s, err := docfmt.HeadingNumber(level, n)
	if err != nil {
		return fmt.Sprintf("%d.", n)
	}
	return s
}

func newView(d *Document) (*htmlView, error) {
	lang := docLang(d)
	L := frameLabels[lang]
	v := &htmlView{Lang: string(lang), Title: pick(lang, d.Title, d.TitleEN), L: L, Frozen: d.Frozen}
	if lang == docfmt.ZH {
		v.Lang = "zh-CN"
	}
	period := d.PeriodText
	if period == "" {
		period = d.Month
	}
	add := func(zh, en, val string) {
		v.Cover = append(v.Cover, kvView{pick(lang, zh, en), val})
	}
	if c := d.Cover; c != nil {
		v.Subtitle = c.Project
		v.Confidentiality = c.Confidentiality
		add("项目名称", "Project", c.Project)
		add("合同编号", "Contract number", c.ContractNo)
		add("报送单位", "Submitted by", c.Submitter)
		add("报送对象", "Submitted to", c.Recipient)
		add("报告编号", "Report number", c.ReportNumber)
		add("服务期", "Service period", c.ServicePeriod)
	} else if d.Organisation != "" {
		add("单位", "Organisation", d.Organisation)
	}
	add("报告期", "Reporting period", period)
	if d.Filter != "" {
		add("过滤条件", "Filter", d.Filter)
	}
	if d.Frozen == nil {
		v.Draft = L["draft"]
	}
	n := 0
	next := func(id, title string) (string, tocView) {
		n++
		t := tocView{ID: id, Num: heading(lang, 1, 0, n), Title: title}
		v.TOC = append(v.TOC, t)
		return t.Num, t
	}
	v.Summary.ID = "summary"
	v.Summary.Num, _ = next("summary", L["summary"])
	v.Summary.Title = L["summary"]
	for _, kv := range d.Summary {
		v.Summary.Items = append(v.Summary.Items, kvView{pick(lang, kv.Label, kv.LabelEN), kv.Value})
	}
	for _, s := range d.Sections {
		sv := sectionView{ID: "sec-" + s.ID, Title: pick(lang, s.Title, s.TitleEN), Text: s.Text}
		sv.Num, _ = next(sv.ID, sv.Title)
		for _, c := range s.Charts {
			sv.Charts = append(sv.Charts, chartSVG(c, lang))
		}
		for _, c := range s.SeriesCharts {
			sv.Charts = append(sv.Charts, seriesSVG(c, lang))
		}
		for i, t := range s.Tables {
			sv.Tables = append(sv.Tables, tableOf(t, lang, heading(lang, 2, n, i+1)))
		}
		v.Sections = append(v.Sections, sv)
	}
	v.SignNum, _ = next("signoff", L["signoff"])
	for i, role := range docfmt.SignOffRoles {
		name := ""
		if d.Frozen != nil && d.Cover != nil {
			name = [...]string{d.Cover.SignOff.Preparer, d.Cover.SignOff.Reviewer, d.Cover.SignOff.Approver}[i]
		}
		v.SignOff = append(v.SignOff, signView{pick(lang, role.ZH, role.EN), name})
	}
	if d.Frozen != nil {
		if t, err := time.Parse(time.RFC3339, d.Frozen.FrozenAt); err == nil {
			v.SignDate = docfmt.Date(t, lang)
		}
	}
	for _, a := range d.Annexes {
		av := printedAnnex(a, lang) // at most PrintRows rows printed
		v.Annexes = append(v.Annexes, av)
		v.TOC = append(v.TOC, tocView{ID: av.ID, Title: av.Title})
	}
	v.TOC = append(v.TOC, tocView{ID: "audit", Title: L["appendix"]})
	v.Policy = d.Audit.Policy
	v.Method = d.Audit.Method
	v.Queries = printedQueries(d.Audit.Queries, lang) // each PromQL at most PrintQueryBytes
	v.Caveats = printedCaveats(d.Audit.Caveats, lang) // at most PrintCaveats
	counters, note := printedCounters(d, lang)        // at most PrintRows entities printed
	v.Counters, v.CountersNote = tableOf(compactCounters(counters), lang, ""), note
	return v, nil
}

// tableOf is a table in one language; its verdict cells get a class and
// URLs may break only after / and . (<wbr>).
func tableOf(t Table, lang docfmt.Lang, num string) tableView {
	tv := tableView{ID: t.ID, Num: num, Title: pick(lang, t.Title, t.TitleEN), Empty: t.Empty, Wide: len(t.Columns) > 9}
	for _, c := range t.Columns {
		tv.Columns = append(tv.Columns, pick(lang, c.Title, c.TitleEN))
		tv.Numeric = append(tv.Numeric, c.Numeric)
	}
	tv.Rows = make([][]cellView, 0, len(t.Rows))
	for _, r := range t.Rows {
		row := make([]cellView, len(r))
		for i, c := range r {
			cls := statusClass(c, lang)
			switch {
			case i < len(tv.Numeric) && tv.Numeric[i]:
				cls = strings.TrimSpace("num " + cls)
			case i < len(t.Columns) && nameColumns[t.Columns[i].Title]:
				cls = "name"
			}
			row[i] = cellView{Class: cls, Text: breakURL(c)}
		}
		tv.Rows = append(tv.Rows, row)
	}
	return tv
}

// nameColumns hold names (of lines, hosts, sites, rooms, devices…): their
// cells never break inside a name (cu-leased-1 is not 「cu-lease / d-1」);
// URLs in them break only after / and . (breakURL).
var nameColumns = map[string]bool{"站点": true, "机房": true, "设备": true, "传感器": true, "网站": true, "服务商": true,
	"单位": true, "系统": true, "运营商": true, "线路": true, "云主机": true, "对象": true, "类型": true, "类别": true}

// breakURL escapes s; in a URL (scheme://…) it allows a line break only
// after "/" and "." (CSS keeps the rest of the URL together).
func breakURL(s string) template.HTML {
	e := template.HTMLEscapeString(s)
	if !strings.Contains(s, "://") {
		return template.HTML(e)
	}
	e = strings.NewReplacer("/", "/<wbr>", ".", ".<wbr>").Replace(e)
	return template.HTML(`<span class="url">` + e + `</span>`)
}

var htmlTmpl = template.Must(template.New("r").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
/* Print cost: Chromium embeds the CFF-based Noto CJK faces as Type 3 fonts,
   regenerated for every PDF, at about half a second per face. So the
   document uses two CJK faces: Noto Serif CJK (body, 宋体 style) and Noto
   Sans CJK (headings, 黑体 style), each with one weight (bold is
   synthesised), and code in DejaVu Sans Mono (TrueType, cheap to embed). */
@font-face { font-family: "JG Serif"; src: local("NotoSerifCJKsc-Regular"), local("Noto Serif CJK SC"); font-weight: 400; }
@font-face { font-family: "JG Sans"; src: local("NotoSansCJKsc-Regular"), local("Noto Sans CJK SC"); font-weight: 400; }
/* GB/T 9704-2012: A4, top 37 mm, left 28 mm, text block 156 × 225 mm. */
@page { size: A4; margin: 37mm 26mm 35mm 28mm; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { font-family: "JG Serif", "Noto Serif CJK SC", "Source Han Serif SC", "SimSun", serif; font-size: 11pt; color: #000; line-height: 1.5; }
main { max-width: 156mm; margin: 0 auto; }
h1, h2, h3, .cover, th, .toc, .signoff { font-family: "JG Sans", "Noto Sans CJK SC", "Source Han Sans SC", "SimHei", sans-serif; }
h2 { font-size: 14pt; margin: 6mm 0 3mm 0; break-after: avoid; }
h3 { font-size: 12pt; margin: 4mm 0 2mm 0; break-after: avoid; }
.cover { break-after: page; text-align: center; padding-top: 20mm; }
.cover .mark { text-align: right; font-size: 12pt; margin-bottom: 18mm; }
.cover h1 { font-size: 20pt; line-height: 1.4; margin: 0 0 6mm 0; text-wrap: balance; }
.cover .project { font-size: 14pt; margin-bottom: 24mm; }
.cover table { width: 120mm; margin: 0 auto; border: none; font-size: 12pt; table-layout: auto; }
.cover td { border: none; padding: 2mm 0; text-align: left; vertical-align: top; }
.cover td.k { width: 30mm; white-space: nowrap; padding-right: 4mm; }
.cover td.v { border-bottom: 1px solid #000; }
.cover .draft { margin-top: 16mm; font-size: 10.5pt; }
.toc { break-after: page; }
.toc ol { list-style: none; padding: 0; font-size: 12pt; }
.toc li { margin: 2mm 0; }
.toc a { color: #000; text-decoration: none; }
.frozen { font-size: 9pt; margin: 2mm 0; }
table { width: 100%; border-collapse: collapse; margin: 2mm 0 4mm 0; font-size: 9pt; }
th, td { border: 1px solid #000; padding: 1mm 1.2mm; vertical-align: top; }
td { overflow-wrap: break-word; }
td.name { white-space: nowrap; }
/* A header never splits a word: keep CJK words and Latin words whole. */
th { background: #f0f0f0; text-align: center; font-weight: 400; word-break: keep-all; overflow-wrap: normal; hyphens: none; }
td .url { white-space: normal; word-break: keep-all; overflow-wrap: normal; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr { break-inside: avoid; }
thead { display: table-header-group; }
.kv td:first-child { width: 35%; }
table.wide { font-size: 7pt; }
table.wide th, table.wide td { padding: 0.6mm 0.5mm; }
.s-met, .s-breached, .s-indeterminate { white-space: nowrap; }
.s-breached { font-weight: 700; } .s-indeterminate { font-style: italic; }
svg.chart { width: 100%; height: auto; display: block; margin: 2mm 0; }
.audit code { font-family: "DejaVu Sans Mono", "JG Sans", "Noto Sans CJK SC", monospace; font-size: 7.5pt; overflow-wrap: anywhere; word-break: break-all; }
.audit table { font-size: 7.5pt; }
#t-audit-counters td { white-space: pre-line; }
p { margin: 1.5mm 0; text-indent: 2em; }
.signoff { break-inside: avoid; margin-top: 10mm; }
.signoff table { border: none; font-size: 12pt; }
.signoff td { border: none; padding: 4mm 2mm; white-space: nowrap; }
.signoff td.line { border-bottom: 1px solid #000; width: 40%; }
.signoff .seal { height: 42mm; text-align: right; padding-right: 10mm; color: #555; }
.appendix { break-before: page; }
@media screen { body { background: #eee; } main { background: #fff; padding: 10mm 14mm; max-width: 184mm; } }
</style>
</head>
<body>
<main>
<section class="cover" id="cover">
{{if .Confidentiality}}<div class="mark">{{.Confidentiality}}</div>{{end}}
<h1 id="title">{{.Title}}</h1>
{{if .Subtitle}}<div class="project">{{.Subtitle}}</div>{{end}}
<table><tbody>
{{range .Cover}}<tr><td class="k">{{.Label}}</td><td class="v">{{.Value}}</td></tr>
{{end}}</tbody></table>
{{with .Frozen}}<p class="frozen">{{$.L.frozen}} {{.FrozenAt}} · SHA-256 <code>{{.SHA256}}</code></p>{{end}}
{{if .Draft}}<p class="draft">{{.Draft}}</p>{{end}}
</section>
<nav class="toc" id="toc">
<h2>{{.L.toc}}</h2>
<ol>
{{range .TOC}}<li><a href="#{{.ID}}">{{if .Num}}{{.Num}}{{end}}{{.Title}}</a></li>
{{end}}</ol>
</nav>
<section id="summary">
<h2>{{.Summary.Num}}{{.Summary.Title}}</h2>
<table class="kv"><tbody>
{{range .Summary.Items}}<tr><td>{{.Label}}</td><td>{{.Value}}</td></tr>
{{end}}</tbody></table>
</section>
{{range .Sections}}
<section id="{{.ID}}">
<h2>{{.Num}}{{.Title}}</h2>
{{range .Text}}<p>{{.}}</p>{{end}}
{{range .Charts}}{{.}}{{end}}
{{range .Tables}}{{template "table" .}}{{end}}
</section>
{{end}}
<section class="signoff" id="signoff">
<h2>{{.SignNum}}{{.L.signoff}}</h2>
<table><tbody>
{{range .SignOff}}<tr><td>{{.Role}}</td><td class="line">{{.Name}}</td><td>{{$.L.date}}</td><td class="line">{{$.SignDate}}</td></tr>
{{end}}</tbody></table>
<div class="seal">{{.L.seal}}</div>
</section>
{{range .Annexes}}<section id="{{.ID}}" class="appendix annex">
<h2>{{.Title}}</h2>
{{with .Note}}<p>{{.}}</p>
{{end}}{{range .Tables}}{{template "chunk" .}}{{end}}
</section>
{{end}}<section id="audit" class="appendix audit">
<h2>{{.L.appendix}}</h2>
{{if .Policy}}<p>{{.L.policy}}{{.Policy}}</p>{{end}}
{{range .Method}}<p>{{.}}</p>{{end}}
{{if .Caveats}}<h3>{{.L.caveats}}</h3>
<ul class="caveats">{{range .Caveats}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if or .Policy .Queries}}<h3>{{.L.queries}}</h3>
<table><thead><tr><th style="width:22%">{{.L.purpose}}</th><th>PromQL</th><th style="width:18%">{{.L.evalAt}}</th><th style="width:8%">{{.L.series}}</th></tr></thead><tbody>
{{range .Queries}}<tr><td>{{.Purpose}}</td><td><code>{{.PromQL}}</code></td><td>{{.EvalAt}}</td><td class="num">{{.Series}}</td></tr>
{{end}}</tbody></table>
{{with .CountersNote}}<p>{{.}}</p>
{{end}}{{template "table" .Counters}}{{end}}
</section>
</main>
</body>
</html>
{{define "chunk"}}{{if .Title}}<h3>{{.Title}}</h3>
{{end}}<table{{if .Wide}} class="wide"{{end}}><thead><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr>{{range .}}<td{{if .Class}} class="{{.Class}}"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</tbody></table>
{{end}}{{define "table"}}<h3>{{.Num}}{{.Title}}</h3>
{{if .Rows}}<table id="t-{{.ID}}"{{if .Wide}} class="wide"{{end}}><thead><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr>{{range .}}<td{{if .Class}} class="{{.Class}}"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</tbody></table>{{else}}<p>{{.Empty}}</p>{{end}}
{{end}}`))

// compactCounters folds the audit's counter table (entity, five counters,
// resets, unknown, note) into three columns for HTML and PDF: the same
// text, a third of the table cells. Chromium's print layout time grows with
// the cells, and this table was a third of the 600-host report's (1.6 s of
// 4.6 s). CSV, XLSX and JSON keep the nine columns.
func compactCounters(t Table) Table {
	if len(t.Columns) != 9 {
		return t
	}
	out := Table{ID: t.ID, Title: t.Title, TitleEN: t.TitleEN, Empty: t.Empty, Columns: []Column{
		{Title: t.Columns[0].Title, TitleEN: t.Columns[0].TitleEN},
		{Title: "计数器：月初 → 月末（增量）", TitleEN: "Counters: at start → at end (increase)"},
		{Title: t.Columns[6].Title + " / " + t.Columns[7].Title + " / " + t.Columns[8].Title,
			TitleEN: t.Columns[6].TitleEN + " / " + t.Columns[7].TitleEN + " / " + t.Columns[8].TitleEN},
	}}
	for _, r := range t.Rows {
		parts := make([]string, 0, 5)
		for i := 1; i <= 5; i++ {
			parts = append(parts, t.Columns[i].Title+" "+r[i])
		}
		last := r[6] + " / " + r[7]
		if r[8] != "" {
			last += " / " + r[8]
		}
		out.Rows = append(out.Rows, []string{r[0], strings.Join(parts, "\n"), last})
	}
	return out
}

func statusClass(s string, lang docfmt.Lang) string {
	switch s {
	case StatusText(StatusMet, lang):
		return "s-met"
	case StatusText(StatusBreached, lang):
		return "s-breached"
	case StatusText(StatusIndeterminate, lang):
		return "s-indeterminate"
	}
	return ""
}

// chartSVG renders a horizontal bar chart.
func chartSVG(c Chart, lang docfmt.Lang) template.HTML {
	const w, left, right, bar, gap, top = 700.0, 200.0, 70.0, 16.0, 6.0, 30.0
	n := len(c.Values)
	var b bytes.Buffer
	h := top + float64(n)*(bar+gap) + 24
	if n == 0 {
		h = top + 30
	}
	max := c.Threshold
	for _, v := range c.Values {
		if v > max {
			max = v
		}
	}
	if max <= 0 {
		max = 1
	}
	esc := template.HTMLEscapeString
	title := pick(lang, c.Title, c.TitleEN)
	fmt.Fprintf(&b, `<svg class="chart" role="img" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" aria-label="%s">`, w, h, esc(title))
	fmt.Fprintf(&b, `<text x="0" y="16" font-size="13" font-weight="600">%s</text>`, esc(title))
	if n == 0 {
		fmt.Fprintf(&b, `<text x="0" y="%.0f" font-size="12" fill="#5b6473">%s</text></svg>`, top+14, pick(lang, "无数据", "no data"))
		return template.HTML(b.String())
	}
	span := w - left - right
	for i, v := range c.Values {
		y := top + float64(i)*(bar+gap)
		bw := math.Max(0, v/max*span)
		col := "#1f4e8c"
		if c.Threshold > 0 && v > c.Threshold && c.Unit == "s" {
			col = "#b42318"
		}
		label := c.Labels[i]
		if r := []rune(label); len(r) > 28 {
			label = string(r[:27]) + "…"
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" font-size="11" text-anchor="end">%s</text>`, left-6, y+bar-4, esc(label))
		fmt.Fprintf(&b, `<rect class="bar" x="%.0f" y="%.1f" width="%.1f" height="%.0f" fill="%s"/>`, left, y, bw, bar, col)
		val := num(v, 1) + " " + c.Unit
		if c.Unit == "s" {
			val = docfmt.Duration(v, lang)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10">%s</text>`, left+bw+4, y+bar-4, esc(val))
	}
	if c.Threshold > 0 {
		x := left + c.Threshold/max*span
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.1f" stroke="#b42318" stroke-dasharray="4 3"/>`, x, top-4, x, h-18)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" fill="#b42318">%s</text>`, math.Min(x, w-150), h-6, esc(c.ThresholdLabel))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
