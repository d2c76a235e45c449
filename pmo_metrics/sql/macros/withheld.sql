-- Withheld inputs (SPEC §7.3), counted per measures row they feed. A withheld cell belongs to the
-- exact stored row it was given on (upload, entity, period), so whichever rows the snapshot rule
-- makes effective at m, only their withheld cells count. Cells are stored in withheld_values
-- (schema_v7.sql); the data row holds no value there, so sums skip them by themselves.

-- Per project: a withheld budget_at_completion (which leaves BAC empty: no fallback to the sum of
-- planned cost) and the withheld financials that feed a delivery figure as of m: planned cost of
-- any month (BAC's fallback and PV), actual cost, earned value, % complete and quality to date,
-- forecast cost after m.
CREATE OR REPLACE MACRO project_withheld(m) AS TABLE
    WITH cells AS (
        SELECT t.project_id, w.column_name
        FROM withheld_values AS w
        JOIN effective_projects(m) AS t
          ON w.table_name = 'projects' AND w.upload_id = t.upload_id AND w.entity_key = t.project_id
        WHERE w.column_name = 'budget_at_completion'
        UNION ALL
        SELECT t.project_id, w.column_name
        FROM withheld_values AS w
        JOIN effective_financials(m) AS t
          ON w.table_name = 'financials' AND w.upload_id = t.upload_id AND w.entity_key = t.project_id
         AND w.period = t.period
        WHERE w.column_name = 'planned_cost'
           OR (w.column_name IN ('actual_cost', 'earned_value', 'percent_complete', 'quality_score')
               AND w.period <= m)
           OR (w.column_name = 'forecast_cost' AND w.period > m)
    )
    SELECT project_id, count(*) AS withheld,
           bool_or(column_name = 'budget_at_completion') AS bac_withheld
    FROM cells
    GROUP BY project_id;

-- Per benefit: withheld baseline, target and confidence on its register row, and the withheld
-- values that feed its figures as of m (planned of any month, realised to date, forecast after m).
CREATE OR REPLACE MACRO benefit_withheld(m) AS TABLE
    WITH cells AS (
        SELECT t.benefit_id
        FROM withheld_values AS w
        JOIN effective_benefits(m) AS t
          ON w.table_name = 'benefits' AND w.upload_id = t.upload_id AND w.entity_key = t.benefit_id
        WHERE w.column_name IN ('baseline_value', 'target_value', 'confidence')
        UNION ALL
        SELECT t.benefit_id
        FROM withheld_values AS w
        JOIN effective_benefit_values(m) AS t
          ON w.table_name = 'benefit_values' AND w.upload_id = t.upload_id AND w.entity_key = t.benefit_id
         AND w.period = t.period
        WHERE w.column_name = 'planned_value'
           OR (w.column_name = 'realised_value' AND w.period <= m)
           OR (w.column_name = 'forecast_value' AND w.period > m)
    )
    SELECT benefit_id, count(*) AS withheld FROM cells GROUP BY benefit_id;

-- Per KPI and month: its withheld actual, budget, forecast and target (kpi_rows sums them per window).
CREATE OR REPLACE MACRO kpi_withheld(m) AS TABLE
    SELECT t.kpi_id, t.period, count(*) AS withheld
    FROM withheld_values AS w
    JOIN effective_kpis(m) AS t
      ON w.table_name = 'kpis' AND w.upload_id = t.upload_id AND w.entity_key = t.kpi_id AND w.period = t.period
    WHERE w.column_name IN ('actual', 'budget', 'forecast', 'target')
    GROUP BY t.kpi_id, t.period;
