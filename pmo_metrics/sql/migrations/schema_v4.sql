-- Schema version 4: the portfolio's monthly cash flows and value without re-aggregating millions
-- of stored rows on every view (the portfolio NPV and ROI, the value timeline, the spend KPIs).
--
-- One row per stored reporting month (as_of), scope group and calendar month (period), summed
-- over that month's snapshot (effective_* at as_of), in two kinds (`source`):
-- - 'financials': the financials of the group's projects: Σ planned_cost, Σ actual_cost,
--   Σ forecast_cost and the number of actual_cost figures;
-- - 'benefit_values': the values of the group's financial `flow` benefits: Σ planned_value,
--   Σ realised_value and Σ forecast_value.
-- The group is what the scope filters select on: the project's portfolio, programme, objective
-- and currency, plus, for benefit values, the benefit's objective (its own, else its project's).
-- Periods are kept apart from the reporting month, so the split "to date" / "after m" is made
-- when the table is read, for any month m whose snapshot is this as_of (SPEC §3: a month between
-- two stored months sees the earlier one's snapshot).
-- Only pmo_metrics/summaries.py writes it, inside the transaction of every load and void (months
-- >= the changed one), and it recomputes every month when the snapshot/measure macros change.
-- Existing databases are filled when they are next opened: the summaries' stamp is dropped here.
-- Derived data only, so a copy left behind (a database turned back to an older version) is
-- replaced rather than trusted.
CREATE OR REPLACE TABLE flow_month_totals (
    as_of DATE NOT NULL,                 -- the stored reporting month of the snapshot
    source VARCHAR NOT NULL,             -- 'financials' or 'benefit_values'
    portfolio VARCHAR,                   -- the project's scope columns, as of that month
    programme VARCHAR,
    strategic_objective VARCHAR,         -- the project's
    currency VARCHAR,                    -- the project's, upper case; NULL = the currency setting
    benefit_objective VARCHAR,           -- benefit values: the benefit's own, else its project's
    period DATE NOT NULL,
    planned_cost DOUBLE,
    actual_cost DOUBLE,
    forecast_cost DOUBLE,
    actual_cost_months INTEGER,          -- actual_cost figures summed (projects x months)
    planned_value DOUBLE,
    realised_value DOUBLE,
    forecast_value DOUBLE
);

DELETE FROM meta WHERE key = 'benefit_month_totals_of';
