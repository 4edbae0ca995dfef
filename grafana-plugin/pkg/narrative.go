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
// ({snapshotDir}/{kind}/{YYYY-MM}.narrative.json, snapshot.Store.SaveNarrative)
// — the file jianguan-report --freeze reads too. A draft render and a freeze
// from the plugin include them (narrate); once the period is frozen they
// cannot change.
//
//	GET /narrative/{kind}/{YYYY-MM}  Viewer  {kind, month, narrative, frozen}
//	PUT /narrative/{kind}/{YYYY-MM}  Editor  body: report.Narrative (strict JSON)
var narrativePath = regexp.MustCompile(`^/narrative/([^/]+)/([^/]+)$`)

// narrativeKinds are the kinds whose documents carry the editable sections
// (internal/report/infra.go calls narrate).
var narrativeKinds = map[string]bool{"infrastructure": true}

// maxNarrativeRequest bounds a PUT body: three sections of
// report.MaxNarrativeRunes runes of at most 4 bytes each, twice over for
// JSON escaping, plus the keys (~480 KiB).
const maxNarrativeRequest = 2*3*4*report.MaxNarrativeRunes + 4096

// roleNarrative is the role that writes the editable sections.
const roleNarrative = roleEnter

type narrativeAnswer struct {
	Kind      string           `json:"kind"`
	Month     string           `json:"month"`
	Narrative report.Narrative `json:"narrative"`
	Frozen    bool             `json:"frozen"`
	Warning   string           `json:"warning,omitempty"`
}

func (a *App) handleNarrative(w http.ResponseWriter, r *http.Request) {
	m := narrativePath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		writeJSON(w, http.StatusBadRequest, apiError{"want /narrative/{kind}/{YYYY-MM}"})
		return
	}
	kind := m[1]
	if err := report.ValidKind(kind); err != nil {
		a.fail(w, err)
		return
	}
	if !narrativeKinds[kind] {
		writeJSON(w, http.StatusBadRequest, apiError{fmt.Sprintf("the %s report has no editable sections (报告 %s 无可编辑章节)", kind, kind)})
		return
	}
	month, err := report.ParseMonth(m[2], report.Shanghai, a.now())
	if err != nil {
		a.fail(w, err)
		return
	}
	switch r.Method {
	case http.MethodGet:
		n, err := a.store.LoadNarrative(kind, month.String())
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, apiError{"the stored narrative cannot be read: " + err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, narrativeAnswer{Kind: kind, Month: month.String(), Narrative: n, Frozen: a.store.Exists(kind, month.String())})
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
		switch err := a.store.SaveNarrative(kind, month.String(), n); {
		case errors.As(err, &fe):
			writeJSON(w, http.StatusConflict, map[string]string{"error": fmt.Sprintf("%s %s 已冻结 / already frozen: its sections can no longer change", kind, month.String()), "sha256": fe.SHA256, "frozenAt": fe.FrozenAt})
			return
		case report.KindOf(err) == report.ErrBadRequest:
			a.fail(w, err)
			return
		case err != nil:
			writeJSON(w, http.StatusInternalServerError, apiError{"cannot save the narrative: " + err.Error()})
			return
		}
		out := narrativeAnswer{Kind: kind, Month: month.String(), Narrative: n}
		by := ""
		if u := backend.PluginConfigFromContext(r.Context()).User; u != nil {
			by = u.Login
		}
		if err := a.record(r.Context(), r, "report-narrative", kind+" "+month.String(), map[string]string{"kind": kind, "month": month.String(), "by": by}); err != nil {
			out.Warning = "saved, but who wrote it was not recorded: " + err.Error()
		}
		writeJSON(w, http.StatusOK, out)
	default:
		writeJSON(w, http.StatusMethodNotAllowed, apiError{"use GET or PUT"})
	}
}

// narrate puts the period's stored narrative into cfg (a render or a freeze
// of the whole period: no filters); false when it answered an error.
func (a *App) narrate(w http.ResponseWriter, cfg *report.Config, kind, month string) bool {
	if len(cfg.Filter) > 0 || !narrativeKinds[kind] {
		return true
	}
	n, err := a.store.LoadNarrative(kind, month)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, apiError{"the stored narrative cannot be read: " + err.Error()})
		return false
	}
	cfg.Narrative = n
	return true
}
