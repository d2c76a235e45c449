-- Shared building blocks of the measures (SPEC §4), stored as macros in the database by the
-- store's migration step (re-created whenever this text changes), so a query pays no set-up.
--
-- Every macro reads stored data only through the effective_* snapshot macros of effective.sql,
-- so every measure can be asked for as of any reporting month m (SPEC §3 time travel).
-- Arguments: m = reporting month (DATE, first of month); pf, pg, obj = portfolio, programme,
-- objective filters (NULL = no filter); ccy = the reporting currency (settings.currency).

-- A ratio whose divisor is zero or empty is empty, never inf or NaN (SPEC §5).
CREATE OR REPLACE MACRO ratio(a, b) AS a / nullif(b, 0);

-- Green at or above `green`, amber at or above `amber`, red below; empty when x is empty.
-- A non-finite figure (an overflow, 0/0 in a sum) is never coloured: NaN sorts above every number
-- in DuckDB, so without the guard it would read green (issue: amounts near 1e308 showed green).
CREATE OR REPLACE MACRO rag(x, green, amber) AS
    CASE WHEN x IS NULL OR NOT isfinite(x::DOUBLE) THEN NULL WHEN x >= green THEN 'green' WHEN x >= amber THEN 'amber' ELSE 'red' END;

-- SPEC §8.1: the delivery RAG a delivery confidence rating stands for.
CREATE OR REPLACE MACRO confidence_rag(conf) AS
    CASE conf WHEN 'green' THEN 'green' WHEN 'amber/green' THEN 'green' WHEN 'amber' THEN 'amber'
              WHEN 'amber/red' THEN 'red' WHEN 'red' THEN 'red' END;

-- A rating's place on the five-point scale, best highest (green 5 ... red 1), as the numbers run.
CREATE OR REPLACE MACRO confidence_rank(conf) AS
    CASE conf WHEN 'green' THEN 5 WHEN 'amber/green' THEN 4 WHEN 'amber' THEN 3
              WHEN 'amber/red' THEN 2 WHEN 'red' THEN 1 END;

-- SPEC §8.1 delivery RAG: from min(CPI, SPI) where the project has it (earned value against a
-- non-zero cost or plan), else from its delivery confidence; rag_source says which decided.
CREATE OR REPLACE MACRO delivery_rag(basis, conf, green, amber) AS
    coalesce(rag(basis, green, amber), confidence_rag(conf));

CREATE OR REPLACE MACRO delivery_rag_source(basis, conf) AS
    CASE WHEN basis IS NOT NULL AND isfinite(basis::DOUBLE) THEN 'evm' WHEN confidence_rag(conf) IS NOT NULL THEN 'confidence' END;

-- SPEC §8.3 importance of a RAG move: each step towards red weighs 2 (amber -> red 2, green -> red
-- 4), each step towards green 1, a rating appearing or disappearing 1.
CREATE OR REPLACE MACRO rag_rank(r) AS CASE r WHEN 'green' THEN 0 WHEN 'amber' THEN 1 WHEN 'red' THEN 2 END;

CREATE OR REPLACE MACRO rag_move_severity(from_rag, to_rag) AS
    CASE WHEN from_rag IS NULL OR to_rag IS NULL THEN 1.0
         WHEN rag_rank(to_rag) > rag_rank(from_rag) THEN 2.0 * (rag_rank(to_rag) - rag_rank(from_rag))
         ELSE 1.0 * (rag_rank(from_rag) - rag_rank(to_rag)) END;

-- Projects in scope, with the currency default applied.
CREATE OR REPLACE MACRO scoped_projects(m, pf, pg, obj, ccy) AS TABLE
    SELECT p.project_id, p.project_name, p.portfolio, p.programme, p.strategic_objective, p.stage,
           p.start_date, p.end_date, p.budget_at_completion,
           upper(coalesce(p.currency, ccy)) AS currency, p.delivery_confidence
    FROM effective_projects(m) AS p
    WHERE (pf IS NULL OR p.portfolio = pf)
      AND (pg IS NULL OR p.programme = pg)
      AND (obj IS NULL OR p.strategic_objective = obj);

