-- Schema version 8: the month's story (SPEC §8). Delivery confidence and status commentary on
-- projects, commentary on benefits and KPIs: part of each upload's rows, so the snapshot rule of
-- SPEC §3 keeps their history per upload (and a void falls back to the earlier upload's text).
ALTER TABLE projects ADD COLUMN IF NOT EXISTS delivery_confidence VARCHAR;  -- green, amber/green, amber, amber/red, red
ALTER TABLE projects ADD COLUMN IF NOT EXISTS status_commentary VARCHAR;
ALTER TABLE benefits ADD COLUMN IF NOT EXISTS commentary VARCHAR;
ALTER TABLE kpis ADD COLUMN IF NOT EXISTS commentary VARCHAR;

-- A stored month's per-project rows carry the project's confidence, as delivery_base now gives it
-- (the delivery RAG falls back to it where there is no earned value). The kept rows are made again
-- when the store is next opened: the macros changed with this version.
ALTER TABLE project_month_rows ADD COLUMN IF NOT EXISTS delivery_confidence VARCHAR;
-- IF NOT EXISTS: a database turned back to an older version number keeps columns it already has.
