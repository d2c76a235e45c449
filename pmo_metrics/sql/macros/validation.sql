-- Claimed and validated realisation (SPEC §9.3; docs/governance.md).
--
-- Realised values arrive claimed (claimed_benefit_values, effective.sql). A validation covers a
-- benefit's realised values of a period range as they stood when it was made (validated_values,
-- schema_v10.sql); a period is validated while its effective realised value is still the one
-- validated and some validation covering it is not withdrawn.

-- The setting realised_counts (settings table, JSON text): true when only validated values count.
-- Read here, in SQL, so every measure built on effective_benefit_values follows the one switch.
CREATE OR REPLACE MACRO realised_counts_validated() AS (
    SELECT coalesce(bool_or(CAST(value AS VARCHAR) = '"validated"'), false)
    FROM settings WHERE key = 'realised_counts'
);

-- Each (benefit, period, realised value) some standing validation covers.
CREATE OR REPLACE MACRO validated_periods() AS TABLE
    SELECT DISTINCT v.benefit_id, v.period, v.realised_value
    FROM validated_values AS v
    JOIN validations AS a USING (validation_id)
    WHERE a.withdrawn_at IS NULL;

-- The effective benefit values of reporting month m as every measure reads them: the claimed rows,
-- with claimed_value the realised value as submitted, realised_validated telling whether the period's realised value is validated and, when the
-- setting is `validated`, realised_value empty where it is not (so it counts nowhere: realised to
-- date, rates, returns, sustained value, forecast accuracy).
CREATE OR REPLACE MACRO effective_benefit_values(m) AS TABLE
    SELECT c.* REPLACE (
               CASE WHEN ok.benefit_id IS NOT NULL OR NOT realised_counts_validated()
                    THEN c.realised_value END AS realised_value),
           ok.benefit_id IS NOT NULL AS realised_validated,
           c.realised_value AS claimed_value
    FROM claimed_benefit_values(m) AS c
    LEFT JOIN validated_periods() AS ok
      ON ok.benefit_id = c.benefit_id AND ok.period = c.period AND ok.realised_value = c.realised_value;
