-- Schema version 2: forecast history without recomputing every stored month's snapshot.
--
-- One row per stored reporting month and financial `flow` benefit: the level 3 amounts of that
-- month's snapshot, exactly as benefit_rows(month) gives them with no scope filter. Only
-- pmo_metrics/summaries.py writes it, inside the transaction of every load and void (a load or
-- void for month a recomputes the stored months >= a), and it recomputes the whole table when the
-- snapshot/measure macros change. Existing databases are filled right after this migration, once
-- the macros exist (summaries.ensure_current, called by the store's migration step).
CREATE TABLE benefit_month_totals (
    as_of DATE NOT NULL,                 -- the stored reporting month of the snapshot
    benefit_id VARCHAR NOT NULL,
    project_id VARCHAR NOT NULL,
    portfolio VARCHAR,                   -- scope columns, as of that month
    programme VARCHAR,
    strategic_objective VARCHAR,         -- the benefit's own, else its project's
    currency VARCHAR,                    -- the project's, upper case; NULL = the currency setting
    planned_to_date DOUBLE,
    planned_total DOUBLE,
    forecast_total DOUBLE,
    realised_to_date DOUBLE,
    risk_adjusted_forecast DOUBLE
);
