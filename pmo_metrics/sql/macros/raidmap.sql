-- SPEC §10: dis-benefits, the benefit map and the RAID log, as macros the measures build on.
-- Created after common.sql (migrate.MACRO_FILES), so they may call its macros.

-- SPEC §10.1: a dis-benefit's RAG is inverted: realised at or below plan is good. The realisation
-- rate is the benefit's own (realised / planned to date; for a level measure (current − baseline) /
-- (planned − baseline)) and the benefit thresholds are mirrored about 1: green when the rate is at
-- most 2 − green (1.05 with the default 0.95), amber at most 2 − amber (1.15), red above. So a
-- dis-benefit at or below plan is always green, and one overrunning its plan gets the tolerance
-- a benefit has when it falls short. rag(2 − rate) is exactly that rule, and empty as rag() is.
CREATE OR REPLACE MACRO benefit_rag(category, rate, green, amber) AS
    CASE WHEN category = 'dis_benefit' THEN rag(2 - rate, green, amber) ELSE rag(rate, green, amber) END;

-- SPEC §10.1: a dis-benefit is in money (its project's currency) when it has no unit, as a
-- financial benefit is; with a unit it is measured in that unit, as a non-financial one is.
CREATE OR REPLACE MACRO money_dis_benefit(category, unit) AS
    category = 'dis_benefit' AND nullif(trim(unit), '') IS NULL;

-- SPEC §10.3 snapshot rule: a project's RAID items as of m are those of the latest loaded upload
-- with as_of <= m whose RAID sheet names the project (the register rule of SPEC §3, per project).
CREATE OR REPLACE MACRO effective_raid(m) AS TABLE
    SELECT t.* FROM raid AS t
    JOIN effective_uploads('raid', m) AS e
      ON t.upload_id = e.upload_id AND t.project_id = e.entity_key
    ANTI JOIN absent_projects(m) AS a ON a.project_id = t.project_id;

-- One row per RAID item and benefit it names: benefit_ids split on ; and , (blanks dropped).
-- An item naming no benefit has one row with an empty benefit_id.
CREATE OR REPLACE MACRO raid_benefit_items(m) AS TABLE
    WITH r AS (
        SELECT *, list_filter(list_transform(string_split_regex(coalesce(benefit_ids, ''), '[;,]'),
                                             lambda x: trim(x)), lambda x: x <> '') AS ids
        FROM effective_raid(m)
    )
    SELECT r.* EXCLUDE (ids, benefit_ids),
           unnest(CASE WHEN len(r.ids) > 0 THEN r.ids ELSE [NULL::VARCHAR] END) AS benefit_id,
           coalesce(r.status, 'open') = 'open' AS is_open,
           coalesce(coalesce(r.status, 'open') = 'open' AND r.due_date < m, false) AS is_overdue
    FROM r;

-- SPEC §10.3 per benefit named by a RAID item as of m: open risks and their Σ probability × impact
-- (risk_exposure, before the cap of sql/queries/raid.sql), open issues and assumptions, overdue items.
CREATE OR REPLACE MACRO raid_per_benefit(m) AS TABLE
    SELECT benefit_id,
           count(*) FILTER (WHERE type = 'risk' AND is_open) AS open_risks,
           coalesce(sum(probability * impact) FILTER (WHERE type = 'risk' AND is_open), 0) AS risk_exposure,
           count(*) FILTER (WHERE type = 'issue' AND is_open) AS open_issues,
           count(*) FILTER (WHERE is_overdue) AS overdue_items,
           count(*) FILTER (WHERE type = 'assumption' AND is_open) AS open_assumptions,
           count(*) AS items
    FROM raid_benefit_items(m)
    WHERE benefit_id IS NOT NULL
    GROUP BY benefit_id;

-- SPEC §10.3: value at risk from open risks, capped at the forecast remaining (forecast total −
-- realised to date, floored at 0); empty where there is no remaining amount in money.
CREATE OR REPLACE MACRO risk_value_at_risk(exposure, remaining) AS
    CASE WHEN remaining IS NOT NULL THEN least(coalesce(exposure, 0), remaining) END;

-- SPEC §10.2: the benefit map as of m is read whole: the links of the latest loaded upload with
-- as_of <= m (then the highest upload id) that carries a BenefitMap sheet.
CREATE OR REPLACE MACRO effective_benefit_map(m) AS TABLE
    WITH latest AS (
        SELECT max_by(u.upload_id, (u.as_of, u.upload_id)) AS upload_id
        FROM uploads AS u
        WHERE u.status = 'loaded' AND u.as_of <= m
          AND EXISTS (SELECT 1 FROM benefit_map AS b WHERE b.upload_id = u.upload_id)
    )
    SELECT t.* FROM benefit_map AS t JOIN latest USING (upload_id);