-- Benefits in scope. Portfolio and programme come from the benefit's project; the objective
-- is the benefit's own, else its project's. Defaults: measure `flow` for financial benefits
-- (SPEC §2) and `level` for non-financial ones (the SPEC names no default for those; a point
-- reading is what a non-cash measure such as a satisfaction score is), confidence 1.
CREATE OR REPLACE MACRO scoped_benefits(m, pf, pg, obj, ccy) AS TABLE
    SELECT b.benefit_id, b.project_id, b.benefit_name, b.category, b.benefit_type, b.owner, b.unit,
           -- SPEC §10.1: a dis-benefit in money (no unit) is a flow, as a financial benefit is
           coalesce(b.measure, CASE WHEN b.category = 'financial' THEN 'flow'
                                    WHEN b.category = 'dis_benefit' AND nullif(trim(b.unit), '') IS NULL THEN 'flow'
                                    ELSE 'level' END) AS measure,
           b.baseline_value, b.target_value,
           coalesce(b.strategic_objective, p.strategic_objective) AS strategic_objective,
           coalesce(b.confidence, 1.0) AS confidence,
           p.project_name, p.portfolio, p.programme, p.currency, p.stage, p.end_date
    FROM effective_benefits(m) AS b
    JOIN scoped_projects(m, pf, pg, NULL, ccy) AS p USING (project_id)
    WHERE obj IS NULL OR coalesce(b.strategic_objective, p.strategic_objective) = obj;

-- Level 3 per benefit (SPEC §4), before RAG. Amounts are empty for a benefit with no values at
-- all, and 0 (not empty) for sums over months it has no figure in.
CREATE OR REPLACE MACRO benefit_rows(m, pf, pg, obj, ccy) AS TABLE
    WITH v AS (
        SELECT benefit_id,
               coalesce(sum(planned_value) FILTER (WHERE period <= m), 0) AS planned_sum_to_date,
               coalesce(sum(realised_value) FILTER (WHERE period <= m), 0) AS realised_sum_to_date,
               coalesce(sum(planned_value), 0) AS planned_sum_total,
               coalesce(sum(forecast_value) FILTER (WHERE period > m), 0) AS forecast_sum_after,
               arg_max(realised_value, period) FILTER (WHERE period <= m AND realised_value IS NOT NULL)
                   AS realised_latest,
               arg_max(planned_value, period) FILTER (WHERE period <= m AND planned_value IS NOT NULL)
                   AS planned_latest,
               -- SPEC §9.3: the realised values to date in validated periods (a sum, or the latest reading)
               coalesce(sum(realised_value) FILTER (WHERE period <= m AND realised_validated), 0)
                   AS validated_sum_to_date,
               coalesce(sum(claimed_value) FILTER (WHERE period <= m), 0) AS claimed_sum_to_date,
               arg_max(claimed_value, period) FILTER (WHERE period <= m AND claimed_value IS NOT NULL)
                   AS claimed_latest,
               arg_max(realised_value, period) FILTER (WHERE period <= m AND realised_validated
                                                       AND realised_value IS NOT NULL) AS validated_latest
        FROM effective_benefit_values(m)
        GROUP BY benefit_id
    ),
    amounts AS (
        SELECT b.*,
               CASE b.measure WHEN 'flow' THEN v.planned_sum_to_date ELSE v.planned_latest END
                   AS planned_to_date,
               CASE b.measure WHEN 'flow' THEN v.realised_sum_to_date ELSE v.realised_latest END
                   AS realised_to_date,
               CASE WHEN b.measure = 'flow' THEN v.planned_sum_total END AS planned_total,
               CASE WHEN b.measure = 'flow' THEN v.realised_sum_to_date + v.forecast_sum_after END
                   AS forecast_total
        FROM scoped_benefits(m, pf, pg, obj, ccy) AS b
        LEFT JOIN v USING (benefit_id)
    ),
    w AS (SELECT * FROM benefit_withheld(m))  -- SPEC §7.3: the inputs withheld, per benefit
    SELECT amounts.*,
           CASE measure
               WHEN 'flow' THEN ratio(realised_to_date, planned_to_date)
               ELSE ratio(realised_to_date - baseline_value, planned_to_date - baseline_value)
           END AS realisation_rate,
           CASE WHEN measure = 'flow' THEN realised_to_date - planned_to_date END AS benefit_variance,
           CASE WHEN measure = 'flow' THEN ratio(forecast_total - planned_total, planned_total) END AS erosion,
           CASE WHEN measure = 'flow' THEN forecast_total * confidence END AS risk_adjusted_forecast,
           CASE WHEN measure = 'level'
                THEN ratio(realised_to_date - baseline_value, target_value - baseline_value) END
               AS progress_to_target,
           coalesce(w.withheld, 0) AS withheld,
           CASE WHEN v.benefit_id IS NOT NULL THEN
               CASE amounts.measure WHEN 'flow' THEN v.validated_sum_to_date ELSE v.validated_latest END
           END AS validated_to_date,
           CASE WHEN v.benefit_id IS NOT NULL THEN
               CASE amounts.measure WHEN 'flow' THEN v.claimed_sum_to_date ELSE v.claimed_latest END
           END AS claimed_to_date
    FROM amounts
    LEFT JOIN w USING (benefit_id)
    LEFT JOIN v USING (benefit_id);

