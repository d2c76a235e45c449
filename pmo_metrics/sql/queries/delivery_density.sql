-- SPEC §11 charts at scale: the delivery quadrant of many projects as a density. Reads the rows of
-- the delivery table the page already has (registered as delivery_rows): projects with both CPI and
-- SPI, counted per cell of a $step grid (CPI and SPI clamped to [$low, $high] so a stray index
-- stays on the chart, in the edge cell), with their BAC summed.
WITH r AS (
    SELECT least(greatest(cpi, $low), $high - 1e-9) AS cpi, least(greatest(spi, $low), $high - 1e-9) AS spi, bac
    FROM delivery_rows
    WHERE isfinite(cpi) AND isfinite(spi)
)
SELECT floor(spi / $step) * $step AS spi_bin, floor(spi / $step) * $step + $step AS spi_bin_end,
       floor(cpi / $step) * $step AS cpi_bin, floor(cpi / $step) * $step + $step AS cpi_bin_end,
       count(*) AS projects, sum(bac) AS bac
FROM r
GROUP BY ALL
ORDER BY spi_bin, cpi_bin;
