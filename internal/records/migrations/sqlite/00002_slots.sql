-- +goose Up
-- Inspections, findings and repairs are records (kinds inspection-remote, inspection-onsite, finding, repair):
-- they share sign-off, amendment and history. slot_at is an inspection's slot (remote: the scheduled instant;
-- on-site: the day's midnight in Asia/Shanghai), Unix ms; at most one record of a kind per slot (an amendment
-- carries no slot). parent_id ties a finding to the inspection that opened it.
ALTER TABLE records ADD COLUMN slot_at INTEGER;
-- No REFERENCES here: SQLite cannot DROP a column that is in a foreign key (Down); the store checks the parent.
ALTER TABLE records ADD COLUMN parent_id INTEGER;
CREATE UNIQUE INDEX records_kind_slot ON records (kind, slot_at);
CREATE INDEX records_parent ON records (parent_id);

-- +goose Down
DROP INDEX records_parent;
DROP INDEX records_kind_slot;
ALTER TABLE records DROP COLUMN parent_id;
ALTER TABLE records DROP COLUMN slot_at;
