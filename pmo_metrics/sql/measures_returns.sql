-- SPEC §4 level 3 financial return / §5 `returns`: one row per project in scope.
-- NPV = Σ cf_t / (1 + r)^(t/12) with t = months since the project's first month (t = 0 is
-- undiscounted); BCR = discounted benefits / discounted costs; payback = the first month from
-- which the cumulative cash flow stays >= 0 to the project's last month.
-- project_cashflows holds only the months with figures; a month without is a cash flow of 0, so
-- it changes no sum and leaves the running sum where the month before left it.
WITH cf AS MATERIALIZED (
    SELECT * FROM project_cashflows($as_of, $portfolio, $programme, $objective, $currency)
),
spans AS (
    SELECT project_id, min(month) AS first_month, max(month) AS last_month FROM cf GROUP BY project_id
),
below AS (
    -- The cumulative cash flow needs a window; it is given only the three columns it reads, as
    -- a window's cost grows with the width of the rows it carries. The cumulative stays >= 0 from
    -- the first month with figures after the last month below 0 (a month without figures keeps
    -- the sum below 0), or from the first month when none is below; never, when the last is.
    SELECT project_id, max(month) FILTER (WHERE cumulative < 0) AS last_below
    FROM (SELECT project_id, month, sum(cash_flow) OVER (PARTITION BY project_id ORDER BY month) AS cumulative
          FROM cf)
    GROUP BY project_id
),
per_project AS (
    SELECT cf.project_id,
           any_value(s.first_month) AS first_month, any_value(s.last_month) AS last_month,
           any_value(b.last_below) AS last_below,
           sum(cf.cash_flow * power(1 + $rate, -datediff('month', s.first_month, cf.month) / 12.0)) AS npv,
           sum(cf.benefit * power(1 + $rate, -datediff('month', s.first_month, cf.month) / 12.0))
               AS discounted_benefits,
           sum(cf.cost * power(1 + $rate, -datediff('month', s.first_month, cf.month) / 12.0)) AS discounted_costs,
           sum(cf.benefit) FILTER (WHERE cf.month <= $as_of) AS realised_to_date,
           sum(cf.cost) FILTER (WHERE cf.month <= $as_of) AS ac,
           min(cf.month) FILTER (WHERE cf.month <= $as_of AND cf.realised_max > 0) AS first_value_month,
           min(cf.month) FILTER (WHERE cf.month > b.last_below) AS first_after_below
    FROM cf
    JOIN spans AS s USING (project_id)
    JOIN below AS b USING (project_id)
    GROUP BY cf.project_id
)
SELECT p.project_id, r.npv,
       ratio(r.realised_to_date - r.ac, r.ac) AS roi,
       ratio(r.discounted_benefits, r.discounted_costs) AS bcr,
       CASE WHEN r.last_below IS NULL THEN r.first_month ELSE r.first_after_below END AS payback_month,
       datediff('month', date_trunc('month', p.end_date), r.first_value_month) AS time_to_value_months,
       p.project_name, p.portfolio, p.programme, p.currency,
       r.discounted_benefits, r.discounted_costs, r.realised_to_date, r.ac,
       r.first_month, r.last_month, r.first_value_month,
       CAST(date_trunc('month', p.end_date) AS DATE) AS end_month
FROM scoped_projects($as_of, $portfolio, $programme, $objective, $currency) AS p
LEFT JOIN per_project AS r USING (project_id)
ORDER BY p.portfolio, p.programme NULLS LAST, p.project_id;
