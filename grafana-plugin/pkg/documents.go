package main

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/recdocs"
)

// GET /documents/{kind}.{format} (Viewer): the documents from the
// operations records — 值班日志 (duty-daily, ?day=YYYY-MM-DD, default
// yesterday), 值班周报 (duty-weekly, ?week=2026-W45 or a day of it, default
// last week), 《故障处理情况报告》 (incident, ?id= the incident record) and
// 《重保保障工作报告》 (guard, ?period= a guard period of
// jsonData.calendarFile) — built by recdocs.Build from the recorder's API
// (recsource.go) as jianguan-report --kind … --records.db builds them from
// the store; ?lang=en for English.
var documentPath = regexp.MustCompile(`^/documents/([a-z-]+)\.([a-z]+)$`)

func (a *App) handleDocument(w http.ResponseWriter, r *http.Request) {
	m := documentPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		writeJSON(w, http.StatusBadRequest, apiError{"want GET /documents/{duty-daily,duty-weekly,incident,guard}.{html,pdf,csv,xlsx,json} with ?day=, ?week=, ?id= or ?period="})
		return
	}
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, apiError{"use GET"})
		return
	}
	kind, format := m[1], m[2]
	if recdocs.ArgName(kind) == "" {
		a.fail(w, recdocs.BadInput("unknown records document %q: want one of %v", kind, recdocs.Kinds))
		return
	}
	if err := report.ValidFormat(format); err != nil {
		a.fail(w, err)
		return
	}
	src := a.records()
	if src == nil {
		writeJSON(w, http.StatusServiceUnavailable, apiError{"records are not configured: set jsonData.recorderUrl and secureJsonData.recorderProxySecret / 未配置记录服务"})
		return
	}
	q := r.URL.Query()
	arg := recdocs.Arg{Day: q.Get("day"), Week: q.Get("week"), Period: q.Get("period")}
	if s := q.Get("id"); s != "" {
		id, err := recdocs.ParseID(s)
		if err != nil {
			a.fail(w, err)
			return
		}
		arg.ID = id
	}
	o := recdocs.Options{Lang: docfmt.ZH, Now: a.now, Calendar: a.calendar}
	if v := q.Get("lang"); v != "" {
		l, err := docfmt.ParseLang(v)
		if err != nil {
			a.fail(w, report.Errorf(report.ErrBadRequest, "lang: %v", err))
			return
		}
		o.Lang = l
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Duration(a.s.TimeoutSeconds*float64(time.Second)))
	defer cancel()
	d, err := recdocs.Build(ctx, src, kind, arg, o, a.now())
	if err != nil {
		a.fail(w, err)
		return
	}
	name := []string{kind} // ASCII only: a guard period's name is not
	for _, v := range []string{arg.Day, arg.Week} {
		if v != "" {
			name = append(name, v)
		}
	}
	if arg.ID != 0 {
		name = append(name, strconv.FormatInt(arg.ID, 10))
	}
	a.writeDocument(w, d, format, strings.Join(name, "-"))
}
