package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// RenderJSON writes the document model (indented, stable).
func RenderJSON(w io.Writer, d *Document) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// allTables is every table in document order, then the audit.
func allTables(d *Document) []Table {
	var ts []Table
	lang := docLang(d)
	sum := Table{ID: "summary", Title: "总体情况", TitleEN: "Overview", Columns: []Column{col("项目", "Item"), col("内容", "Value")}}
	for _, kv := range d.Summary {
		sum.Rows = append(sum.Rows, []string{pick(lang, kv.Label, kv.LabelEN), kv.Value})
	}
	ts = append(ts, sum)
	for _, s := range d.Sections {
		ts = append(ts, s.Tables...)
	}
	for _, a := range d.Annexes { // each annex its own sheet, titled 附件一：…明细
		t := a.Table
		t.Title, t.TitleEN = a.Title, a.TitleEN
		ts = append(ts, t)
	}
	q := Table{ID: "audit-queries", Title: "审计：查询", TitleEN: "Audit: queries",
		Columns: []Column{col("用途", "Purpose"), col("PromQL", "PromQL"), col("求值时间", "Evaluated at"), ncol("序列", "Series")}}
	for _, a := range d.Audit.Queries {
		q.Rows = append(q.Rows, []string{AuditPurpose(lang, a.Purpose), AuditPromQL(lang, a.PromQL), a.EvalAt, strconv.Itoa(a.Series)})
	}
	pol := Table{ID: "audit-policy", Title: "审计：方法", TitleEN: "Audit: method", Columns: []Column{col("说明", "Note")}}
	if d.Audit.Policy != "" {
		pol.Rows = append(pol.Rows, []string{pick(lang, "维护策略：", "Maintenance policy: ") + d.Audit.Policy})
	}
	for _, m := range d.Audit.Method {
		pol.Rows = append(pol.Rows, []string{m})
	}
	for _, c := range d.Audit.Caveats {
		pol.Rows = append(pol.Rows, []string{pick(lang, "注意事项：", "Caveat: ") + c})
	}
	if d.Audit.Policy == "" && len(d.Audit.Queries) == 0 && len(d.Entities) == 0 {
		// A document from the records (internal/report/recdocs): no
		// maintenance policy, PromQL or counters to audit.
		return append(ts, pol)
	}
	return append(ts, pol, q, CounterTable(d))
}

// csvSafe neutralises spreadsheet formulas (OWASP "CSV injection"): a
// cell starting with =, +, -, @, TAB or CR is a formula (or becomes one) in
// Excel, WPS and LibreOffice, so it is prefixed with a single quote, which
// those programs show as text. A cell that is a plain number ("-1", "-0.5")
// is no formula and is left alone.
// Bytes that are not UTF-8 (a label value from a non-Prometheus backend)
// become U+FFFD, so the file stays UTF-8 throughout.
func csvSafe(v string) string {
	v = strings.ToValidUTF8(v, "\uFFFD")
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if plainNumber.MatchString(v) {
			return v
		}
		return "'" + v
	}
	return v
}

