-- The scorecard's project, programme and portfolio rows (pmo_metrics/exports/scorecard.py), from
-- the tables the scorecard already built for one month, scope and settings, registered as
-- scorecard_delivery, scorecard_benefits, scorecard_returns, scorecard_programmes and
-- scorecard_portfolios (the two delivery roll-ups). In scorecard order: per portfolio, per
-- programme its projects then its roll-up rows (one per currency), then the portfolio's roll-ups.
-- Level 3 amounts sum the financial flow benefits in the row's currency; ratios are recomputed
-- from the sums; a group's NPV is the sum of its projects' NPVs, each from its own first month
-- (SPEC §11 roll-ups add up: one project's stray early period changes no other figure).
WITH flows AS (
    SELECT project_id, currency, planned_to_date, realised_to_date, planned_total, forecast_total,
           original_planned_total  -- SPEC §9.2
    FROM scorecard_benefits
    WHERE category = 'financial' AND measure = 'flow'
),
projects AS (
    SELECT d.project_id, d.portfolio, d.programme, d.project_name, d.stage, d.currency,
           d.bac, d.ac, d.ev, d.cpi, d.spi, d.eac, d.rag,
           r.npv, r.roi, r.payback_month, r.first_month,
           r.realised_to_date AS returned_to_date, r.ac AS returns_ac
    FROM scorecard_delivery AS d
    LEFT JOIN scorecard_returns AS r USING (project_id)
),
groups AS (
    -- every row: a project is a group of one; roll-ups group the projects of the same portfolio
    -- (and programme) and currency
    SELECT 'project' AS row, portfolio, programme, project_id, project_name, stage, currency,
           bac, ac, ev, cpi, spi, eac, rag
    FROM projects
    UNION ALL
    SELECT 'programme', portfolio, programme, NULL, NULL, NULL, currency, bac, ac, ev, cpi, spi, eac, rag
    FROM scorecard_programmes
    UNION ALL
    SELECT 'portfolio', portfolio, NULL, NULL, NULL, NULL, currency, bac, ac, ev, cpi, spi, eac, rag
    FROM scorecard_portfolios
),
members AS (
    -- the projects of each row: a project itself; those of the roll-up's portfolio (and
    -- programme) in its currency
    SELECT 'project' AS row, portfolio, programme, project_id, currency, project_id AS member,
           npv, first_month, returned_to_date, returns_ac
    FROM projects
    UNION ALL
    SELECT 'programme', g.portfolio, g.programme, NULL, g.currency, p.project_id,
           p.npv, p.first_month, p.returned_to_date, p.returns_ac
    FROM scorecard_programmes AS g
    JOIN projects AS p
      ON p.portfolio IS NOT DISTINCT FROM g.portfolio AND p.programme IS NOT DISTINCT FROM g.programme
         AND p.currency IS NOT DISTINCT FROM g.currency
    UNION ALL
    SELECT 'portfolio', g.portfolio, NULL, NULL, g.currency, p.project_id,
           p.npv, p.first_month, p.returned_to_date, p.returns_ac
    FROM scorecard_portfolios AS g
    JOIN projects AS p ON p.portfolio IS NOT DISTINCT FROM g.portfolio AND p.currency IS NOT DISTINCT FROM g.currency
),
benefit_sums AS (
    SELECT m.row, m.portfolio, m.programme, m.project_id, m.currency,
           sum(f.planned_to_date) AS planned_to_date, sum(f.realised_to_date) AS realised_to_date,
           sum(f.planned_total) AS planned_total, sum(f.forecast_total) AS forecast_total,
           sum(f.original_planned_total) AS original_total
    FROM members AS m
    JOIN flows AS f ON f.project_id = m.member AND (f.currency IS NULL OR f.currency = m.currency)
    GROUP BY ALL
),
group_returns AS (
    SELECT row, portfolio, programme, project_id, currency,
           sum(npv) AS npv,
           ratio(sum(returned_to_date) - sum(returns_ac), sum(returns_ac)) AS roi
    FROM members WHERE row <> 'project'
    GROUP BY ALL
)
SELECT g.row, g.portfolio, g.programme, g.project_id, g.project_name, g.stage, g.currency,
       g.bac, g.ac, g.ev, g.cpi, g.spi, g.eac, g.rag AS delivery_rag,
       b.planned_to_date, b.realised_to_date, ratio(b.realised_to_date, b.planned_to_date) AS realisation_rate,
       b.forecast_total, ratio(b.forecast_total - b.planned_total, b.planned_total) AS erosion,
       rag(ratio(b.realised_to_date, b.planned_to_date), $benefit_green, $benefit_amber) AS benefits_rag,
       CASE WHEN g.row = 'project' THEN p.npv ELSE r.npv END AS npv,
       CASE WHEN g.row = 'project' THEN p.roi ELSE r.roi END AS roi,
       p.payback_month,
       -- SPEC §9.2: erosion against the original baseline, beside erosion
       ratio(b.forecast_total - b.original_total, b.original_total) AS erosion_original
FROM groups AS g
LEFT JOIN benefit_sums AS b
  ON b.row = g.row AND b.portfolio IS NOT DISTINCT FROM g.portfolio AND b.programme IS NOT DISTINCT FROM g.programme
     AND b.project_id IS NOT DISTINCT FROM g.project_id AND b.currency IS NOT DISTINCT FROM g.currency
LEFT JOIN group_returns AS r
  ON r.row = g.row AND r.portfolio IS NOT DISTINCT FROM g.portfolio AND r.programme IS NOT DISTINCT FROM g.programme
     AND r.currency IS NOT DISTINCT FROM g.currency
LEFT JOIN projects AS p ON g.row = 'project' AND p.project_id = g.project_id
ORDER BY g.portfolio NULLS LAST,
         g.row = 'portfolio',
         g.programme NULLS LAST,
         g.row = 'programme',
         g.project_id,
         g.currency NULLS LAST;
