-- +goose Up
-- Times are Unix milliseconds (UTC); NULL = not (yet) known.
CREATE TABLE notifications (
    id               INTEGER PRIMARY KEY,
    dedup_key        TEXT    NOT NULL,
    group_key        TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    receiver         TEXT    NOT NULL,
    external_url     TEXT    NOT NULL,
    group_labels     TEXT    NOT NULL,
    common_labels    TEXT    NOT NULL,
    common_annotations TEXT  NOT NULL,
    truncated_alerts INTEGER NOT NULL,
    received_at      INTEGER NOT NULL,
    received_by      TEXT    NOT NULL,
    duplicates       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notifications_dedup ON notifications (dedup_key, received_at);
CREATE INDEX notifications_received ON notifications (received_at);

CREATE TABLE alerts (
    id               INTEGER PRIMARY KEY,
    fingerprint      TEXT    NOT NULL,
    starts_at        INTEGER NOT NULL,
    alertname        TEXT    NOT NULL,
    labels           TEXT    NOT NULL,
    annotations      TEXT    NOT NULL,
    generator_url    TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    notified_at      INTEGER,
    acknowledged_at  INTEGER,
    ends_at          INTEGER,
    resolved_notified_at INTEGER,
    last_notified_at INTEGER NOT NULL,
    UNIQUE (fingerprint, starts_at)
);
CREATE INDEX alerts_starts ON alerts (starts_at);

CREATE TABLE notification_alerts (
    notification_id  INTEGER NOT NULL REFERENCES notifications (id),
    alert_id         INTEGER NOT NULL REFERENCES alerts (id),
    fingerprint      TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    labels           TEXT    NOT NULL,
    annotations      TEXT    NOT NULL,
    starts_at        INTEGER NOT NULL,
    ends_at          INTEGER,
    PRIMARY KEY (notification_id, alert_id)
);
CREATE INDEX notification_alerts_alert ON notification_alerts (alert_id);

CREATE TABLE acknowledgements (
    id               INTEGER PRIMARY KEY,
    alert_id         INTEGER NOT NULL REFERENCES alerts (id),
    who              TEXT    NOT NULL,
    note             TEXT    NOT NULL,
    at               INTEGER NOT NULL
);
CREATE INDEX acknowledgements_alert ON acknowledgements (alert_id);

CREATE TABLE records (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL,
    alert_id         INTEGER REFERENCES alerts (id),
    title            TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    created_by       TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_by       TEXT    NOT NULL,
    updated_at       INTEGER NOT NULL,
    signed_off_by    TEXT,
    signed_off_at    INTEGER,
    amends_id        INTEGER REFERENCES records (id)
);
CREATE INDEX records_kind ON records (kind, created_at);

CREATE TABLE history (
    id               INTEGER PRIMARY KEY,
    entity           TEXT    NOT NULL,
    entity_id        INTEGER NOT NULL,
    action           TEXT    NOT NULL,
    actor            TEXT    NOT NULL,
    at               INTEGER NOT NULL,
    before_json      TEXT,
    after_json       TEXT
);
CREATE INDEX history_entity ON history (entity, entity_id);

-- Defence in depth behind the store's own check: a signed-off record's row never changes.
-- +goose StatementBegin
CREATE TRIGGER records_signed_off_immutable BEFORE UPDATE ON records
FOR EACH ROW WHEN OLD.signed_off_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'record is signed off');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER history_append_only BEFORE UPDATE ON history
BEGIN
    SELECT RAISE(ABORT, 'history is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER history_no_delete BEFORE DELETE ON history
BEGIN
    SELECT RAISE(ABORT, 'history is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE history;
DROP TABLE records;
DROP TABLE acknowledgements;
DROP TABLE notification_alerts;
DROP TABLE alerts;
DROP TABLE notifications;
