package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jianguan/jianguan/internal/docfmt"
)

// BodyRows is the most rows a per-entity list (hosts, websites, the
// providers report's entities, racks, sensors) has in the body of a
// document (issue 16 item 8): a longer list shows its totals and its
// BodyRows worst rows, and the complete list goes to an annex (附件：…明细),
// printed after the sign-off in HTML and PDF, its own sheet in XLSX and its
// own block in CSV. 10 000 hosts then give a body of a few pages, not 600.
const BodyRows = 10

// Annex is a complete per-entity list outside the body: 「附件一：云主机可用性明细」.
// Its table keeps the list's natural order (docfmt.NaturalLess on the names).
type Annex struct {
	ID      string `json:"id"`
	Title   string `json:"title"` // 附件一：云主机可用性明细
	TitleEN string `json:"titleEN"`
	Table   Table  `json:"table"`
}

// annexLabel is the n-th annex's label: 附件一 / Annex 1.
func annexLabel(n int, lang docfmt.Lang) string {
	if lang == docfmt.EN {
		return "Annex " + strconv.Itoa(n)
	}
	zh, err := docfmt.ChineseNumeral(n)
	if err != nil {
		zh = strconv.Itoa(n)
	}
	return "附件" + zh
}

// largeList is one per-entity list that may grow past BodyRows.
type largeList struct {
	full    Table  // every row, in natural order
	annexZH string // 云主机可用性明细
	annexEN string
	unitZH  string // 台云主机 (count and noun: 共 N 台云主机)
	unitEN  string
	rankZH  string // 可用率最低的 (正文列出可用率最低的 10 台)
	rankEN  string
	worse   func(i, j int) bool // row i of full is worse than row j
	// keyCols: when set, the annex is sorted naturally by these columns
	// (racks: room, rack); otherwise full is already in natural order.
	keyCols []int
}

// splitLarge returns the body table of l and the sentence that says where
// the rest is. A list of at most BodyRows rows stays whole in the body
// (no annex, no sentence). A longer one: the body gets its BodyRows worst
// rows (l.worse; ties keep the natural order) and the whole table becomes
// the next annex of d.
func (r *run) splitLarge(d *Document, l largeList) (Table, string) {
	n := len(l.full.Rows)
	if n <= BodyRows {
		return l.full, ""
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return l.worse(idx[a], idx[b]) })
	body := l.full
	body.Rows = make([][]string, 0, BodyRows)
	for _, i := range idx[:BodyRows] {
		body.Rows = append(body.Rows, l.full.Rows[i])
	}
	body.Title += r.tr(fmt.Sprintf("（%s%d项）", l.rankZH, BodyRows), fmt.Sprintf(" (%d %s)", BodyRows, l.rankEN))
	body.TitleEN += fmt.Sprintf(" (%d %s)", BodyRows, l.rankEN)
	label := annexLabel(len(d.Annexes)+1, r.cfg.Lang)
	a := Annex{ID: fmt.Sprintf("annex-%d", len(d.Annexes)+1),
		Title:   label + r.tr("：", ": ") + r.tr(l.annexZH, l.annexEN),
		TitleEN: annexLabel(len(d.Annexes)+1, docfmt.EN) + ": " + l.annexEN,
		Table:   l.full}
	a.Table.ID = "annex-" + l.full.ID
	if len(l.keyCols) > 0 {
		a.Table.Rows = append([][]string(nil), l.full.Rows...)
		key := func(row []string) string {
			var k strings.Builder
			for _, c := range l.keyCols {
				if c < len(row) {
					k.WriteString(row[c])
					k.WriteByte(0)
				}
			}
			return k.String()
		}
		sort.SliceStable(a.Table.Rows, func(i, j int) bool { return docfmt.NaturalLess(key(a.Table.Rows[i]), key(a.Table.Rows[j])) })
	}
	d.Annexes = append(d.Annexes, a)
	note := r.tr(fmt.Sprintf("共 %d %s，正文列出%s %d 项，完整清单见%s。", n, l.unitZH, l.rankZH, BodyRows, a.Title),
		fmt.Sprintf("%d %s in total; the body lists the %d %s, the complete list is in %s.", n, l.unitEN, BodyRows, l.rankEN, a.Title))
	return body, note
}

