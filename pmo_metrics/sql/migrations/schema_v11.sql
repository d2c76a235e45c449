-- Schema version 11: the benefit map, dis-benefits and the RAID log (SPEC §10).
--
-- benefit_map: one row per link of an upload's BenefitMap sheet. The map is read whole: as of a
-- month m it is the links of the latest loaded upload with as_of <= m that carries a BenefitMap
-- sheet (effective_benefit_map, macros/raidmap.sql), as a map is drawn and checked as one graph.
CREATE TABLE IF NOT EXISTS benefit_map (
    upload_id INTEGER NOT NULL,
    from_id VARCHAR NOT NULL,
    to_id VARCHAR NOT NULL,
    relation VARCHAR NOT NULL,   -- enables | contributes_to
    weight DOUBLE,               -- 0-1, optional
    node_type VARCHAR,           -- enabler | outcome: types the row's ids that are not projects, benefits, objectives
    source_row INTEGER
);

-- raid: one row per item of an upload's RAID sheet; snapshots per project as the other registers
-- (SPEC §3): as of m a project's items are those of the latest loaded upload with as_of <= m whose
-- RAID sheet names the project. benefit_ids is kept as given; the measures split it on ; and ,.
CREATE TABLE IF NOT EXISTS raid (
    upload_id INTEGER NOT NULL,
    raid_id VARCHAR NOT NULL,
    type VARCHAR NOT NULL,       -- risk | assumption | issue | dependency | decision
    title VARCHAR NOT NULL,
    project_id VARCHAR NOT NULL,
    benefit_ids VARCHAR,
    owner VARCHAR,
    status VARCHAR,              -- open | closed (empty = open)
    probability DOUBLE,
    impact DOUBLE,
    due_date DATE,
    commentary VARCHAR,
    source_row INTEGER
);