-- Level 1 inputs per project (SPEC §4). A project with no financials keeps its row with empty
-- amounts; one with financials gets 0 for sums over months it has no figure in.
CREATE OR REPLACE MACRO delivery_base(m, pf, pg, obj, ccy) AS TABLE
    WITH f AS (
        SELECT project_id,
               sum(planned_cost) AS planned_all,
               coalesce(sum(planned_cost) FILTER (WHERE period <= m), 0) AS pv,
               coalesce(sum(actual_cost) FILTER (WHERE period <= m), 0) AS ac,
               coalesce(sum(forecast_cost) FILTER (WHERE period > m), 0) AS forecast_after,
               -- "reports earned_value": any earned_value figure in a month to date.
               count(earned_value) FILTER (WHERE period <= m) > 0 AS reports_ev,
               sum(earned_value) FILTER (WHERE period <= m) AS ev_to_date,
               arg_max(percent_complete, period) FILTER (WHERE period <= m AND percent_complete IS NOT NULL)
                   AS percent_complete,
               arg_max(quality_score, period) FILTER (WHERE period <= m AND quality_score IS NOT NULL)
                   AS quality_score
        FROM effective_financials(m)
        GROUP BY project_id
    ),
    b AS (
        SELECT project_id, count(*) AS benefits,
               count(*) FILTER (WHERE nullif(trim(owner), '') IS NOT NULL) AS benefits_owned
        FROM effective_benefits(m)
        GROUP BY project_id
    ),
    -- SPEC §7.3: a withheld BAC stays empty (the fallback to the sum of planned cost is for a blank
    -- cell only), and so does every figure that needs it; `withheld` counts the inputs withheld.
    w AS (SELECT * FROM project_withheld(m))
    SELECT p.* EXCLUDE (delivery_confidence),
           CASE WHEN w.bac_withheld THEN NULL ELSE coalesce(p.budget_at_completion, f.planned_all) END AS bac,
           f.pv, f.ac,
           CASE WHEN f.reports_ev THEN f.ev_to_date
                WHEN w.bac_withheld THEN NULL
                ELSE f.percent_complete * coalesce(p.budget_at_completion, f.planned_all) END AS ev,
           CASE WHEN f.reports_ev THEN 'earned_value'
                WHEN f.percent_complete IS NOT NULL THEN 'percent_complete' END AS ev_method,
           f.ac + f.forecast_after AS fac,
           f.percent_complete, f.quality_score,
           coalesce(b.benefits, 0) AS benefits, coalesce(b.benefits_owned, 0) AS benefits_owned,
           coalesce(w.withheld, 0) AS withheld,
           -- last, as schema 8 added it to the month rows (project_month_rows) after the others
           p.delivery_confidence
    FROM scoped_projects(m, pf, pg, obj, ccy) AS p
    LEFT JOIN f USING (project_id)
    LEFT JOIN b USING (project_id)
    LEFT JOIN w USING (project_id);