// worseAvailability orders entities worst first: lowest availability
// (entities without an availability last), then most downtime.
func worseAvailability(a, b EntityResult) bool {
	av, bv := a.Availability, b.Availability
	aok, bok := av >= 0 && !math.IsNaN(av), bv >= 0 && !math.IsNaN(bv)
	if aok != bok {
		return aok
	}
	if aok && av != bv {
		return av < bv
	}
	return a.DownSeconds > b.DownSeconds
}

// entityList is an availability table of es (naturally sorted) as a large
// list: worst availability first in the body, all of es in the annex.
func (r *run) entityList(d *Document, full Table, es []EntityResult, annexZH, annexEN, unitZH, unitEN string) (Table, string) {
	return r.splitLarge(d, largeList{full: full, annexZH: annexZH, annexEN: annexEN, unitZH: unitZH, unitEN: unitEN,
		rankZH: "可用率最低的", rankEN: "with the lowest availability",
		worse: func(i, j int) bool { return worseAvailability(es[i], es[j]) }})
}

// byNumber orders rows by the number in column c, largest first when desc
// else smallest first (cells without a number last).
func byNumber(rows [][]string, c int, desc bool) func(i, j int) bool {
	v := func(i int) (float64, bool) {
		if c >= len(rows[i]) {
			return 0, false
		}
		x, err := strconv.ParseFloat(rows[i][c], 64)
		return x, err == nil
	}
	return func(i, j int) bool {
		a, aok := v(i)
		b, bok := v(j)
		if aok != bok {
			return aok
		}
		if desc {
			return aok && a > b
		}
		return aok && a < b
	}
}

// byNumberDesc orders rows by the number in column c, largest first.
func byNumberDesc(rows [][]string, c int) func(i, j int) bool { return byNumber(rows, c, true) }

// incidentSeconds are the durations of incidentTable's rows, in its order
// (entity order, then stable by start time).
func incidentSeconds(es []EntityResult) []float64 {
	type x struct {
		st   int64
		secs float64
	}
	var xs []x
	for _, e := range es {
		for _, in := range e.Incidents {
			xs = append(xs, x{in.StartUnix, in.Seconds})
		}
	}
	sort.SliceStable(xs, func(i, j int) bool { return xs[i].st < xs[j].st })
	out := make([]float64, len(xs))
	for i, v := range xs {
		out[i] = v.secs
	}
	return out
}

// incidentList is incidentTable as a large list: the longest incidents in
// the body, all of them in time order in the annex.
func (r *run) incidentList(d *Document, full Table, es []EntityResult, annexZH, annexEN string) (Table, string) {
	secs := incidentSeconds(es)
	return r.splitLarge(d, largeList{full: full, annexZH: annexZH, annexEN: annexEN, unitZH: "起故障事件", unitEN: "incidents",
		rankZH: "时长最长的", rankEN: "longest", worse: func(i, j int) bool { return secs[i] > secs[j] }})
}

// aggList is aggTable (per unit or provider) as a large list: lowest
// availability first in the body, all in natural order in the annex.
func (r *run) aggList(d *Document, full Table, annexZH, annexEN, unitZH, unitEN string) (Table, string) {
	return r.splitLarge(d, largeList{full: full, annexZH: annexZH, annexEN: annexEN, unitZH: unitZH, unitEN: unitEN,
		rankZH: "可用率最低的", rankEN: "with the lowest availability", worse: byNumber(full.Rows, 3, false)})
}

// sectionNote adds the sentence of splitLarge to a section's text.
func sectionNote(text []string, note string) []string {
	if note == "" {
		return text
	}
	return append(text, note)
}

// annexChunkRows is the most rows of one HTML table in an annex: a long
// list is printed as consecutive tables (the header repeated), which
// Chromium lays out and paginates one at a time — one table of 10 000 rows
// did not print within 15 minutes.
const annexChunkRows = 200

