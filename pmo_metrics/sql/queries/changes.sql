-- SPEC §8.3 `changes`: what changed between reporting month $compare_to ("then") and $as_of
-- ("now"), in the scope: one row per change an executive asks about first, most important first.
--   delivery_rag        a project's delivery RAG moved (from -> to), with what decided it now
--   delivery_confidence a project's delivery confidence moved, appeared or was withdrawn
--   benefit_rag         a benefit's RAG moved
--   forecast            a financial flow benefit's forecast total moved (delta and delta_pct)
--   joined / left       a project in one month's effective set and not in the other's
--   kpi_rag             a KPI crossed a threshold: its month-grain RAG moved between two ratings
--   commentary          a project, benefit or KPI carries commentary now that differs from then
-- importance = severity + 2 x share (docs/measures.md): severity grades the move (a RAG step towards
-- red 2, towards green 1; a forecast fall 4 x |delta_pct|, a rise 2 x |delta_pct|, each capped at
-- 100 %; ...) and share is the money at stake as a share of the scope's total of that money (BAC
-- for projects, forecast total for benefits), so a large project's move outranks a small one's.
-- The sentence is written from these columns by pmo_metrics/story.py.
WITH d_now AS (
    SELECT project_id, project_name, portfolio, currency, bac, cpi, spi, rag_basis,
           delivery_confidence AS confidence,
           delivery_rag(rag_basis, delivery_confidence, $delivery_green, $delivery_amber) AS rag,
           delivery_rag_source(rag_basis, delivery_confidence) AS rag_source
    FROM (SELECT *, unnest(evm_measures(bac, pv, ev, ac, benefits_owned, benefits))
          FROM {delivery_base}($as_of, $portfolio, $programme, $objective, $currency))
),
d_then AS (
    SELECT project_id, project_name, portfolio, currency, bac, cpi, spi, rag_basis,
           delivery_confidence AS confidence,
           delivery_rag(rag_basis, delivery_confidence, $delivery_green, $delivery_amber) AS rag
    FROM (SELECT *, unnest(evm_measures(bac, pv, ev, ac, benefits_owned, benefits))
          FROM {delivery_base}($compare_to, $portfolio, $programme, $objective, $currency))
),
b_now AS (
    SELECT benefit_id, benefit_name, project_id, project_name, portfolio, currency, category, measure,
           forecast_total, planned_total, realisation_rate,
           benefit_rag(category, realisation_rate, $benefit_green, $benefit_amber) AS rag,
           category = 'financial' AND measure = 'flow' AS financial_flow
    FROM {benefit_rows}($as_of, $portfolio, $programme, $objective, $currency)
),
b_then AS (
    SELECT benefit_id, forecast_total, benefit_rag(category, realisation_rate, $benefit_green, $benefit_amber) AS rag
    FROM {benefit_rows}($compare_to, $portfolio, $programme, $objective, $currency)
),
k_now AS (
    SELECT kpi_id, coalesce(kpi_name, kpi_id) AS kpi_name, attainment, rag(attainment, $kpi_green, $kpi_amber) AS rag
    FROM {kpi_rows}($as_of, $objective, $fy_start) WHERE grain = 'month'
),
k_then AS (
    SELECT kpi_id, rag(attainment, $kpi_green, $kpi_amber) AS rag
    FROM {kpi_rows}($compare_to, $objective, $fy_start) WHERE grain = 'month'
),
totals AS (
    -- the money each share is taken of (every currency together: it only ranks the changes)
    SELECT greatest((SELECT sum(abs(bac)) FROM d_now), (SELECT sum(abs(bac)) FROM d_then)) AS bac,
           greatest((SELECT sum(abs(forecast_total)) FROM b_now WHERE financial_flow),
                    (SELECT sum(abs(t.forecast_total)) FROM b_then AS t JOIN b_now AS n USING (benefit_id)
                     WHERE n.financial_flow)) AS forecast
),
-- commentary now and then: a project's and a benefit's from its snapshot row; a KPI's from its
-- latest month to date that has one
c_projects AS (
    SELECT project_id AS entity_id, nullif(trim(status_commentary), '') AS text
    FROM effective_projects($as_of)
),
c_projects_then AS (
    SELECT project_id AS entity_id, nullif(trim(status_commentary), '') AS text
    FROM effective_projects($compare_to)
),
c_benefits AS (
    SELECT benefit_id AS entity_id, nullif(trim(commentary), '') AS text FROM effective_benefits($as_of)
),
c_benefits_then AS (
    SELECT benefit_id AS entity_id, nullif(trim(commentary), '') AS text FROM effective_benefits($compare_to)
),
c_kpis AS (
    SELECT kpi_id AS entity_id,
           arg_max(nullif(trim(commentary), ''), period) FILTER (WHERE period <= $as_of
                                                                  AND nullif(trim(commentary), '') IS NOT NULL) AS text
    FROM effective_kpis($as_of) GROUP BY kpi_id
),
c_kpis_then AS (
    SELECT kpi_id AS entity_id,
           arg_max(nullif(trim(commentary), ''), period) FILTER (WHERE period <= $compare_to
                                                                  AND nullif(trim(commentary), '') IS NOT NULL) AS text
    FROM effective_kpis($compare_to) GROUP BY kpi_id
),
changes AS (
    SELECT 'delivery_rag' AS kind, 'project' AS entity_type, n.project_id AS entity_id, n.project_name AS entity_name,
           n.project_id, n.project_name, n.portfolio, t.rag AS from_value, n.rag AS to_value,
           CAST(NULL AS DOUBLE) AS delta, CAST(NULL AS DOUBLE) AS delta_pct, n.rag_source,
           CASE WHEN n.rag_source = 'evm' THEN CASE WHEN n.spi < n.cpi OR n.cpi IS NULL THEN 'spi' ELSE 'cpi' END
                WHEN n.rag_source = 'confidence' THEN 'delivery_confidence' END AS basis,
           CASE WHEN n.rag_source = 'evm' THEN n.rag_basis END AS basis_value,
           CASE WHEN n.rag_source = 'confidence' THEN n.confidence END AS basis_text,
           n.currency, n.bac AS money,
           rag_move_severity(t.rag, n.rag) + 2 * coalesce(ratio(abs(n.bac), (SELECT bac FROM totals)), 0) AS importance
    FROM d_now AS n JOIN d_then AS t USING (project_id)
    WHERE n.rag IS DISTINCT FROM t.rag
    UNION ALL
    SELECT 'delivery_confidence', 'project', n.project_id, n.project_name, n.project_id, n.project_name, n.portfolio,
           t.confidence, n.confidence, NULL, NULL, n.rag_source, 'delivery_confidence', NULL, n.confidence,
           n.currency, n.bac,
           CASE WHEN n.confidence IS NULL THEN 1.0
                WHEN t.confidence IS NULL THEN 0.5
                WHEN confidence_rank(n.confidence) < confidence_rank(t.confidence)
                    THEN 1.0 * (confidence_rank(t.confidence) - confidence_rank(n.confidence))
                ELSE 0.5 * (confidence_rank(n.confidence) - confidence_rank(t.confidence)) END
             + 2 * coalesce(ratio(abs(n.bac), (SELECT bac FROM totals)), 0)
    FROM d_now AS n JOIN d_then AS t USING (project_id)
    WHERE n.confidence IS DISTINCT FROM t.confidence
    UNION ALL
    SELECT 'benefit_rag', 'benefit', n.benefit_id, n.benefit_name, n.project_id, n.project_name, n.portfolio,
           t.rag, n.rag, NULL, NULL, NULL, 'realisation_rate', n.realisation_rate, NULL,
           n.currency, CASE WHEN n.financial_flow THEN n.forecast_total END,
           rag_move_severity(t.rag, n.rag)
             + 2 * CASE WHEN n.financial_flow
                        THEN coalesce(ratio(abs(n.forecast_total), (SELECT forecast FROM totals)), 0) ELSE 0 END
    FROM b_now AS n JOIN b_then AS t USING (benefit_id)
    WHERE n.rag IS DISTINCT FROM t.rag
    UNION ALL
    SELECT 'forecast', 'benefit', n.benefit_id, n.benefit_name, n.project_id, n.project_name, n.portfolio,
           printf('%.2f', t.forecast_total), printf('%.2f', n.forecast_total),
           n.forecast_total - t.forecast_total, ratio(n.forecast_total - t.forecast_total, abs(t.forecast_total)),
           NULL, 'forecast_total', n.forecast_total, NULL, n.currency, abs(n.forecast_total - t.forecast_total),
           CASE WHEN n.forecast_total < t.forecast_total THEN 4.0 ELSE 2.0 END
               * coalesce(least(1.0, abs(ratio(n.forecast_total - t.forecast_total, abs(t.forecast_total)))), 1.0)
             + 2 * coalesce(ratio(abs(n.forecast_total - t.forecast_total), (SELECT forecast FROM totals)), 0)
    FROM b_now AS n JOIN b_then AS t USING (benefit_id)
    -- a cent's difference is arithmetic, not a move
    WHERE n.financial_flow AND abs(n.forecast_total - t.forecast_total) >= 0.005
    UNION ALL
    SELECT 'joined', 'project', n.project_id, n.project_name, n.project_id, n.project_name, n.portfolio,
           NULL, n.portfolio, NULL, NULL, n.rag_source, NULL, NULL, NULL, n.currency, n.bac,
           1.0 + 2 * coalesce(ratio(abs(n.bac), (SELECT bac FROM totals)), 0)
    FROM d_now AS n ANTI JOIN d_then AS t USING (project_id)
    UNION ALL
    SELECT 'left', 'project', t.project_id, t.project_name, t.project_id, t.project_name, t.portfolio,
           t.portfolio, NULL, NULL, NULL, NULL, NULL, NULL, NULL, t.currency, t.bac,
           1.5 + 2 * coalesce(ratio(abs(t.bac), (SELECT bac FROM totals)), 0)
    FROM d_then AS t ANTI JOIN d_now AS n USING (project_id)
    UNION ALL
    SELECT 'kpi_rag', 'kpi', n.kpi_id, n.kpi_name, NULL, NULL, NULL, t.rag, n.rag, NULL, NULL, NULL,
           'attainment', n.attainment, NULL, NULL, NULL, rag_move_severity(t.rag, n.rag)
    FROM k_now AS n JOIN k_then AS t USING (kpi_id)
    WHERE n.rag IS NOT NULL AND t.rag IS NOT NULL AND n.rag <> t.rag
    UNION ALL
    SELECT 'commentary', 'project', d.project_id, d.project_name, d.project_id, d.project_name, d.portfolio,
           t.text, c.text, NULL, NULL, NULL, NULL, NULL, c.text, d.currency, d.bac,
           0.5 + 2 * coalesce(ratio(abs(d.bac), (SELECT bac FROM totals)), 0)
    FROM d_now AS d JOIN c_projects AS c ON c.entity_id = d.project_id
    LEFT JOIN c_projects_then AS t ON t.entity_id = d.project_id
    WHERE c.text IS NOT NULL AND c.text IS DISTINCT FROM t.text
    UNION ALL
    SELECT 'commentary', 'benefit', b.benefit_id, b.benefit_name, b.project_id, b.project_name, b.portfolio,
           t.text, c.text, NULL, NULL, NULL, NULL, NULL, c.text, b.currency,
           CASE WHEN b.financial_flow THEN b.forecast_total END,
           0.5 + 2 * CASE WHEN b.financial_flow
                          THEN coalesce(ratio(abs(b.forecast_total), (SELECT forecast FROM totals)), 0) ELSE 0 END
    FROM b_now AS b JOIN c_benefits AS c ON c.entity_id = b.benefit_id
    LEFT JOIN c_benefits_then AS t ON t.entity_id = b.benefit_id
    WHERE c.text IS NOT NULL AND c.text IS DISTINCT FROM t.text
    UNION ALL
    SELECT 'commentary', 'kpi', k.kpi_id, k.kpi_name, NULL, NULL, NULL, t.text, c.text, NULL, NULL, NULL, NULL, NULL,
           c.text, NULL, NULL, 0.5
    FROM k_now AS k JOIN c_kpis AS c ON c.entity_id = k.kpi_id
    LEFT JOIN c_kpis_then AS t ON t.entity_id = k.kpi_id
    WHERE c.text IS NOT NULL AND c.text IS DISTINCT FROM t.text
)
SELECT kind, entity_type, entity_id, entity_name, project_id, project_name, portfolio,
       CAST($compare_to AS DATE) AS from_month, CAST($as_of AS DATE) AS to_month,
       from_value, to_value, delta, delta_pct, rag_source, basis, basis_value, basis_text, currency, money,
       round(importance, 6) AS importance
FROM changes
-- on a tie, a rating move before the confidence move behind it (it says more), then by kind and code
ORDER BY importance DESC,
         list_position(['delivery_rag', 'benefit_rag', 'kpi_rag', 'delivery_confidence', 'forecast', 'left',
                        'joined', 'commentary'], kind),
         entity_id;
