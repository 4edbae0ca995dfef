-- +goose Up
-- Inspections, findings and repairs are records (kinds inspection-remote, inspection-onsite, finding, repair):
-- they share sign-off, amendment and history. slot_at is an inspection's slot (remote: the scheduled instant;
-- on-site: the day's midnight in Asia/Shanghai), Unix ms; at most one record of a kind per slot (an amendment
-- carries no slot). parent_id ties a finding to the inspection that opened it.
ALTER TABLE records ADD COLUMN slot_at BIGINT;
ALTER TABLE records ADD COLUMN parent_id BIGINT REFERENCES records (id);
CREATE UNIQUE INDEX records_kind_slot ON records (kind, slot_at);
CREATE INDEX records_parent ON records (parent_id);

-- +goose Down
DROP INDEX records_parent;
DROP INDEX records_kind_slot;
ALTER TABLE records DROP COLUMN parent_id;
ALTER TABLE records DROP COLUMN slot_at;