-- The earned-value measures of BAC, PV, EV and AC (SPEC §4 level 1), as one struct so a project
-- and a roll-up (which sums BAC, PV, EV, AC and FAC per currency, amounts in different currencies
-- never being added, and recomputes every ratio from the sums) compute them from this one
-- definition; unnest() makes its fields columns.
CREATE OR REPLACE MACRO evm_measures(bac, pv, ev, ac, benefits_owned, benefits) AS {
    'cv': ev - ac,
    'sv': ev - pv,
    'cpi': ratio(ev, ac),
    'spi': ratio(ev, pv),
    'eac': ratio(bac, ratio(ev, ac)),
    'etc': ratio(bac, ratio(ev, ac)) - ac,
    'vac': bac - ratio(bac, ratio(ev, ac)),
    'tcpi': ratio(bac - ev, bac - ac),
    'benefit_ownership': ratio(benefits_owned, benefits),
    -- least() skips an empty argument, so one empty ratio leaves the other to decide.
    'rag_basis': least(ratio(ev, ac), ratio(ev, pv))
};

-- A stored month's rows of delivery_base and benefit_rows, as month_rows.py keeps them at load time
-- (project_month_rows, benefit_month_rows: schema_v5.sql) with the currency setting applied here.
-- measures.py reads these instead of the live macros when m is a stored reporting month; the
-- columns are the live macros' own (tests/unit/test_month_rows.py).
CREATE OR REPLACE MACRO month_rows_of(month_rows_table, m, pf, pg, obj, ccy) AS TABLE
    SELECT * EXCLUDE (as_of) REPLACE (coalesce(currency, upper(ccy)) AS currency)
    FROM query_table(month_rows_table)
    WHERE as_of = m
      AND (pf IS NULL OR portfolio = pf)
      AND (pg IS NULL OR programme = pg)
      AND (obj IS NULL OR strategic_objective = obj);

CREATE OR REPLACE MACRO month_rows_delivery_base(m, pf, pg, obj, ccy) AS TABLE
    SELECT * FROM month_rows_of('project_month_rows', m, pf, pg, obj, ccy);

-- scoped_projects of a month whose month rows are made, from the project columns of its delivery_base rows.
CREATE OR REPLACE MACRO month_rows_scoped_projects(m, pf, pg, obj, ccy) AS TABLE
    SELECT project_id, project_name, portfolio, programme, strategic_objective, stage,
           start_date, end_date, budget_at_completion, currency, delivery_confidence
    FROM month_rows_delivery_base(m, pf, pg, obj, ccy);

CREATE OR REPLACE MACRO month_rows_benefit_rows(m, pf, pg, obj, ccy) AS TABLE
    SELECT * FROM month_rows_of('benefit_month_rows', m, pf, pg, obj, ccy);

-- scoped_benefits of a month whose month rows are made, from the benefit columns of its benefit_rows.
CREATE OR REPLACE MACRO month_rows_scoped_benefits(m, pf, pg, obj, ccy) AS TABLE
    SELECT benefit_id, project_id, benefit_name, category, benefit_type, owner, unit, measure,
           baseline_value, target_value, strategic_objective, confidence,
           project_name, portfolio, programme, currency, stage, end_date
    FROM month_rows_benefit_rows(m, pf, pg, obj, ccy);

-- Fiscal windows ending at m (SPEC §4 level 2): the month alone, the fiscal quarter to date and
-- the fiscal year to date; fiscal_end is the last month of the whole fiscal period.
CREATE OR REPLACE MACRO fiscal_windows(m, fy) AS TABLE
    WITH x AS (SELECT CAST(m AS DATE) AS m, (month(m) - fy + 12) % 12 AS k)
    SELECT g.grain, g.grain_order,
           CAST(CASE g.grain WHEN 'month' THEN x.m
                             WHEN 'quarter' THEN x.m - to_months(x.k % 3)
                             ELSE x.m - to_months(x.k) END AS DATE) AS period_start,
           CAST(CASE g.grain WHEN 'month' THEN x.m
                             WHEN 'quarter' THEN x.m + to_months(2 - x.k % 3)
                             ELSE x.m + to_months(11 - x.k) END AS DATE) AS fiscal_end
    FROM x, (VALUES ('month', 1), ('quarter', 2), ('year', 3)) AS g(grain, grain_order);

