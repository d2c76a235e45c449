-- SPEC §5 overview tiles: portfolio-level totals for the scope, money in the reporting currency.
WITH d AS (
    SELECT * FROM evm($as_of, $portfolio, $programme, $objective, $currency, 'all')
    WHERE currency = upper($currency)
),
b AS (
    SELECT sum(planned_to_date) AS planned_to_date, sum(realised_to_date) AS realised_to_date,
           sum(planned_total) AS planned_total, sum(forecast_total) AS forecast_total,
           sum(risk_adjusted_forecast) AS risk_adjusted_forecast
    FROM benefit_rows($as_of, $portfolio, $programme, $objective, $currency)
    WHERE category = 'financial' AND measure = 'flow' AND currency = upper($currency)
),
monthly AS (
    -- the portfolio's cash flows, discounted from the portfolio's own first month
    SELECT month, sum(cash_flow) AS cash_flow, sum(benefit) AS benefit, sum(cost) AS cost
    FROM project_cashflows($as_of, $portfolio, $programme, $objective, $currency)
    WHERE currency = upper($currency)
    GROUP BY month
),
r AS (
    SELECT sum(cash_flow * power(1 + $rate, -datediff('month', first, month) / 12.0)) AS npv,
           sum(benefit) FILTER (WHERE month <= $as_of) AS realised,
           sum(cost) FILTER (WHERE month <= $as_of) AS spent
    FROM monthly, (SELECT min(month) AS first FROM monthly)
),
counts AS (
    SELECT (SELECT count(*) FROM scoped_projects($as_of, $portfolio, $programme, $objective, $currency))
               AS projects,
           (SELECT count(*) FROM scoped_benefits($as_of, $portfolio, $programme, $objective, $currency))
               AS benefits,
           (SELECT count(*) FROM scoped_projects($as_of, $portfolio, $programme, $objective, $currency)
             WHERE currency <> upper($currency)) AS projects_other_currency
)
SELECT b.planned_to_date, b.realised_to_date, ratio(b.realised_to_date, b.planned_to_date) AS realisation_rate,
       b.planned_total, b.forecast_total, ratio(b.forecast_total - b.planned_total, b.planned_total) AS erosion,
       b.risk_adjusted_forecast,
       d.cpi, d.spi, r.npv, ratio(r.realised - r.spent, r.spent) AS roi,
       d.bac, d.ac, d.ev, d.pv, d.fac, d.eac,
       counts.projects, counts.benefits, counts.projects_other_currency
FROM counts
CROSS JOIN b
CROSS JOIN r
LEFT JOIN d ON true;
