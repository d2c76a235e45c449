-- SPEC §4 level 1 roll-up: PV, EV, AC, BAC and FAC summed per programme or portfolio (and
-- currency), every ratio recomputed from the sums rather than averaged. measures.py also runs it
-- over a delivery table the caller already has (the scorecard), whose rows carry the same amounts.
WITH sums AS (
    SELECT portfolio,
           CASE WHEN $level = 'programme' THEN programme END AS programme,
           currency,
           count(*) AS projects,
           count(*) FILTER (WHERE ev IS NULL) AS projects_without_ev,
           sum(bac) AS bac, sum(pv) AS pv, sum(ev) AS ev, sum(ac) AS ac, sum(fac) AS fac,
           avg(quality_score) AS quality_score,
           sum(benefits) AS benefits, sum(benefits_owned) AS benefits_owned
    FROM {delivery_base}($as_of, $portfolio, $programme, $objective, $currency)
    GROUP BY ALL
),
e AS (
    SELECT *, unnest(evm_measures(bac, pv, ev, ac, benefits_owned, benefits)) FROM sums
)
SELECT portfolio, programme, currency, projects, projects_without_ev,
       bac, pv, ev, ac, cv, sv, cpi, spi, eac, fac, etc, vac, tcpi, quality_score, benefit_ownership,
       rag(rag_basis, $delivery_green, $delivery_amber) AS rag
FROM e
ORDER BY portfolio, programme NULLS LAST, currency;
