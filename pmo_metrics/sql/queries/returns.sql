-- SPEC §4 level 3 financial return / §5 `returns`: one row per project in scope.
-- NPV = Σ cf_t / (1 + r)^(t/12) with t = months since the project's first month (t = 0 is
-- undiscounted); BCR = discounted benefits / discounted costs; payback = the first month from
-- which the cumulative cash flow stays >= 0 to the project's last month.
-- project_flows holds only the months with figures; a month without is a cash flow of 0, so it
-- changes no sum and leaves the cumulative below 0 where the month before left it: the cumulative
-- stays >= 0 from the next month with figures after the last month below 0 (never, when that is
-- the last month), or from the first month when none is below 0.
WITH f AS (
    -- the discount factor once per month (power() is most of the cost of the sums below)
    SELECT *, power(1 + $rate, -t / 12.0) AS discount
    FROM {project_flows}($as_of, $portfolio, $programme, $objective, $currency)
),
per_project AS (
    SELECT project_id,
           min(month) AS first_month, max(month) AS last_month,
           sum((benefit - cost) * discount) AS npv,
           sum(benefit * discount) AS discounted_benefits,
           sum(cost * discount) AS discounted_costs,
           sum(benefit) FILTER (WHERE month <= $as_of) AS realised_to_date,
           sum(cost) FILTER (WHERE month <= $as_of) AS ac,
           min(month) FILTER (WHERE month <= $as_of AND realised_positive) AS first_value_month,
           count(*) FILTER (WHERE cumulative < 0) AS months_below,
           arg_max_null(next_month, month) FILTER (WHERE cumulative < 0) AS after_last_below
    FROM f
    GROUP BY project_id
)
SELECT p.project_id, r.npv,
       ratio(r.realised_to_date - r.ac, r.ac) AS roi,
       ratio(r.discounted_benefits, r.discounted_costs) AS bcr,
       CASE WHEN r.months_below = 0 THEN r.first_month ELSE r.after_last_below END AS payback_month,
       datediff('month', date_trunc('month', p.end_date), r.first_value_month) AS time_to_value_months,
       p.project_name, p.portfolio, p.programme, p.currency,
       r.discounted_benefits, r.discounted_costs, r.realised_to_date, r.ac,
       r.first_month, r.last_month, r.first_value_month,
       CAST(date_trunc('month', p.end_date) AS DATE) AS end_month
FROM {scoped_projects}($as_of, $portfolio, $programme, $objective, $currency) AS p
LEFT JOIN per_project AS r USING (project_id)
ORDER BY p.portfolio, p.programme NULLS LAST, p.project_id;
