-- Schema version 12: the list of months whose month rows are made takes the name the rest of the
-- code uses for those rows (month_rows.py, the month_rows_* macros). Nothing else changes.
ALTER TABLE kept_months RENAME TO month_rows_made;