// annexChunks splits t into tables of at most annexChunkRows rows; the
// first keeps the title.
func annexChunks(t tableView) []tableView {
	if len(t.Rows) == 0 {
		return []tableView{t}
	}
	var out []tableView
	for i := 0; i < len(t.Rows); i += annexChunkRows {
		c := t
		c.Rows = t.Rows[i:min(i+annexChunkRows, len(t.Rows))]
		if i > 0 {
			c.Title = ""
		}
		out = append(out, c)
	}
	return out
}

// PrintRows is the most rows a complete list has in HTML and PDF (the
// printable document): an annex, or the audit appendix's per-entity
// counter table. A longer list is not printed row by row — 10 000 hosts
// would be some 250 pages of annex and as many of counters, and Chromium
// did not print them within 15 minutes — but stated: how many rows it has
// and where they all are (the XLSX sheet of the same title and the CSV
// block; JSON has the document). XLSX, CSV and JSON always carry every row.
// 1 000 rows (about 25 A4 pages) keep every list of the 1 000-entity bench
// printed whole.
const PrintRows = 1000

// printedAnnex is annex a as HTML and PDF show it: every row up to
// PrintRows, else a statement of where the complete list is.
func printedAnnex(a Annex, lang docfmt.Lang) annexView {
	av := annexView{ID: a.ID, Title: pick(lang, a.Title, a.TitleEN)}
	if n := len(a.Table.Rows); n > PrintRows {
		av.Note = tr(lang, fmt.Sprintf("本附件共 %d 项，超过打印上限 %d 项，不在本文件中逐项列出；完整清单见同一报告的 XLSX 文件中标题为「%s」的工作表及 CSV 文件。", n, PrintRows, av.Title),
			fmt.Sprintf("This annex has %d rows, more than the %d printed, so they are not listed here; the complete list is the sheet titled \"%s\" of the report's XLSX file, and its CSV file.", n, PrintRows, av.Title))
		return av
	}
	av.Tables = annexChunks(tableOf(a.Table, lang, ""))
	return av
}

