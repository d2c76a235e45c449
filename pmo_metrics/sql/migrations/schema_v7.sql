-- Schema version 7: real returns in (SPEC §7.3, §7.5, §7.6).
--
-- withheld_values: one row per cell an upload gave as withheld ("Exempt under Section 43", "n/a"):
-- the row it belongs to (table_name, upload_id, entity_key and, for period-keyed sheets, period),
-- the column, and the cell's text as the reason. The data row holds no value there; the measures
-- count these cells per row they feed (withheld.sql) and never read them as 0.
CREATE TABLE IF NOT EXISTS withheld_values (
    upload_id INTEGER NOT NULL,
    table_name VARCHAR NOT NULL,
    entity_key VARCHAR NOT NULL,
    period DATE,
    column_name VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    sheet_name VARCHAR,
    cell VARCHAR,
    source_row INTEGER
);

-- The grain of each period (month, quarter, year): a fiscal-year return's period is the year's
-- last month, labelled "FY 2024-25" (parsing.period_label). Earlier rows are months.
ALTER TABLE financials ADD COLUMN IF NOT EXISTS period_grain VARCHAR DEFAULT 'month';
ALTER TABLE benefit_values ADD COLUMN IF NOT EXISTS period_grain VARCHAR DEFAULT 'month';
ALTER TABLE kpis ADD COLUMN IF NOT EXISTS period_grain VARCHAR DEFAULT 'month';
ALTER TABLE benchmarks ADD COLUMN IF NOT EXISTS period_grain VARCHAR DEFAULT 'month';

-- Named column mappings (SPEC §7.6): a sheet's own headers -> contract columns (or ignored), and
-- value translations per column. `header_set` is the sorted, folded header texts the mapping was
-- made from: a later sheet with the same set gets it automatically.
CREATE TABLE IF NOT EXISTS column_mappings (
    name VARCHAR PRIMARY KEY,
    sheet VARCHAR NOT NULL,            -- the contract sheet (Projects, Financials, ...)
    source_sheet VARCHAR,              -- the tab name it was made from, folded
    header_set VARCHAR NOT NULL,
    columns JSON NOT NULL,             -- {"GMPP ID": "project_id", "Notes": null (ignored)}
    value_maps JSON NOT NULL,          -- {"portfolio": {"BEIS": "DESNZ"}}
    created_by VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- The kept per-month rows carry the withheld count of delivery_base and benefit_rows.
ALTER TABLE project_month_rows ADD COLUMN IF NOT EXISTS withheld BIGINT;
ALTER TABLE benefit_month_rows ADD COLUMN IF NOT EXISTS withheld BIGINT;
