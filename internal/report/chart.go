package report

import (
	"bytes"
	"fmt"
	"html/template"
	"math"

	"github.com/jianguan/jianguan/internal/docfmt"
)

// SeriesChart is a chart over an ordered axis (months, days): lines
// (Values) and bands (Low..High per point), with dashed reference lines
// (a target, a band's limits). Rendered as inline SVG (no script; the text
// takes the document's Noto CJK fonts).
type SeriesChart struct {
	Title   string      `json:"title"`
	TitleEN string      `json:"titleEN"`
	Unit    string      `json:"unit"`
	X       []string    `json:"x"`
	Lines   []ChartLine `json:"lines"`
	Refs    []ChartRef  `json:"refs,omitempty"`
}

// ChartLine is one line or band of a SeriesChart; a nil point has no data
// (a gap, never 0).
type ChartLine struct {
	Name   string     `json:"name"`
	Values []*float64 `json:"values,omitempty"`
	Low    []*float64 `json:"low,omitempty"`
	High   []*float64 `json:"high,omitempty"`
}

// ChartRef is a dashed horizontal line: a target or a band's limit.
type ChartRef struct {
	Value float64 `json:"value"`
	Label string  `json:"label"`
}

var chartColours = []string{"#1f4e8c", "#c2571a", "#2e7d32", "#6a3d9a", "#8c6d1f", "#00838f", "#ad1457", "#455a64"}

// seriesSVG renders c as an inline SVG line/band chart.
func seriesSVG(c SeriesChart, lang docfmt.Lang) template.HTML {
	const w, h, left, right, top, bottom = 700.0, 250.0, 64.0, 110.0, 28.0, 44.0
	esc := template.HTMLEscapeString
	title := pick(lang, c.Title, c.TitleEN)
	var b bytes.Buffer
	legendRows := (len(c.Lines) + 3) / 4
	H := h + float64(legendRows)*16
	fmt.Fprintf(&b, `<svg class="chart" role="img" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" aria-label="%s">`, w, H, esc(title))
	fmt.Fprintf(&b, `<text x="0" y="16" font-size="13" font-weight="600">%s</text>`, esc(title))
	lo, hi := math.Inf(1), math.Inf(-1)
	see := func(ps []*float64) {
		for _, p := range ps {
			if p != nil && !math.IsNaN(*p) && !math.IsInf(*p, 0) {
				lo, hi = math.Min(lo, *p), math.Max(hi, *p)
			}
		}
	}
	for _, l := range c.Lines {
		see(l.Values)
		see(l.Low)
		see(l.High)
	}
	n := len(c.X)
	if n == 0 || math.IsInf(lo, 1) {
		fmt.Fprintf(&b, `<text x="0" y="%.0f" font-size="12" fill="#5b6473">%s</text></svg>`, top+14, esc(pick(lang, "无数据", "no data")))
		return template.HTML(b.String())
	}
	for _, r := range c.Refs {
		lo, hi = math.Min(lo, r.Value), math.Max(hi, r.Value)
	}
	if hi-lo < 1e-9 {
		lo, hi = lo-1, hi+1
	}
	pad := (hi - lo) * 0.08
	lo, hi = lo-pad, hi+pad
	pw, ph := w-left-right, h-top-bottom
	X := func(i int) float64 { return left + (float64(i)+0.5)*pw/float64(n) }
	Y := func(v float64) float64 { return top + (hi-v)/(hi-lo)*ph }
	// Axes and five value ticks, with as many decimals as the span needs.
	prec := int(math.Max(0, math.Ceil(-math.Log10((hi-lo)/4))))
	fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" fill="none" stroke="#999"/>`, left, top, pw, ph)
	for i := 0; i <= 4; i++ {
		v := lo + (hi-lo)*float64(i)/4
		y := Y(v)
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#e0e0e0"/>`, left, y, left+pw, y)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" font-size="10" text-anchor="end">%s</text>`, left-4, y+3, esc(num(v, prec)))
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="10">%s</text>`, 2.0, top-4, esc(c.Unit))
	every := (n + 11) / 12
	for i, x := range c.X {
		if i%every != 0 && i != n-1 {
			continue
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" font-size="10" text-anchor="middle">%s</text>`, X(i), top+ph+14, esc(x))
	}
	// A point where no line has data: 无数据 under it.
	for i := 0; i < n; i++ {
		has := false
		for _, l := range c.Lines {
			has = has || pointAt(l.Values, i) != nil || pointAt(l.High, i) != nil
		}
		if !has {
			fmt.Fprintf(&b, `<text class="nodata" x="%.1f" y="%.0f" font-size="9" fill="#5b6473" text-anchor="middle">%s</text>`, X(i), top+ph-4, esc(pick(lang, "无数据", "no data")))
		}
	}
	for k, l := range c.Lines {
		col := chartColours[k%len(chartColours)]
		for _, seg := range segments(n, func(i int) bool { return pointAt(l.Low, i) != nil && pointAt(l.High, i) != nil }) {
			var pts bytes.Buffer
			for i := seg[0]; i < seg[1]; i++ {
				fmt.Fprintf(&pts, "%.1f,%.1f ", X(i), Y(*l.High[i]))
			}
			for i := seg[1] - 1; i >= seg[0]; i-- {
				fmt.Fprintf(&pts, "%.1f,%.1f ", X(i), Y(*l.Low[i]))
			}
			fmt.Fprintf(&b, `<polygon class="band" points="%s" fill="%s" fill-opacity="0.25" stroke="%s" stroke-width="1"/>`, bytes.TrimSpace(pts.Bytes()), col, col)
		}
		for _, seg := range segments(n, func(i int) bool { return pointAt(l.Values, i) != nil }) {
			var pts bytes.Buffer
			for i := seg[0]; i < seg[1]; i++ {
				fmt.Fprintf(&pts, "%.1f,%.1f ", X(i), Y(*l.Values[i]))
			}
			fmt.Fprintf(&b, `<polyline class="line" points="%s" fill="none" stroke="%s" stroke-width="1.8"/>`, bytes.TrimSpace(pts.Bytes()), col)
			for i := seg[0]; i < seg[1]; i++ {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>`, X(i), Y(*l.Values[i]), col)
			}
		}
		lx := left + float64(k%4)*(pw+right)/4
		ly := h + float64(k/4)*16 - 6
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="10" height="10" fill="%s"/><text x="%.0f" y="%.0f" font-size="10">%s</text>`, lx, ly-9, col, lx+14, ly, esc(l.Name))
	}
	for _, r := range c.Refs {
		y := Y(r.Value)
		fmt.Fprintf(&b, `<line class="ref" x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#b42318" stroke-dasharray="4 3"/>`, left, y, left+pw, y)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" font-size="9" fill="#b42318">%s</text>`, left+pw+4, y+3, esc(r.Label))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// pointAt is ps[i], nil when out of range or not a number.
func pointAt(ps []*float64, i int) *float64 {
	if i >= len(ps) || ps[i] == nil || math.IsNaN(*ps[i]) || math.IsInf(*ps[i], 0) {
		return nil
	}
	return ps[i]
}

// segments are the maximal runs [from, to) of 0..n-1 where ok holds.
func segments(n int, ok func(i int) bool) [][2]int {
	var out [][2]int
	for i := 0; i < n; {
		if !ok(i) {
			i++
			continue
		}
		j := i
		for j < n && ok(j) {
			j++
		}
		out = append(out, [2]int{i, j})
		i = j
	}
	return out
}

// fp is a pointer to v (a chart point).
func fp(v float64) *float64 { return &v }