-- Aggregate one KPI column over a window: sum, mean or the latest month's value.
CREATE OR REPLACE MACRO pick(how, total, mean, latest) AS
    CASE how WHEN 'sum' THEN total WHEN 'mean' THEN mean WHEN 'last' THEN latest END;

-- Level 2 per KPI and grain, before RAG. Each of actual, budget, forecast and target is
-- aggregated over the window months where that column has a value.
CREATE OR REPLACE MACRO kpi_rows(m, obj, fy) AS TABLE
    WITH k AS (SELECT * FROM effective_kpis(m)),
    attrs AS (
        -- A KPI's descriptive fields are taken from its latest row that gives them.
        SELECT kpi_id,
               arg_max(kpi_name, period) FILTER (WHERE kpi_name IS NOT NULL) AS kpi_name,
               arg_max(strategic_objective, period) FILTER (WHERE strategic_objective IS NOT NULL)
                   AS strategic_objective,
               arg_max(unit, period) FILTER (WHERE unit IS NOT NULL) AS unit,
               coalesce(arg_max(direction, period) FILTER (WHERE direction IS NOT NULL), 'higher_is_better')
                   AS direction,
               coalesce(arg_max(aggregation, period) FILTER (WHERE aggregation IS NOT NULL), 'sum')
                   AS aggregation
        FROM k
        GROUP BY kpi_id
    ),
    windowed AS (
        SELECT a.kpi_id, a.kpi_name, a.strategic_objective, a.unit, a.direction, a.aggregation,
               w.grain, w.grain_order, w.period_start,
               count(k.actual) AS months_with_actual,
               CAST(coalesce(sum(kw.withheld), 0) AS BIGINT) AS withheld,
               pick(a.aggregation, sum(k.actual), avg(k.actual),
                    arg_max(k.actual, k.period) FILTER (WHERE k.actual IS NOT NULL)) AS actual,
               pick(a.aggregation, sum(k.budget), avg(k.budget),
                    arg_max(k.budget, k.period) FILTER (WHERE k.budget IS NOT NULL)) AS budget,
               pick(a.aggregation, sum(k.forecast), avg(k.forecast),
                    arg_max(k.forecast, k.period) FILTER (WHERE k.forecast IS NOT NULL)) AS forecast,
               pick(a.aggregation, sum(k.target), avg(k.target),
                    arg_max(k.target, k.period) FILTER (WHERE k.target IS NOT NULL)) AS target
        FROM attrs AS a
        CROSS JOIN fiscal_windows(m, fy) AS w
        LEFT JOIN k ON k.kpi_id = a.kpi_id AND k.period BETWEEN w.period_start AND m
        LEFT JOIN kpi_withheld(m) AS kw ON kw.kpi_id = k.kpi_id AND kw.period = k.period
        WHERE obj IS NULL OR a.strategic_objective = obj
        GROUP BY a.kpi_id, a.kpi_name, a.strategic_objective, a.unit, a.direction, a.aggregation,
                 w.grain, w.grain_order, w.period_start
    )
    SELECT *,
           CASE direction WHEN 'lower_is_better' THEN ratio(target, actual) ELSE ratio(actual, target) END
               AS attainment
    FROM windowed;

