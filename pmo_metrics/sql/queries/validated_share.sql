-- SPEC §9.3 the validated share of the scope: of the realised value claimed to date by the financial
-- flow benefits in the reporting currency, how much lies in validated periods; and whether the
-- measures count validated values only (setting realised_counts).
SELECT sum(validated_to_date) AS validated_to_date,
       sum(claimed_to_date) AS claimed_to_date,
       ratio(sum(validated_to_date), sum(claimed_to_date)) AS validated_share,
       count(*) FILTER (WHERE validated_to_date > 0) AS benefits_validated,
       count(*) FILTER (WHERE claimed_to_date > 0) AS benefits_claimed,
       realised_counts_validated() AS counts_validated
FROM {benefit_rows}($as_of, $portfolio, $programme, $objective, $currency)
WHERE category = 'financial' AND measure = 'flow' AND currency = upper($currency);
