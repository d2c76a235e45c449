-- SPEC §5 overview tiles: portfolio-level totals for the scope (money in the reporting currency)
-- and the RAG counts of delivery and benefits, in one query: each of the two per-entity passes is
-- made once and feeds both its totals and its counts.
WITH project_rags AS MATERIALIZED (
    -- one row per project: the rows and RAG expression of measures_delivery.sql
    SELECT currency, bac, pv, ev, ac, fac, rag(rag_basis, $delivery_green, $delivery_amber) AS rag
    FROM evm($as_of, $portfolio, $programme, $objective, $currency, 'project')
),
d AS (
    -- the reporting currency's projects summed and the ratios recomputed, as evm(..., 'all')
    SELECT sum(bac) AS bac, sum(pv) AS pv, sum(ev) AS ev, sum(ac) AS ac, sum(fac) AS fac
    FROM project_rags
    WHERE currency = upper($currency)
),
benefit_rags AS MATERIALIZED (
    -- one row per benefit: the rows and RAG expression of measures_benefits.sql
    SELECT rag(realisation_rate, $benefit_green, $benefit_amber) AS rag
    FROM benefit_rows($as_of, $portfolio, $programme, $objective, $currency)
),
tiles AS (
    SELECT * FROM flow_tiles($as_of, $portfolio, $programme, $objective, $currency, $rate)
)
SELECT t.planned_to_date, t.realised_to_date, ratio(t.realised_to_date, t.planned_to_date) AS realisation_rate,
       t.planned_total, t.forecast_total, ratio(t.forecast_total - t.planned_total, t.planned_total) AS erosion,
       t.risk_adjusted_forecast,
       ratio(d.ev, d.ac) AS cpi, ratio(d.ev, d.pv) AS spi, t.npv, t.roi,
       d.bac, d.ac, d.ev, d.pv, d.fac, ratio(d.bac, ratio(d.ev, d.ac)) AS eac,
       (SELECT count(*) FROM project_rags) AS projects,
       (SELECT count(*) FROM benefit_rags) AS benefits,
       (SELECT count(*) FROM project_rags WHERE currency <> upper($currency)) AS projects_other_currency,
       (SELECT list({'rag': rag, 'n': n}) FROM (SELECT rag, count(*) AS n FROM project_rags GROUP BY rag))
           AS delivery_rag,
       (SELECT list({'rag': rag, 'n': n}) FROM (SELECT rag, count(*) AS n FROM benefit_rags GROUP BY rag))
           AS benefits_rag
FROM tiles AS t, d;