-- Monthly cash flows of each project in scope (SPEC §4 financial return): costs are actual to
-- date and forecast after m; benefits are the project's financial `flow` benefits, realised to
-- date and forecast after m. One row per month that has a figure in the project's financials or
-- those benefits' values; a month without figures is a cash flow of 0, so it adds nothing to a
-- sum and is left out (the months between a project's first and last month were once generated,
-- which cost a third of the returns query for no number).
CREATE OR REPLACE MACRO project_cashflows(m, pf, pg, obj, ccy) AS TABLE
    WITH p AS (SELECT project_id FROM scoped_projects(m, pf, pg, obj, ccy)),
    costs AS (
        SELECT f.project_id, f.period AS month,
               sum(CASE WHEN f.period <= m THEN coalesce(f.actual_cost, 0)
                        ELSE coalesce(f.forecast_cost, 0) END) AS cost
        FROM effective_financials(m) AS f
        SEMI JOIN p USING (project_id)
        GROUP BY ALL
    ),
    gains AS (
        -- SPEC §10.1: a dis-benefit in money (no unit) counts as a cost of its project
        SELECT b.project_id, v.period AS month,
               sum(CASE WHEN v.period <= m THEN coalesce(v.realised_value, 0)
                        ELSE coalesce(v.forecast_value, 0) END) FILTER (WHERE b.category = 'financial') AS benefit,
               sum(CASE WHEN v.period <= m THEN coalesce(v.realised_value, 0)
                        ELSE coalesce(v.forecast_value, 0) END) FILTER (WHERE b.category = 'dis_benefit') AS harm,
               -- for time to value: did any benefit realise something positive this month?
               max(v.realised_value) FILTER (WHERE v.period <= m AND b.category = 'financial') AS realised_max
        FROM effective_benefit_values(m) AS v
        JOIN effective_benefits(m) AS b USING (benefit_id)
        SEMI JOIN p ON p.project_id = b.project_id
        WHERE (b.category = 'financial'
               OR (b.category = 'dis_benefit' AND nullif(trim(b.unit), '') IS NULL))
          AND coalesce(b.measure, 'flow') = 'flow'
        GROUP BY ALL
    )
    SELECT project_id, month,
           coalesce(cost, 0) + coalesce(harm, 0) AS cost,
           coalesce(benefit, 0) AS benefit,
           coalesce(benefit, 0) - coalesce(cost, 0) - coalesce(harm, 0) AS cash_flow,
           realised_max
    FROM costs FULL OUTER JOIN gains USING (project_id, month);

-- What the financial return needs of each month of project_cashflows (SPEC §4 level 3): t = months
-- since the project's first month (the NPV exponent), the cumulative cash flow to that month and the
-- next month with figures (payback is the first month from which the cumulative stays >= 0: the
-- next month after the last one below 0), and whether any benefit realised something positive
-- (time to value). One window, so the sort by project and month is made once.
CREATE OR REPLACE MACRO project_flows(m, pf, pg, obj, ccy) AS TABLE
    SELECT project_id, month,
           datediff('month', first_value(month) OVER w, month) AS t,
           cost, benefit,
           sum(cash_flow) OVER w AS cumulative,
           lead(month) OVER w AS next_month,
           coalesce(realised_max > 0, false) AS realised_positive
    FROM project_cashflows(m, pf, pg, obj, ccy)
    WINDOW w AS (PARTITION BY project_id ORDER BY month);

-- A stored month's project_flows as month_rows.py keeps them at load time (project_month_flows,
-- schema_v5.sql), for the projects in scope.
CREATE OR REPLACE MACRO month_rows_project_flows(m, pf, pg, obj, ccy) AS TABLE
    SELECT f.* EXCLUDE (as_of)
    FROM project_month_flows AS f
    SEMI JOIN month_rows_scoped_projects(m, pf, pg, obj, ccy) AS p USING (project_id)
    WHERE f.as_of = m;

