// Package records is jianguan's operations-records store: Alertmanager
// notifications, the alerts they carry (detected → notified → acknowledged →
// resolved), acknowledgements and signed-off records, with every change kept
// in an append-only history table written in the same transaction.
//
// Two backends share one implementation (database/sql): embedded SQLite
// (modernc.org/sqlite, pure Go; WAL, busy_timeout, synchronous=FULL) by
// default, PostgreSQL (pgx) for production and HA. Schema migrations are
// versioned goose SQL files embedded in the binary, one directory per dialect.
//
// Writes are serialised: SQLite takes its write lock at BEGIN (IMMEDIATE), and
// PostgreSQL takes one transaction-scoped advisory lock, so deduplication and
// the sign-off rule are checked and applied atomically on both.
package records

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Roles, ordered: each includes the rights of the ones before it.
const (
	RoleViewer = "Viewer" // reads
	RoleEditor = "Editor" // acknowledges, enters and edits unsigned records, delivers webhooks
	RoleAdmin  = "Admin"  // signs off
)

// Errors the store returns (wrapped); the service maps them to HTTP codes.
var (
	ErrNotFound  = errors.New("not found")
	ErrSignedOff = errors.New("record is signed off: it cannot be edited, only amended by a new record")
	ErrInvalid   = errors.New("invalid")
	ErrExists    = errors.New("already exists")
)

// Bounds on what one notification or record may carry; the service enforces
// the body size before parsing, the store these after.
const (
	MaxAlertsPerNotification = 1000
	MaxTextBytes             = 64 << 10 // one note, title, label set or annotation set (as JSON)
	MaxRecordBodyBytes       = 256 << 10
	MaxListLimit             = 1000
)

// Notification is one Alertmanager webhook delivery (payload version 4).
type Notification struct {
	ID                int64             `json:"id"`
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []WebhookAlert    `json:"alerts"`
	// Set by the recorder, not by Alertmanager.
	ReceivedAt time.Time `json:"receivedAt,omitzero"`
	ReceivedBy string    `json:"receivedBy,omitempty"`
}

// WebhookAlert is one alert inside a notification.
type WebhookAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// Alert is one alert occurrence: one fingerprint from one startsAt.
type Alert struct {
	ID                 int64             `json:"id"`
	Fingerprint        string            `json:"fingerprint"`
	Alertname          string            `json:"alertname"`
	Labels             map[string]string `json:"labels"`
	Annotations        map[string]string `json:"annotations"`
	GeneratorURL       string            `json:"generatorURL"`
	Status             string            `json:"status"`     // firing or resolved (last notified)
	DetectedAt         time.Time         `json:"detectedAt"` // startsAt
	NotifiedAt         *time.Time        `json:"notifiedAt"` // first firing notification received
	AcknowledgedAt     *time.Time        `json:"acknowledgedAt"`
	ResolvedAt         *time.Time        `json:"resolvedAt"` // endsAt of the resolved notification
	ResolvedNotifiedAt *time.Time        `json:"resolvedNotifiedAt"`
	LastNotifiedAt     time.Time         `json:"lastNotifiedAt"`
	// Computed (seconds), nil when an end is unknown.
	TimeToNotify  *float64 `json:"timeToNotifySeconds"`
	TimeToAck     *float64 `json:"timeToAcknowledgeSeconds"` // from detection
	TimeToResolve *float64 `json:"timeToResolveSeconds"`     // from detection
	Acks          []Ack    `json:"acknowledgements,omitempty"`
}

// Ack is one acknowledgement of an alert.
type Ack struct {
	ID      int64     `json:"id"`
	AlertID int64     `json:"alertId"`
	Who     string    `json:"who"`
	Note    string    `json:"note"`
	At      time.Time `json:"at"`
}

