-- SPEC §5 overview tiles as measures_headline.sql computes them, when the caller already has the
-- delivery and benefits tables of the same month, scope and settings (the scorecard): their rows
-- are registered as headline_delivery and headline_benefits, so neither pass is made again.
-- Keep the two files' tile expressions the same (tests/unit/test_measures_headline_paths.py).
WITH project_rags AS (
    SELECT currency, bac, pv, ev, ac, fac, rag FROM headline_delivery
),
d AS (
    -- the reporting currency's projects summed and the ratios recomputed, as evm(..., 'all')
    SELECT sum(bac) AS bac, sum(pv) AS pv, sum(ev) AS ev, sum(ac) AS ac, sum(fac) AS fac
    FROM project_rags
    WHERE currency = upper($currency)
),
benefit_rags AS (
    SELECT rag FROM headline_benefits
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