-- The cash flows and financial flow value of month m's snapshot, per scope group (portfolio,
-- programme, objective, currency as the project gave it) and calendar month: the rows of
-- flow_month_totals (schema_v4.sql), which pmo_metrics/month_rows.py keeps for each stored month
-- after its loads commit. A month between stored months gives the latest stored month's rows,
-- as effective_* do (SPEC §3). Written for speed, as the overview derives it when a month is
-- not kept yet: rows are summed by small integers standing for the groups and joined to the
-- groups' names afterwards (grouping ~1M rows by one integer costs a fraction of grouping them
-- by four or five strings). The data rows come through the effective_* macros, whose plan joins
-- the resolved versions to the data first (joining the data to the groups directly scans every
-- stored version).
CREATE OR REPLACE MACRO month_flow_totals(m) AS TABLE
    WITH p AS MATERIALIZED (
        SELECT project_id, portfolio, programme, strategic_objective, upper(currency) AS currency,
               dense_rank() OVER (ORDER BY portfolio, programme, strategic_objective, upper(currency)) AS g
        FROM effective_projects(m)
    ),
    groups AS (
        SELECT DISTINCT g, portfolio, programme, strategic_objective, currency FROM p
    ),
    b AS MATERIALIZED (
        -- the financial flow benefits (the defaults of scoped_benefits), by group and own objective
        SELECT b.benefit_id, p.g, coalesce(b.strategic_objective, p.strategic_objective) AS benefit_objective,
               dense_rank() OVER (ORDER BY p.g, coalesce(b.strategic_objective, p.strategic_objective)) AS k
        FROM effective_benefits(m) AS b
        JOIN p USING (project_id)
        WHERE b.category = 'financial' AND coalesce(b.measure, 'flow') = 'flow'
    ),
    costs AS (
        SELECT p.g, f.period,
               sum(f.planned_cost) AS planned_cost, sum(f.actual_cost) AS actual_cost,
               sum(f.forecast_cost) AS forecast_cost, count(f.actual_cost) AS actual_cost_months
        FROM effective_financials(m) AS f
        JOIN p USING (project_id)
        GROUP BY p.g, f.period
    ),
    gains AS (
        SELECT b.k, v.period,
               sum(v.planned_value) AS planned_value, sum(v.realised_value) AS realised_value,
               sum(v.forecast_value) AS forecast_value
        FROM effective_benefit_values(m) AS v
        JOIN b USING (benefit_id)
        GROUP BY b.k, v.period
    )
    SELECT CAST(m AS DATE) AS as_of, 'financials' AS source, groups.portfolio, groups.programme,
           groups.strategic_objective, groups.currency, CAST(NULL AS VARCHAR) AS benefit_objective,
           costs.period, costs.planned_cost, costs.actual_cost, costs.forecast_cost, costs.actual_cost_months,
           CAST(NULL AS DOUBLE) AS planned_value, CAST(NULL AS DOUBLE) AS realised_value,
           CAST(NULL AS DOUBLE) AS forecast_value
    FROM costs JOIN groups USING (g)
    UNION ALL
    SELECT CAST(m AS DATE), 'benefit_values', groups.portfolio, groups.programme, groups.strategic_objective,
           groups.currency, keys.benefit_objective, gains.period, NULL, NULL, NULL, NULL,
           gains.planned_value, gains.realised_value, gains.forecast_value
    FROM gains
    JOIN (SELECT DISTINCT k, g, benefit_objective FROM b) AS keys USING (k)
    JOIN groups USING (g);

-- Month m's flow totals for the scope, with the currency default applied: read from
-- flow_month_totals (month_rows_flow_rows) for a month listed in month_rows_made, derived (flow_rows) for
-- any other; measures.py picks. Objective filters are the caller's: the project's objective for
-- cash flows and spend, the benefit's for benefit value; m still splits "to date" from "after m".
CREATE OR REPLACE MACRO month_rows_flow_rows(m, pf, pg, ccy) AS TABLE
    SELECT f.* EXCLUDE (as_of) REPLACE (upper(coalesce(f.currency, ccy)) AS currency)
    FROM flow_month_totals AS f
    WHERE f.as_of = (SELECT max(u.as_of) FROM uploads AS u WHERE u.status = 'loaded' AND u.as_of <= m)
      AND (pf IS NULL OR f.portfolio = pf)
      AND (pg IS NULL OR f.programme = pg);

CREATE OR REPLACE MACRO flow_rows(m, pf, pg, ccy) AS TABLE
    SELECT f.* EXCLUDE (as_of) REPLACE (upper(coalesce(f.currency, ccy)) AS currency)
    FROM month_flow_totals(m) AS f
    WHERE (pf IS NULL OR f.portfolio = pf)
      AND (pg IS NULL OR f.programme = pg);
