-- Schema version 1: the audit log, one table per input sheet, the snapshot index, settings.

CREATE SEQUENCE IF NOT EXISTS upload_id_seq START 1;

CREATE TABLE uploads (
    upload_id INTEGER NOT NULL DEFAULT nextval('upload_id_seq'),
    batch_id INTEGER,
    file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    size_bytes BIGINT NOT NULL,
    sheets JSON,            -- {"Financials": 1200, ...}: sheet -> rows loaded
    as_of DATE,
    user_name VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    status VARCHAR NOT NULL CHECK (status IN ('loaded', 'rejected', 'duplicate', 'voided')),
    messages JSON,          -- [{"severity": ..., "sheet": ..., "cell": ..., ...}]
    voided_at TIMESTAMP,
    voided_by VARCHAR
);

-- Which entities (project, benefit, KPI, metric) each upload supplies for each sheet kind:
-- the index the snapshot rule of SPEC §3 resolves against without scanning the data tables.
CREATE TABLE entity_versions (
    kind VARCHAR NOT NULL,
    entity_key VARCHAR NOT NULL,
    upload_id INTEGER NOT NULL,
    as_of DATE NOT NULL
);

CREATE TABLE settings (key VARCHAR PRIMARY KEY, value JSON NOT NULL);

CREATE TABLE projects (
    upload_id INTEGER NOT NULL,
    project_id VARCHAR NOT NULL,
    project_name VARCHAR NOT NULL,
    portfolio VARCHAR NOT NULL,
    programme VARCHAR,
    sponsor VARCHAR,
    manager VARCHAR,
    strategic_objective VARCHAR,
    stage VARCHAR,
    start_date DATE,
    end_date DATE,
    budget_at_completion DOUBLE,
    currency VARCHAR,
    source_row INTEGER
);

CREATE TABLE financials (
    upload_id INTEGER NOT NULL,
    project_id VARCHAR NOT NULL,
    period DATE NOT NULL,
    planned_cost DOUBLE,
    actual_cost DOUBLE,
    forecast_cost DOUBLE,
    earned_value DOUBLE,
    percent_complete DOUBLE,
    quality_score DOUBLE,
    source_row INTEGER
);

CREATE TABLE benefits (
    upload_id INTEGER NOT NULL,
    benefit_id VARCHAR NOT NULL,
    project_id VARCHAR NOT NULL,
    benefit_name VARCHAR NOT NULL,
    category VARCHAR NOT NULL,
    benefit_type VARCHAR,
    owner VARCHAR,
    unit VARCHAR,
    measure VARCHAR,
    baseline_value DOUBLE,
    target_value DOUBLE,
    strategic_objective VARCHAR,
    confidence DOUBLE,
    source_row INTEGER
);

CREATE TABLE benefit_values (
    upload_id INTEGER NOT NULL,
    benefit_id VARCHAR NOT NULL,
    period DATE NOT NULL,
    planned_value DOUBLE,
    forecast_value DOUBLE,
    realised_value DOUBLE,
    source_row INTEGER
);

CREATE TABLE kpis (
    upload_id INTEGER NOT NULL,
    kpi_id VARCHAR NOT NULL,
    kpi_name VARCHAR,
    strategic_objective VARCHAR,
    period DATE NOT NULL,
    actual DOUBLE,
    budget DOUBLE,
    forecast DOUBLE,
    target DOUBLE,
    unit VARCHAR,
    direction VARCHAR,
    aggregation VARCHAR,
    source_row INTEGER
);

CREATE TABLE benchmarks (
    upload_id INTEGER NOT NULL,
    metric VARCHAR NOT NULL,
    period DATE NOT NULL,
    our_value DOUBLE NOT NULL,
    peer_median DOUBLE NOT NULL,
    peer_top_quartile DOUBLE,
    direction VARCHAR,
    source VARCHAR,
    source_row INTEGER
);

CREATE TABLE meta (key VARCHAR, value VARCHAR);
