-- Schema version 5: each stored month's per-project and per-benefit rows, kept at load time, so a
-- page reads a few thousand stored rows instead of re-deriving them from millions.
--
-- project_month_rows holds, per stored reporting month (as_of), what delivery_base(as_of) gives
-- with no scope filter; benefit_month_rows what benefit_rows(as_of) gives; project_month_flows
-- what project_flows(as_of) gives, each project's monthly cash flows with their running sum, so
-- the financial return needs no window over them (sql/macros/common.sql).
-- In the first two, the currency is the project's own, upper case (NULL when it gave none): the currency setting is
-- applied when the rows are read, so a settings change needs no recompute. The measures read them
-- through the stored_* macros for a month listed in kept_months, and derive the rows live for any
-- other month (measures.py).
-- Only pmo_metrics/summaries.py writes them: a load or void forgets the months >= the changed one
-- in its transaction and fill_kept makes them again after the commit; every month is made again
-- when the snapshot/measure macros change.
-- Existing databases are filled when they are next opened: the summaries' stamp is dropped here.
-- Derived data only, so a copy left behind is replaced rather than trusted.
CREATE OR REPLACE TABLE project_month_rows (
    as_of DATE NOT NULL,
    project_id VARCHAR NOT NULL,
    project_name VARCHAR,
    portfolio VARCHAR,
    programme VARCHAR,
    strategic_objective VARCHAR,
    stage VARCHAR,
    start_date DATE,
    end_date DATE,
    budget_at_completion DOUBLE,
    currency VARCHAR,
    bac DOUBLE,
    pv DOUBLE,
    ac DOUBLE,
    ev DOUBLE,
    ev_method VARCHAR,
    fac DOUBLE,
    percent_complete DOUBLE,
    quality_score DOUBLE,
    benefits BIGINT,
    benefits_owned BIGINT
);

CREATE OR REPLACE TABLE benefit_month_rows (
    as_of DATE NOT NULL,
    benefit_id VARCHAR NOT NULL,
    project_id VARCHAR,
    benefit_name VARCHAR,
    category VARCHAR,
    benefit_type VARCHAR,
    owner VARCHAR,
    unit VARCHAR,
    measure VARCHAR,
    baseline_value DOUBLE,
    target_value DOUBLE,
    strategic_objective VARCHAR,
    confidence DOUBLE,
    project_name VARCHAR,
    portfolio VARCHAR,
    programme VARCHAR,
    currency VARCHAR,
    stage VARCHAR,
    end_date DATE,
    planned_to_date DOUBLE,
    realised_to_date DOUBLE,
    planned_total DOUBLE,
    forecast_total DOUBLE,
    realisation_rate DOUBLE,
    benefit_variance DOUBLE,
    erosion DOUBLE,
    risk_adjusted_forecast DOUBLE,
    progress_to_target DOUBLE
);

CREATE OR REPLACE TABLE project_month_flows (
    as_of DATE NOT NULL,
    project_id VARCHAR NOT NULL,
    month DATE NOT NULL,
    t BIGINT,
    cost DOUBLE,
    benefit DOUBLE,
    cumulative DOUBLE,
    next_month DATE,
    realised_positive BOOLEAN
);

-- The months whose rows above are complete: a month is read from them only once it is listed here
-- (summaries.fill_kept makes a month's rows and lists it in one transaction, after the load).
CREATE OR REPLACE TABLE kept_months (as_of DATE PRIMARY KEY);

DELETE FROM meta WHERE key = 'benefit_month_totals_of';
