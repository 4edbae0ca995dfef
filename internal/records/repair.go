package records

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jianguan/jianguan/internal/calendar"
)

// RepairWorkdays is the contract's deadline: a failed unit is repaired and
// reinstalled within 15 working days of the spare swap.
const RepairWorkdays = 15

// Repair states (computed when read: they depend on the time).
const (
	RepairOpen    = "open"    // not reinstalled, deadline not passed
	RepairOverdue = "overdue" // not reinstalled, deadline passed
	RepairDone    = "done"    // reinstalled (Late says whether after the deadline)
)

// Repair is the body of a repair record. DueDate is the 15th working day
// after the swap's date (calendar.AddWorkdays with the shipped calendar: 调休
// Saturdays count, holidays do not); the unit is due by the end of that day
// (DueBy, the next midnight in Asia/Shanghai).
type Repair struct {
	Unit          string     `json:"unit"`
	Description   string     `json:"description,omitempty"`
	SwapAt        time.Time  `json:"swapAt"`
	DueDate       string     `json:"dueDate"`
	DueBy         time.Time  `json:"dueBy"`
	ReinstalledAt *time.Time `json:"reinstalledAt,omitempty"`
	Note          string     `json:"note,omitempty"`
}

// RepairView is a repair with its computed state, as the API answers.
type RepairView struct {
	Record
	Repair
	Status string `json:"status"`
	Late   bool   `json:"late"`
	// WorkdaysUsed counts working days from the swap's date to the
	// reinstallation's (or now's) date.
	WorkdaysUsed int `json:"workdaysUsed"`
}

// NewRepair validates the input and computes the deadline.
func NewRepair(cal *calendar.Calendar, unit, description string, swapAt, now time.Time) (Repair, error) {
	if cal == nil {
		return Repair{}, fmt.Errorf("%w: repairs need calendar_file in the recorder configuration", ErrInvalid)
	}
	if strings.TrimSpace(unit) == "" || len(unit) > 256 || !utf8.ValidString(unit) || strings.ContainsAny(unit, "\x00\r\n") {
		return Repair{}, fmt.Errorf("%w: unit: required, 1–256 bytes on one line (e.g. UPS-A1 功率模块 3)", ErrInvalid)
	}
	if len(description) > MaxOnsiteNoteBytes || !utf8.ValidString(description) {
		return Repair{}, fmt.Errorf("%w: description: at most %d bytes of UTF-8", ErrInvalid, MaxOnsiteNoteBytes)
	}
	if swapAt.IsZero() {
		return Repair{}, fmt.Errorf("%w: swapAt: required (RFC 3339, the spare swap)", ErrInvalid)
	}
	if swapAt.After(now.Add(5 * time.Minute)) {
		return Repair{}, fmt.Errorf("%w: swapAt %s is in the future", ErrInvalid, swapAt.Format(time.RFC3339))
	}
	due, err := cal.AddWorkdays(swapAt, RepairWorkdays)
	if err != nil {
		return Repair{}, fmt.Errorf("%w: deadline of a swap on %s: %v", ErrInvalid, swapAt.In(calendar.Zone).Format("2006-01-02"), err)
	}
	return Repair{Unit: unit, Description: description, SwapAt: swapAt.UTC().Truncate(time.Millisecond),
		DueDate: due.In(calendar.Zone).Format("2006-01-02"), DueBy: due.AddDate(0, 0, 1).UTC()}, nil
}

// RepairRecord is the repair record of rp.
func RepairRecord(rp Repair) Record {
	b, _ := json.Marshal(rp)
	return Record{Kind: KindRepair, Title: "维修 " + rp.Unit, Body: b}
}

// ViewRepair decodes a repair record and computes its state at now.
func ViewRepair(cal *calendar.Calendar, r Record, now time.Time) (RepairView, error) {
	v := RepairView{Record: r}
	if err := json.Unmarshal(r.Body, &v.Repair); err != nil {
		return v, fmt.Errorf("repair record %d: %v", r.ID, err)
	}
	end := now
	switch {
	case v.ReinstalledAt != nil:
		v.Status, v.Late, end = RepairDone, !v.ReinstalledAt.Before(v.DueBy), *v.ReinstalledAt
	case !now.Before(v.DueBy):
		v.Status = RepairOverdue
	default:
		v.Status = RepairOpen
	}
	if cal != nil && !end.Before(v.SwapAt) {
		if n, err := cal.WorkdaysBetween(v.SwapAt, end); err == nil {
			v.WorkdaysUsed = n
		}
	}
	return v, nil
}

// Reinstall sets the reinstallation time of r's repair.
func Reinstall(r Record, at time.Time, note string, now time.Time) (json.RawMessage, error) {
	var rp Repair
	if err := json.Unmarshal(r.Body, &rp); err != nil {
		return nil, fmt.Errorf("repair record %d: %v", r.ID, err)
	}
	if rp.ReinstalledAt != nil {
		return nil, fmt.Errorf("%w: repair %d was reinstalled at %s", ErrExists, r.ID, rp.ReinstalledAt.Format(time.RFC3339))
	}
	if at.IsZero() {
		return nil, fmt.Errorf("%w: reinstalledAt: required (RFC 3339)", ErrInvalid)
	}
	if at.Before(rp.SwapAt) {
		return nil, fmt.Errorf("%w: reinstalledAt %s is before the swap (%s)", ErrInvalid, at.Format(time.RFC3339), rp.SwapAt.Format(time.RFC3339))
	}
	if at.After(now.Add(5 * time.Minute)) {
		return nil, fmt.Errorf("%w: reinstalledAt %s is in the future", ErrInvalid, at.Format(time.RFC3339))
	}
	if len(note) > MaxOnsiteNoteBytes || !utf8.ValidString(note) {
		return nil, fmt.Errorf("%w: note: at most %d bytes of UTF-8", ErrInvalid, MaxOnsiteNoteBytes)
	}
	t := at.UTC().Truncate(time.Millisecond)
	rp.ReinstalledAt, rp.Note = &t, note
	return json.Marshal(rp)
}
