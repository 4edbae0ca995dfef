package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/report/promapi"
)

// maxCatchUpAge bounds how far back POST /api/v1/inspections/remote may
// evaluate a slot: older than Prometheus' usual retention the answer would be
// 无数据 everywhere, which is no inspection.
const maxCatchUpAge = 90 * 24 * time.Hour

// runRemote evaluates one configured remote-inspection slot now, at the
// slot's instant, from Prometheus' history: for slots that have no record
// (the recorder was installed later, or the scheduler's 24 h look-back passed
// them). The record says who ran it (createdBy) and when (evaluatedAt); a
// slot that already has a record — completed or missed — is 409, so a missed
// inspection is never rewritten as completed.
func (s *server) runRemote(w http.ResponseWriter, r *http.Request, who identity) {
	rc := &s.cfg.Inspections.Remote
	if s.sched == nil {
		writeError(w, http.StatusNotFound, "remote inspections are not configured (inspections.remote)")
		return
	}
	var in struct {
		Slot time.Time `json:"slot"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	slot := in.Slot.In(calendar.Zone)
	configured := false
	for _, c := range rc.slots {
		configured = configured || (slot.Hour() == c.h && slot.Minute() == c.m && slot.Second() == 0 && slot.Nanosecond() == 0)
	}
	now := s.nowFunc()
	switch {
	case in.Slot.IsZero():
		writeError(w, http.StatusBadRequest, "slot: required (RFC 3339, e.g. 2026-11-03T09:00:00+08:00)")
		return
	case !configured:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("slot %s is not at a configured time %v (Asia/Shanghai)", slot.Format(time.RFC3339), rc.Times))
		return
	case slot.After(now):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("slot %s is in the future", slot.Format(time.RFC3339)))
		return
	case now.Sub(slot) > maxCatchUpAge:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("slot %s is older than %d days", slot.Format(time.RFC3339), int(maxCatchUpAge.Hours()/24)))
		return
	}
	ic, cancel := context.WithTimeout(r.Context(), rc.Prometheus.Timeout)
	ri, err := rc.check.Evaluate(ic, s.sched.query, slot)
	cancel()
	if err != nil {
		writeError(w, http.StatusBadGateway, "evaluating the checklist: "+promapi.Scrub(err.Error(), rc.Prometheus.password.Value()))
		return
	}
	ev := now.UTC()
	ri.EvaluatedAt = &ev
	ctx, cancel := s.ctx(r)
	defer cancel()
	rec, fs, err := s.store.CreateRecords(ctx, who.User, records.RemoteRecord(ri), ri.Findings())
	if errors.Is(err, records.ErrExists) {
		writeError(w, http.StatusConflict, fmt.Sprintf("slot %s already has a remote inspection record", slot.Format(time.RFC3339)))
		return
	}
	if err != nil {
		s.storeError(w, err)
		return
	}
	s.ops.inspections.WithLabelValues("remote", ri.Status).Inc()
	s.logger.Info("remote inspection run by request", "slot", ri.Slot, "by", who.User, "record", rec.ID, "abnormal", ri.Abnormal, "findings", len(fs))
	writeJSON(w, http.StatusCreated, map[string]any{"inspection": rec, "findings": fs})
	s.refreshOps(r.Context(), now)
}
