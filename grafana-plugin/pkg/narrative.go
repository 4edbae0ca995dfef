package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"unicode/utf8"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/snapshot"
)

// The narrative editor's routes: the editable sections of a period's draft
// (report.Narrative: 主要问题及原因分析, 整改措施及完成情况, 下一步工作计划及建议),
// kept by the snapshot store beside the period's snapshot
// ({snapshotDir}/{kind}/{period}.narrative.json, period as snapshot.Name:
// 2026-10, 2026-Q4, 2026, service, 2026-11-03--2026-11-17;
// snapshot.Store.SaveNarrative) — the file jianguan-report --freeze reads
// too. Every report kind carries them (report.HasNarrative); any period the
// reports accept (App.period: the path segment or ?period=, an unfinished
// one too — its draft is being written). A draft render and a freeze from
// the plugin include them (narrate); once the period is frozen they cannot
// change.
//
//	GET /narrative/{kind}/{period}  Viewer  {kind, month (the period's name), narrative, frozen}
//	PUT /narrative/{kind}/{period}  Editor  body: report.Narrative (strict JSON)
//	    /narrative/{kind}?period=…   the same, for a range (a path cannot hold "..")
var narrativePath = regexp.MustCompile(`^/narrative/([^/]+)(?:/([^/]+))?$`)

// maxNarrativeRequest bounds a PUT body: three sections of
// report.MaxNarrativeRunes runes of at most 4 bytes each, twice over for
// JSON escaping, plus the keys (~480 KiB).
const maxNarrativeRequest = 2*3*4*report.MaxNarrativeRunes + 4096

// roleNarrative is the role that writes the editable sections.
const roleNarrative = roleEnter

type narrativeAnswer struct {
	Kind      string           `json:"kind"`
	Month     string           `json:"month"` // the period's name (snapshot.Name), YYYY-MM for a month
	Narrative report.Narrative `json:"narrative"`
	Frozen    bool             `json:"frozen"`
	Warning   string           `json:"warning,omitempty"`
}

func (a *App) handleNarrative(w http.ResponseWriter, r *http.Request) {
	m := narrativePath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		writeJSON(w, http.StatusBadRequest, apiError{"want /narrative/{kind}/{period} (period: YYYY-MM, YYYY-Qn, YYYY, service; or ?period=, e.g. a range 2026-11-03..2026-11-17)"})
		return
	}
	kind := m[1]
	if err := report.ValidKind(kind); err != nil {
		a.fail(w, err)
		return
	}
	if !report.HasNarrative(kind) {
		writeJSON(w, http.StatusBadRequest, apiError{fmt.Sprintf("the %s report has no editable sections (报告 %s 无可编辑章节)", kind, kind)})
		return
	}
	p, err := a.period(r, m[2])
	if err != nil {
		a.fail(w, err)
		return
	}
	name := snapshot.Name(p) // the snapshot's and the report route's name of the period
	switch r.Method {
	case http.MethodGet:
		n, err := a.store.LoadNarrative(kind, name)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, apiError{"the stored narrative cannot be read: " + err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, narrativeAnswer{Kind: kind, Month: name, Narrative: n, Frozen: a.store.Exists(kind, name)})
	case http.MethodPut:
		if !authorize(w, r, roleNarrative, "writing a report's narrative sections") {
			return
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, maxNarrativeRequest+1))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, apiError{"reading the request: " + err.Error()})
			return
		}
		if len(b) > maxNarrativeRequest {
			writeJSON(w, http.StatusRequestEntityTooLarge, apiError{fmt.Sprintf("request body larger than %d KiB", maxNarrativeRequest>>10)})
			return
		}
		if !utf8.Valid(b) {
			writeJSON(w, http.StatusBadRequest, apiError{"the request is not UTF-8"})
			return
		}
		var n report.Narrative
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&n); err != nil {
			writeJSON(w, http.StatusBadRequest, apiError{"want JSON {problems, remedies, nextSteps}: " + err.Error()})
			return
		}
		var fe *snapshot.FrozenError
		switch err := a.store.SaveNarrative(kind, name, n); {
		case errors.As(err, &fe):
			writeJSON(w, http.StatusConflict, map[string]string{"error": fmt.Sprintf("%s %s 已冻结 / already frozen: its sections can no longer change", kind, name), "sha256": fe.SHA256, "frozenAt": fe.FrozenAt})
			return
		case report.KindOf(err) == report.ErrBadRequest:
			a.fail(w, err)
			return
		case err != nil:
			writeJSON(w, http.StatusInternalServerError, apiError{"cannot save the narrative: " + err.Error()})
			return
		}
		out := narrativeAnswer{Kind: kind, Month: name, Narrative: n}
		by := ""
		if u := backend.PluginConfigFromContext(r.Context()).User; u != nil {
			by = u.Login
		}
		if err := a.record(r.Context(), r, "report-narrative", kind+" "+name, map[string]string{"kind": kind, "month": name, "by": by}); err != nil {
			out.Warning = "saved, but who wrote it was not recorded: " + err.Error()
		}
		writeJSON(w, http.StatusOK, out)
	default:
		writeJSON(w, http.StatusMethodNotAllowed, apiError{"use GET or PUT"})
	}
}

// narrate puts the period's stored narrative into cfg (a render or a freeze
// of the whole period: no filters; name is snapshot.Name of the period);
// false when it answered an error.
func (a *App) narrate(w http.ResponseWriter, cfg *report.Config, kind, name string) bool {
	if len(cfg.Filter) > 0 || !report.HasNarrative(kind) {
		return true
	}
	n, err := a.store.LoadNarrative(kind, name)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, apiError{"the stored narrative cannot be read: " + err.Error()})
		return false
	}
	cfg.Narrative = n
	return true
}
