-- SPEC §4 level 3 financial return / §5 `returns`: one row per project in scope.
-- NPV = Σ cf_t / (1 + r)^(t/12) with t = months since the project's first month (t = 0 is
-- undiscounted); BCR = discounted benefits / discounted costs; payback = the first month from
-- which the cumulative cash flow stays >= 0 to the project's last month.
WITH cf AS MATERIALIZED (
    SELECT project_id, first_month, last_month, month, cost, benefit, cash_flow, realised_max,
           power(1 + $rate, -t / 12.0) AS discount
    FROM project_cashflows($as_of, $portfolio, $programme, $objective, $currency)
),
below AS (
    -- The cumulative cash flow needs a window; it is given only the three columns it reads, as
    -- a window's cost grows with the width of the rows it carries. A project's months are
    -- consecutive, so "stays >= 0 from here to the last month" starts the month after the last
    -- month below 0 (or at the first month when none is).
    SELECT project_id, max(month) FILTER (WHERE cumulative < 0) AS last_below
    FROM (SELECT project_id, month, sum(cash_flow) OVER (PARTITION BY project_id ORDER BY month) AS cumulative
          FROM cf)
    GROUP BY project_id
),
per_project AS (
    SELECT project_id,
           min(first_month) AS first_month, max(last_month) AS last_month,
           sum(cash_flow * discount) AS npv,
           sum(benefit * discount) AS discounted_benefits,
           sum(cost * discount) AS discounted_costs,
           sum(benefit) FILTER (WHERE month <= $as_of) AS realised_to_date,
           sum(cost) FILTER (WHERE month <= $as_of) AS ac,
           min(month) FILTER (WHERE month <= $as_of AND realised_max > 0) AS first_value_month
    FROM cf
    GROUP BY project_id
)
SELECT p.project_id, r.npv,
       ratio(r.realised_to_date - r.ac, r.ac) AS roi,
       ratio(r.discounted_benefits, r.discounted_costs) AS bcr,
       CASE WHEN b.last_below IS NULL THEN r.first_month
            WHEN b.last_below < r.last_month THEN CAST(b.last_below + INTERVAL 1 MONTH AS DATE) END
           AS payback_month,
       datediff('month', date_trunc('month', p.end_date), r.first_value_month) AS time_to_value_months,
       p.project_name, p.portfolio, p.programme, p.currency,
       r.discounted_benefits, r.discounted_costs, r.realised_to_date, r.ac,
       r.first_month, r.last_month, r.first_value_month,
       CAST(date_trunc('month', p.end_date) AS DATE) AS end_month
FROM scoped_projects($as_of, $portfolio, $programme, $objective, $currency) AS p
LEFT JOIN per_project AS r USING (project_id)
LEFT JOIN below AS b USING (project_id)
ORDER BY p.portfolio, p.programme NULLS LAST, p.project_id;
