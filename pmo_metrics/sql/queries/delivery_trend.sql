-- SPEC §8.1 rating trend for the Delivery page: each project's delivery RAG (and confidence) in each
-- of the last $trend_months stored reporting months up to $as_of, read from the rows kept per stored
-- month (project_month_rows) with the RAG rule of sql/queries/delivery.sql. The $trend_rows projects with
-- the largest BAC at $as_of get a row each (SPEC §11: charts aggregate, never grow); when more are in
-- scope, the rest share one "others" row per month, whose rag is the rating most of them have (worst
-- first on a tie) and whose counts give the split.
WITH months AS (
    SELECT DISTINCT as_of FROM uploads
    WHERE status = 'loaded' AND as_of <= $as_of
    ORDER BY as_of DESC
    LIMIT $trend_months
),
rated AS (
    SELECT r.as_of, r.project_id, r.project_name, r.bac, r.delivery_confidence,
           delivery_rag(evm_measures(r.bac, r.pv, r.ev, r.ac, r.benefits_owned, r.benefits).rag_basis,
                        r.delivery_confidence, $delivery_green, $delivery_amber) AS rag
    FROM project_month_rows AS r
    JOIN months USING (as_of)
    WHERE ($portfolio IS NULL OR r.portfolio = $portfolio)
      AND ($programme IS NULL OR r.programme = $programme)
      AND ($objective IS NULL OR r.strategic_objective = $objective)
),
ranked AS (
    -- the largest BAC at the latest month shown first; a project absent then ranks after, by id
    SELECT project_id,
           row_number() OVER (ORDER BY max(bac) FILTER (WHERE as_of = (SELECT max(as_of) FROM months))
                                         DESC NULLS LAST, project_id) AS position,
           count(*) OVER () AS projects
    FROM rated
    GROUP BY project_id
),
placed AS (
    SELECT r.*, CASE WHEN k.projects <= $trend_rows + 1 OR k.position <= $trend_rows THEN k.position END AS position
    FROM rated AS r JOIN ranked AS k USING (project_id)
)
SELECT as_of, project_id, project_name AS row_label, position, rag, delivery_confidence,
       CAST(rag = 'green' AS INTEGER) AS green, CAST(rag = 'amber' AS INTEGER) AS amber,
       CAST(rag = 'red' AS INTEGER) AS red, CAST(rag IS NULL AS INTEGER) AS unrated
FROM placed WHERE position IS NOT NULL
UNION ALL
SELECT as_of, NULL,
       'Others (' || (SELECT count(DISTINCT project_id) FROM placed WHERE position IS NULL) || ' projects)',
       $trend_rows + 1,
       CASE greatest(count(*) FILTER (WHERE rag = 'red'), count(*) FILTER (WHERE rag = 'amber'),
                     count(*) FILTER (WHERE rag = 'green'), count(*) FILTER (WHERE rag IS NULL))
            WHEN count(*) FILTER (WHERE rag = 'red') THEN 'red'
            WHEN count(*) FILTER (WHERE rag = 'amber') THEN 'amber'
            WHEN count(*) FILTER (WHERE rag = 'green') THEN 'green' END,
       NULL,
       count(*) FILTER (WHERE rag = 'green'), count(*) FILTER (WHERE rag = 'amber'),
       count(*) FILTER (WHERE rag = 'red'), count(*) FILTER (WHERE rag IS NULL)
FROM placed WHERE position IS NULL
GROUP BY as_of
ORDER BY position, as_of;
