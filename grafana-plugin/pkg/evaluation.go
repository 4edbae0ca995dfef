package main

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"

	"github.com/jianguan/jianguan/internal/eval"
)

// GET /evaluation/annual/{YYYY} (Viewer): the providers' annual rating of a
// year for the 评估 page — eval.Annual over the year's frozen monthly
// assessments, nothing recomputed, read by eval.ReadYear as jianguan-report
// --kind evaluation-annual reads them: a month counts when it is frozen in
// the snapshot store as the monthly assessment (kind evaluation) or, failing
// that, as a providers report that carries the assessment (frozen from the
// 报告 page with jsonData.evaluationConfig set). Months frozen neither way
// are 未冻结 and take no part.
var annualPath = regexp.MustCompile(`^/evaluation/annual/([0-9]{4})$`)

type annualAnswer struct {
	Year   int                              `json:"year"`
	Months []annualMonth                    `json:"months"`
	Kinds  map[string][]eval.AnnualProvider `json:"kinds"`
	Grades []eval.Grade                     `json:"grades"`
}

type annualMonth struct {
	Month    string `json:"month"`
	Frozen   bool   `json:"frozen"`
	From     string `json:"from,omitempty"` // the snapshot's kind: evaluation or providers
	SHA256   string `json:"sha256,omitempty"`
	FrozenAt string `json:"frozenAt,omitempty"`
}

func (a *App) handleEvaluation(w http.ResponseWriter, r *http.Request) {
	m := annualPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		writeJSON(w, http.StatusBadRequest, apiError{"want GET /evaluation/annual/{YYYY}"})
		return
	}
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, apiError{"use GET"})
		return
	}
	year, _ := strconv.Atoi(m[1])
	if now := a.now().Year(); year < 2000 || year > now {
		writeJSON(w, http.StatusBadRequest, apiError{fmt.Sprintf("year %d: want 2000 … %d", year, now)})
		return
	}
	// The one reading of the year that jianguan-report --kind
	// evaluation-annual does too (eval.BuildAnnual).
	months, err := eval.ReadYear(a.store, year)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, apiError{err.Error()})
		return
	}
	out := annualAnswer{Year: year}
	for _, fm := range months {
		out.Months = append(out.Months, annualMonth{Month: fm.Month, Frozen: fm.Frozen, From: fm.From, SHA256: fm.SHA256, FrozenAt: fm.FrozenAt})
	}
	out.Kinds, out.Grades = eval.Annual(months)
	writeJSON(w, http.StatusOK, out)
}
