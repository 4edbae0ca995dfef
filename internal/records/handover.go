package records

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// KindHandover is a duty handover (交接班) entered through the generic
// record API (POST /api/v1/records, kind "handover"); its body is a
// Handover, validated by HandoverBody. The duty log lists the day's.
const KindHandover = "handover"

// Bounds of a handover body.
const (
	MaxHandoverTickets   = 100
	MaxTicketNumberBytes = 64
)

// Handover is the body of a handover record.
type Handover struct {
	At      time.Time `json:"at"`                // when the shift was handed over
	From    string    `json:"from"`              // outgoing duty officer
	To      string    `json:"to"`                // incoming duty officer
	Notes   string    `json:"notes"`             // what was handed over: open alerts, work in progress
	Tickets []string  `json:"tickets,omitempty"` // ticket numbers (工单号) handed over
}

// HandoverBody decodes body strictly (unknown fields are errors), validates
// it against now and returns it normalised (at in UTC milliseconds).
func HandoverBody(body json.RawMessage, now time.Time) (json.RawMessage, error) {
	var h Handover
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("%w: handover body: %v", ErrInvalid, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: handover body: trailing data", ErrInvalid)
	}
	if err := h.Validate(now); err != nil {
		return nil, err
	}
	return json.Marshal(h)
}

// Validate checks a handover: at required and not in the future, from and
// to one-line names, notes required (≤ MaxOnsiteNoteBytes), at most
// MaxHandoverTickets ticket numbers of ≤ MaxTicketNumberBytes on one line.
func (h *Handover) Validate(now time.Time) error {
	if h.At.IsZero() || h.At.After(now.Add(5*time.Minute)) {
		return fmt.Errorf("%w: at: required, not in the future (RFC 3339)", ErrInvalid)
	}
	h.At = h.At.UTC().Truncate(time.Millisecond)
	if err := person("from", h.From); err != nil {
		return err
	}
	if err := person("to", h.To); err != nil {
		return err
	}
	if err := text("notes", h.Notes, MaxOnsiteNoteBytes, true); err != nil {
		return err
	}
	if len(h.Tickets) > MaxHandoverTickets {
		return fmt.Errorf("%w: tickets: %d, at most %d", ErrInvalid, len(h.Tickets), MaxHandoverTickets)
	}
	for i, t := range h.Tickets {
		if strings.TrimSpace(t) == "" || len(t) > MaxTicketNumberBytes || strings.ContainsAny(t, "\x00\r\n") {
			return fmt.Errorf("%w: tickets[%d]: 1–%d bytes on one line", ErrInvalid, i, MaxTicketNumberBytes)
		}
		if err := text(fmt.Sprintf("tickets[%d]", i), t, MaxTicketNumberBytes, true); err != nil {
			return err
		}
	}
	return nil
}