// printedCounters is the audit's counter table (CounterTable) as HTML and
// PDF show it: whole for at most PrintRows entities; for more, the totals
// of every counter's increase over all entities and the BodyRows entities
// with the most unknown time (then the most resets) — the ones an auditor
// checks first — with a sentence saying where every row is.
func printedCounters(d *Document, lang docfmt.Lang) (Table, string) {
	t := CounterTable(d)
	n := len(t.Rows)
	if n <= PrintRows {
		return t, ""
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	resets := func(i int) int { v, _ := strconv.Atoi(t.Rows[i][6]); return v }
	sort.SliceStable(idx, func(a, b int) bool {
		ua, ub := d.Entities[idx[a]].UnknownSeconds, d.Entities[idx[b]].UnknownSeconds
		if ua != ub {
			return ua > ub
		}
		return resets(idx[a]) > resets(idx[b])
	})
	out := t
	out.Rows = make([][]string, 0, BodyRows+1)
	var sum [5]float64
	var have [5]bool
	totalResets, unknown := 0, 0.0
	for i, e := range d.Entities {
		f := familyFor(e.NS)
		for j, name := range []string{f.observed, f.down, f.maint, f.maintDown, f.changes} {
			if c, ok := e.Counters[name]; ok {
				sum[j] += c.Delta
				have[j] = true
			}
		}
		totalResets += resets(i)
		unknown += e.UnknownSeconds
	}
	total := []string{tr(lang, fmt.Sprintf("全部 %d 个对象合计（增量）", n), "All "+docfmt.Count(n, "entity", "entities")+" (sum of increases)")}
	for j := range sum {
		if !have[j] {
			total = append(total, "—")
			continue
		}
		total = append(total, "Σ "+num(sum[j], 0))
	}
	total = append(total, strconv.Itoa(totalResets), secs(unknown), "")
	out.Rows = append(out.Rows, total)
	for _, i := range idx[:BodyRows] {
		out.Rows = append(out.Rows, t.Rows[i])
	}
	title := pick(lang, t.Title, t.TitleEN)
	note := tr(lang, fmt.Sprintf("共 %d 个对象，超过打印上限 %d 项：下表列出全部对象的合计及未知时长最长的 %d 个对象；逐对象的完整计数器值见同一报告的 XLSX 文件中标题为「%s」的工作表及 CSV 文件。", n, PrintRows, BodyRows, title),
		fmt.Sprintf("%d entities, more than the %d printed: the table gives the totals over all of them and the %d entities with the most unknown time; every entity's counters are in the sheet titled \"%s\" of the report's XLSX file, and its CSV file.", n, PrintRows, BodyRows, title))
	return out, note
}

// PrintCaveats is the most caveats the printed audit appendix lists (the
// XLSX and CSV 审计：方法 table and JSON carry all): with 10 000 entities a
// caveat per entity was 2 MB of HTML.
const PrintCaveats = 50

// PrintQueryBytes is the most bytes of one PromQL expression the printed
// audit appendix shows: a query over many entities names them in a regex
// alternation (RegexAlternation), 100–400 KB at 10 000 hosts, dozens of
// pages each; 600 bytes show the expression's shape and its first names. The
// XLSX and CSV 审计：查询 table and JSON carry it whole.
const PrintQueryBytes = 600

// PrintQueries bounds the audit queries HTML and PDF list one by one. At
// 15 s data the incident reconstruction ran one query per hour with a
// change (now one per hour in which a run of changed hours starts), and a demo month's 综合监管月报 made 1 179 queries (352 printed
// pages). The first PrintQueries are printed — the engine's counters and
// detectors come first —, then one row says how many there are and where
// all of them are (the XLSX 审计：查询 sheet, the CSV file, the JSON).
const PrintQueries = 100

// printedCaveats are the caveats as HTML and PDF list them: at most
// PrintCaveats, then a line saying how many more there are and where.
func printedCaveats(cs []string, lang docfmt.Lang) []string {
	if len(cs) <= PrintCaveats {
		return cs
	}
	out := append([]string(nil), cs[:PrintCaveats]...)
	return append(out, tr(lang, fmt.Sprintf("……以上列出前 %d 条，共 %d 条注意事项；全部见同一报告的 XLSX 文件中标题为「审计：方法」的工作表及 CSV 文件。", PrintCaveats, len(cs)),
		fmt.Sprintf("… the first %d of %d caveats; all of them are in the sheet titled \"Audit: method\" of the report's XLSX file, and its CSV file.", PrintCaveats, len(cs))))
}

// printedQueries are the audit's queries as HTML and PDF show them: an
// expression longer than PrintQueryBytes is cut (at a rune boundary) and
// says how long it is and where it is whole.
func printedQueries(qs []AuditQuery, lang docfmt.Lang) []AuditQuery {
	n := len(qs)
	if n > PrintQueries {
		qs = qs[:PrintQueries]
	}
	out := make([]AuditQuery, len(qs), len(qs)+1)
	for i, q := range qs {
		out[i] = q
		out[i].Purpose = AuditPurpose(lang, q.Purpose)
		pq := AuditPromQL(lang, q.PromQL)
		out[i].PromQL = pq
		if len(pq) <= PrintQueryBytes {
			continue
		}
		cut := PrintQueryBytes
		for cut > 0 && !utf8.RuneStart(pq[cut]) {
			cut--
		}
		out[i].PromQL = pq[:cut] + tr(lang, fmt.Sprintf(" ……（共 %d 字节，完整查询见 XLSX 文件「审计：查询」工作表及 CSV 文件）", len(pq)),
			fmt.Sprintf(" … (%d bytes; the whole query is in the XLSX sheet \"Audit: queries\" and the CSV file)", len(pq)))
	}
	if n > PrintQueries {
		out = append(out, AuditQuery{Purpose: tr(lang, fmt.Sprintf("……以上列出前 %d 条，共 %d 条查询；全部见同一报告的 XLSX 文件中标题为「审计：查询」的工作表及 CSV 文件。", PrintQueries, n),
			fmt.Sprintf("… the first %d of %d queries; all of them are in the sheet titled \"Audit: queries\" of the report's XLSX file, and its CSV file.", PrintQueries, n))})
	}
	return out
}