// Record is a generic operations record (e.g. alert handling) that an Admin
// signs off; once signed off it is immutable and can only be amended by a new
// record whose AmendsID refers to it.
type Record struct {
	ID          int64           `json:"id"`
	Kind        string          `json:"kind"`
	AlertID     *int64          `json:"alertId,omitempty"`
	Title       string          `json:"title"`
	Body        json.RawMessage `json:"body"`
	CreatedBy   string          `json:"createdBy"`
	CreatedAt   time.Time       `json:"createdAt"`
	UpdatedBy   string          `json:"updatedBy"`
	UpdatedAt   time.Time       `json:"updatedAt"`
	SignedOffBy *string         `json:"signedOffBy"`
	SignedOffAt *time.Time      `json:"signedOffAt"`
	AmendsID    *int64          `json:"amendsId,omitempty"`
	// Slot: an inspection's slot (remote: the scheduled instant; on-site: the
	// day's midnight in Asia/Shanghai); at most one record of a kind per slot.
	Slot *time.Time `json:"slot,omitempty"`
	// ParentID: the inspection that opened a finding.
	ParentID *int64 `json:"parentId,omitempty"`
	// Ref: identity outside the recorder (an incident's entity@start); at
	// most one record of a kind per ref.
	Ref *string `json:"ref,omitempty"`
}

// RecordFilter selects records; zero values select everything.
type RecordFilter struct {
	Kind      string
	ParentID  int64     // 0: any
	SlotSince time.Time // slot ≥ SlotSince (records without a slot are left out when set)
	SlotUntil time.Time // slot < SlotUntil
	Ref       string    // "": any
	Limit     int       // ≤ MaxListLimit; 0 = 100
}

// HistoryEntry is one change: who, when, before and after (JSON, nil for none).
type HistoryEntry struct {
	ID       int64           `json:"id"`
	Entity   string          `json:"entity"`
	EntityID int64           `json:"entityId"`
	Action   string          `json:"action"`
	Actor    string          `json:"actor"`
	At       time.Time       `json:"at"`
	Before   json.RawMessage `json:"before"`
	After    json.RawMessage `json:"after"`
}

// IngestResult says what happened to one notification.
type IngestResult struct {
	NotificationID int64 // the stored one (the earlier one for a duplicate)
	Duplicate      bool
	AlertIDs       []int64
}

// AlertFilter selects alerts; zero values select everything.
type AlertFilter struct {
	Status string    // "", "firing", "resolved"
	Since  time.Time // startsAt ≥ Since
	Until  time.Time // startsAt < Until
	Limit  int       // ≤ MaxListLimit; 0 = 100
}

// Store is what the recorder service uses.
type Store interface {
	// Ingest stores n unless an identical notification (same DedupKey) was
	// received within window of n.ReceivedAt; alerts are upserted either way
	// only for a new notification.
	Ingest(ctx context.Context, n *Notification, window time.Duration) (IngestResult, error)
	ListAlerts(ctx context.Context, f AlertFilter) ([]Alert, error)
	GetAlert(ctx context.Context, id int64) (Alert, error)
	Acknowledge(ctx context.Context, alertID int64, who, note string, at time.Time) (Ack, error)
	ListNotifications(ctx context.Context, limit int) ([]Notification, error)
	CountNotifications(ctx context.Context) (int, error)

	CreateRecord(ctx context.Context, actor string, r Record) (Record, error)
	GetRecord(ctx context.Context, id int64) (Record, error)
	ListRecords(ctx context.Context, kind string, limit int) ([]Record, error)
	// UpdateRecord changes title/body of an unsigned record (ErrSignedOff otherwise).
	UpdateRecord(ctx context.Context, actor string, id int64, title string, body json.RawMessage) (Record, error)
	SignOff(ctx context.Context, actor string, id int64, at time.Time) (Record, error)
	// Amend creates a new record referring to a signed-off one.
	Amend(ctx context.Context, actor string, id int64, r Record) (Record, error)
	// CreateRecords creates r and its children (ParentID set to r's id) in one
	// transaction; ErrExists when r.Slot is set and a record of r.Kind already
	// holds that slot.
	CreateRecords(ctx context.Context, actor string, r Record, children []Record) (Record, []Record, error)
	// FindRecords lists records by kind, parent and slot, newest slot (then
	// newest record) first.
	FindRecords(ctx context.Context, f RecordFilter) ([]Record, error)

	History(ctx context.Context, entity string, id int64) ([]HistoryEntry, error)
	Ping(ctx context.Context) error
	Close() error
}
