package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
)

// RenderHTML writes a self-contained HTML document (inline CSS and SVG, no
// external resources), zh-CN first with English, with A4 print CSS.
func RenderHTML(w io.Writer, d *Document) error {
	return htmlTmpl.Execute(w, struct {
		D        *Document
		Counters Table
	}{d, compactCounters(CounterTable(d))})
}

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

var htmlTmpl = template.Must(template.New("r").Funcs(template.FuncMap{
	"svg":    chartSVG,
	"status": statusClass,
}).Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.D.Title}} {{.D.Month}}</title>
<style>
/* Print cost: Chromium embeds the CFF-based Noto CJK faces as Type 3 fonts,
   regenerated for every PDF, at about half a second per face. So the report
   uses one CJK face: bold is synthesised from the regular face (a family
   with only a 400 face), and code is set in DejaVu Sans Mono (TrueType,
   cheap to embed) with the same CJK face as fallback. Where the local face
   is missing the usual family list below applies. */
@font-face { font-family: "JG Sans"; src: local("NotoSansCJKsc-Regular"), local("Noto Sans CJK SC"); font-weight: 400; }
@page { size: A4; margin: 14mm 12mm 16mm 12mm; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { font-family: "JG Sans", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif; font-size: 10.5pt; color: #1d2330; line-height: 1.45; }
main { max-width: 186mm; margin: 0 auto; padding: 6mm 0; }
h1 { font-size: 17pt; margin: 0 0 2mm 0; }
h1 .en, h2 .en, h3 .en { display: block; font-size: 0.62em; font-weight: normal; color: #5b6473; }
h2 { font-size: 13pt; border-bottom: 2px solid #1f4e8c; padding-bottom: 1mm; margin: 7mm 0 3mm 0; break-after: avoid; }
h3 { font-size: 11pt; margin: 4mm 0 2mm 0; break-after: avoid; }
.meta { color: #5b6473; font-size: 9pt; }
.frozen { border: 1px solid #1f4e8c; padding: 2mm; margin: 2mm 0; font-size: 9pt; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; margin: 2mm 0 4mm 0; font-size: 8.5pt; }
th, td { border: 1px solid #c5cbd6; padding: 1mm 1.2mm; vertical-align: top; overflow-wrap: anywhere; word-break: break-word; }
th { background: #eef2f8; text-align: left; font-weight: 600; }
th .en { display: block; font-weight: normal; color: #5b6473; font-size: 0.9em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr { break-inside: avoid; }
thead { display: table-header-group; }
.summary td:first-child { width: 45%; }
.s-met { color: #1a7f37; } .s-breached { color: #b42318; font-weight: 600; } .s-indeterminate { color: #9a6700; font-weight: 600; }
svg.chart { width: 100%; height: auto; display: block; margin: 2mm 0; }
.audit code { font-family: "DejaVu Sans Mono", "JG Sans", "Noto Sans CJK SC", monospace; font-size: 7.5pt; overflow-wrap: anywhere; word-break: break-all; }
.audit table { font-size: 7.5pt; }
#t-audit-counters th:first-child { width: 20%; } #t-audit-counters th:last-child { width: 17%; } #t-audit-counters td { white-space: pre-line; }
p { margin: 1mm 0; }
section { break-inside: auto; }
.appendix { break-before: page; }
@media screen { body { background: #f4f6fa; } main { background: #fff; padding: 10mm 12mm; } }
</style>
</head>
<body>
<main>
<header>
<h1 id="title">{{.D.Title}}<span class="en">{{.D.TitleEN}}</span></h1>
<p class="meta">{{if .D.Organisation}}{{.D.Organisation}} · {{end}}月份 Month: <b>{{.D.Month}}</b> · 时区 Time zone: {{.D.TimeZone}} · 生成时间 Generated: {{.D.GeneratedAt}}{{if .D.Filter}} · 过滤 Filter: <code>{{.D.Filter}}</code>{{end}}</p>
{{with .D.Frozen}}<p class="frozen">已冻结 Frozen: {{.FrozenAt}} · SHA-256 <code>{{.SHA256}}</code></p>{{end}}
</header>
<section id="summary">
<h2>概要<span class="en">Summary</span></h2>
<table class="summary"><tbody>
{{range .D.Summary}}<tr><td>{{.Label}} <span class="meta">{{.LabelEN}}</span></td><td>{{.Value}}</td></tr>
{{end}}</tbody></table>
</section>
{{range .D.Sections}}
<section id="sec-{{.ID}}">
<h2>{{.Title}}<span class="en">{{.TitleEN}}</span></h2>
{{range .Text}}<p>{{.}}</p>{{end}}
{{range .Charts}}{{svg .}}{{end}}
{{range .Tables}}{{template "table" .}}{{end}}
</section>
{{end}}
<section id="audit" class="appendix audit">
<h2>附录：审计信息<span class="en">Appendix: audit</span></h2>
<p><b>维护策略 Maintenance policy:</b> {{.D.Audit.Policy}}</p>
<p><b>SLA 目标 SLA target:</b> {{.D.SLATarget}}</p>
{{range .D.Audit.Method}}<p>{{.}}</p>{{end}}
<h3>查询<span class="en">Queries (PromQL, evaluation time)</span></h3>
<table><thead><tr><th style="width:22%">用途<span class="en">Purpose</span></th><th>PromQL</th><th style="width:18%">求值时间<span class="en">Evaluated at</span></th><th style="width:7%">序列<span class="en">Series</span></th></tr></thead><tbody>
{{range .D.Audit.Queries}}<tr><td>{{.Purpose}}</td><td><code>{{.PromQL}}</code></td><td>{{.EvalAt}}</td><td class="num">{{.Series}}</td></tr>
{{end}}</tbody></table>
{{template "table" .Counters}}
</section>
</main>
</body>
</html>
{{define "table"}}<h3>{{.Title}}<span class="en">{{.TitleEN}}</span></h3>
{{if .Rows}}<table id="t-{{.ID}}"><thead><tr>{{range .Columns}}<th>{{.Title}}<span class="en">{{.TitleEN}}</span></th>{{end}}</tr></thead><tbody>
{{$cols := .Columns}}{{range .Rows}}<tr>{{range $i, $c := .}}<td class="{{if (index $cols $i).Numeric}}num{{end}} {{status $c}}">{{$c}}</td>{{end}}</tr>
{{end}}</tbody></table>{{else}}<p class="meta">{{.Empty}}</p>{{end}}
{{end}}`))

func statusClass(s string) string {
	switch {
	case strings.HasSuffix(s, " met"):
		return "s-met"
	case strings.HasSuffix(s, " breached"):
		return "s-breached"
	case strings.HasSuffix(s, " indeterminate"):
		return "s-indeterminate"
	}
	return ""
}

// chartSVG renders a horizontal bar chart.
func chartSVG(c Chart) template.HTML {
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
	fmt.Fprintf(&b, `<svg class="chart" role="img" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" aria-label="%s">`, w, h, esc(c.Title+" "+c.TitleEN))
	fmt.Fprintf(&b, `<text x="0" y="16" font-size="13" font-weight="600">%s <tspan fill="#5b6473" font-weight="normal">%s</tspan></text>`, esc(c.Title), esc(c.TitleEN))
	if n == 0 {
		fmt.Fprintf(&b, `<text x="0" y="%.0f" font-size="12" fill="#5b6473">无数据 no data</text></svg>`, top+14)
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
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10">%s %s</text>`, left+bw+4, y+bar-4, esc(num(v, 1)), esc(c.Unit))
	}
	if c.Threshold > 0 {
		x := left + c.Threshold/max*span
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.1f" stroke="#b42318" stroke-dasharray="4 3"/>`, x, top-4, x, h-18)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" fill="#b42318">%s</text>`, math.Min(x, w-150), h-6, esc(c.ThresholdLabel))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
