-- SPEC §4 level 4 / §5 `benchmarks`: one row per metric at its latest period to date. Gap and
-- index are oriented so that positive gap / index above 1 is always good. Never scope-filtered.
WITH latest AS (
    SELECT metric, max(period) AS period
    FROM effective_benchmarks($as_of)
    WHERE period <= $as_of
    GROUP BY metric
),
b AS (
    SELECT bm.*, coalesce(bm.direction, 'higher_is_better') AS dir
    FROM effective_benchmarks($as_of) AS bm
    JOIN latest USING (metric, period)
)
SELECT metric, period, our_value, peer_median, peer_top_quartile,
       CASE dir WHEN 'lower_is_better' THEN peer_median - our_value ELSE our_value - peer_median END
           AS gap_to_median,
       CASE dir WHEN 'lower_is_better' THEN ratio(peer_median, our_value) ELSE ratio(our_value, peer_median) END
           AS relative_index,
       CASE WHEN dir = 'lower_is_better' AND our_value <= peer_top_quartile THEN 'top quartile'
            WHEN dir <> 'lower_is_better' AND our_value >= peer_top_quartile THEN 'top quartile'
            WHEN dir = 'lower_is_better' AND our_value <= peer_median THEN 'above median'
            WHEN dir <> 'lower_is_better' AND our_value >= peer_median THEN 'above median'
            ELSE 'below median' END AS position,
       dir AS direction, source
FROM b
ORDER BY metric;
