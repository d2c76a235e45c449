-- Schema version 10: claimed and validated realisation (SPEC §9.3).
--
-- validations: one row per validation a benefit's owner or a PMO manager made: the benefit, the
-- period range (first months of from_month .. to_month), the evidence (a note or a link), who and
-- when, and the reporting month whose effective values it covered. Never deleted: a PMO manager
-- withdraws one (who, when, why), and it stays in the log.
CREATE SEQUENCE IF NOT EXISTS validation_id_seq START 1;
CREATE TABLE IF NOT EXISTS validations (
    validation_id INTEGER PRIMARY KEY DEFAULT nextval('validation_id_seq'),
    benefit_id VARCHAR NOT NULL,
    from_month DATE NOT NULL,
    to_month DATE NOT NULL,
    evidence VARCHAR NOT NULL,
    validated_by VARCHAR,
    validated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    basis_month DATE NOT NULL,      -- the reporting month whose effective realised values were validated
    periods INTEGER NOT NULL,       -- how many periods with a realised value it covered
    amount DOUBLE,                  -- their sum, as validated
    withdrawn_by VARCHAR,
    withdrawn_at TIMESTAMP,
    withdrawn_reason VARCHAR
);

-- The realised values a validation covered, as they stood when it was made: a period counts as
-- validated only while its effective realised value is still this one (a restatement needs a new
-- validation; docs/governance.md).
CREATE TABLE IF NOT EXISTS validated_values (
    validation_id INTEGER NOT NULL,
    benefit_id VARCHAR NOT NULL,
    period DATE NOT NULL,
    realised_value DOUBLE NOT NULL
);

-- The kept per-benefit rows carry benefit_rows' new columns (summaries.py).
ALTER TABLE benefit_month_rows ADD COLUMN IF NOT EXISTS validated_to_date DOUBLE;
ALTER TABLE benefit_month_rows ADD COLUMN IF NOT EXISTS claimed_to_date DOUBLE;

-- SPEC §9.4: each stored month's forecasts for the months 1, 3, 6 and 12 ahead of it, as effective then
-- (summaries.py keeps them with the other per-month rows), so forecast accuracy reads a few rows per
-- benefit and month instead of re-deriving every past snapshot.
CREATE TABLE IF NOT EXISTS benefit_month_forecasts (
    as_of DATE NOT NULL,
    benefit_id VARCHAR NOT NULL,
    period DATE NOT NULL,
    forecast_value DOUBLE NOT NULL,
    upload_id INTEGER NOT NULL
);
