-- +goose Up
-- ref is a record's identity outside the recorder, e.g. an incident's "line/ct-1@1762135200" (the report
-- engine's entity and start time). At most one record of a kind per ref; an amendment carries none.
ALTER TABLE records ADD COLUMN ref TEXT;
CREATE UNIQUE INDEX records_kind_ref ON records (kind, ref);

-- +goose Down
DROP INDEX records_kind_ref;
ALTER TABLE records DROP COLUMN ref;