var plainNumber = regexp.MustCompile(`^[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// csvWriter writes records with every cell made safe.
type csvWriter struct{ *csv.Writer }

func (w csvWriter) Write(rec []string) error {
	out := make([]string, len(rec))
	for i, v := range rec {
		out[i] = csvSafe(v)
	}
	return w.Writer.Write(out)
}

// RenderCSV writes every table one after another, each preceded by a
// "# title" line and a header row (UTF-8 with BOM so spreadsheet software
// reads the Chinese correctly). Cells that a spreadsheet would take as a
// formula are prefixed with a single quote (csvSafe).
func RenderCSV(w io.Writer, d *Document) error {
	var b bytes.Buffer
	b.WriteString("\ufeff")
	cw := csvWriter{csv.NewWriter(&b)}
	lang := docLang(d)
	cw.Write([]string{"# " + pick(lang, d.Title, d.TitleEN), d.Month, d.PeriodStart, d.PeriodEnd})
	for _, t := range allTables(d) {
		cw.Write([]string{})
		cw.Write([]string{"# " + pick(lang, t.Title, t.TitleEN)})
		var hdr []string
		for _, c := range t.Columns {
			hdr = append(hdr, pick(lang, c.Title, c.TitleEN))
		}
		cw.Write(hdr)
		for _, r := range t.Rows {
			cw.Write(r)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// RenderXLSX writes one sheet per table.
func RenderXLSX(w io.Writer, d *Document) error {
	f := excelize.NewFile()
	defer f.Close()
	// Fixed document properties keep re-rendering stable.
	lang := docLang(d)
	f.SetDocProps(&excelize.DocProperties{Title: pick(lang, d.Title, d.TitleEN), Creator: "jianguan", Created: d.GeneratedAt, Modified: d.GeneratedAt})
	used := map[string]bool{}
	first := true
	for _, t := range allTables(d) {
		name := sheetName(pick(lang, t.Title, t.TitleEN), used)
		if first {
			f.SetSheetName("Sheet1", name)
			first = false
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		row := 1
		f.SetCellValue(name, "A1", pick(lang, t.Title, t.TitleEN))
		row = 2
		for i, c := range t.Columns {
			cell, _ := excelize.CoordinatesToCellName(i+1, row)
			f.SetCellValue(name, cell, pick(lang, c.Title, c.TitleEN))
		}
		for _, r := range t.Rows {
			row++
			for i, v := range r {
				cell, _ := excelize.CoordinatesToCellName(i+1, row)
				if i < len(t.Columns) && t.Columns[i].Numeric {
					if x, err := strconv.ParseFloat(v, 64); err == nil {
						f.SetCellValue(name, cell, x)
						continue
					}
				}
				// Text cells are written as strings (never as
				// formulas, whatever they start with).
				f.SetCellStr(name, cell, strings.ToValidUTF8(v, "\uFFFD"))
			}
		}
	}
	return f.Write(w)
}

func sheetName(t string, used map[string]bool) string {
	r := []rune(strings.NewReplacer(":", " ", "/", " ", "\\", " ", "?", " ", "*", " ", "[", "(", "]", ")").Replace(t))
	if len(r) > 28 {
		r = r[:28]
	}
	n := string(r)
	base := n
	for i := 2; used[n]; i++ {
		n = fmt.Sprintf("%s %d", base, i)
	}
	used[n] = true
	return n
}

// Snapshot is a frozen month: the document JSON plus its SHA-256.
type Snapshot struct {
	Document json.RawMessage `json:"document"`
	SHA256   string          `json:"sha256"`
	FrozenAt string          `json:"frozenAt"`
}

// Freeze serialises d as a snapshot.
func Freeze(d *Document, now time.Time) ([]byte, error) {
	doc := *d
	doc.Frozen = nil
	b, err := json.Marshal(&doc)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	s := Snapshot{Document: b, SHA256: hex.EncodeToString(sum[:]), FrozenAt: now.UTC().Format(time.RFC3339)}
	return json.MarshalIndent(s, "", " ")
}

// Thaw reads a snapshot, verifies its SHA-256 and returns the document
// marked as frozen.
func Thaw(b []byte) (*Document, error) {
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("snapshot: %v", err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, s.Document); err != nil {
		return nil, fmt.Errorf("snapshot: %v", err)
	}
	sum := sha256.Sum256(compact.Bytes())
	if hex.EncodeToString(sum[:]) != s.SHA256 {
		return nil, fmt.Errorf("snapshot: SHA-256 mismatch (document altered)")
	}
	var d Document
	if err := json.Unmarshal(compact.Bytes(), &d); err != nil {
		return nil, fmt.Errorf("snapshot: %v", err)
	}
	d.Frozen = &Frozen{FrozenAt: s.FrozenAt, SHA256: s.SHA256}
	return &d, nil
}

// Render renders d in a non-PDF format (PDF: see RenderPDF).
func Render(w io.Writer, d *Document, format string) error {
	switch format {
	case "html":
		return RenderHTML(w, d)
	case "json":
		return RenderJSON(w, d)
	case "csv":
		return RenderCSV(w, d)
	case "xlsx":
		return RenderXLSX(w, d)
	}
	return Errorf(ErrBadRequest, "unsupported format %q: want one of html, pdf, csv, xlsx, json", format)
}

// ContentType of a format.
func ContentType(format string) string {
	switch format {
	case "html":
		return "text/html; charset=utf-8"
	case "json":
		return "application/json"
	case "csv":
		return "text/csv; charset=utf-8"
	case "xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case "pdf":
		return "application/pdf"
	}
	return "application/octet-stream"
}
