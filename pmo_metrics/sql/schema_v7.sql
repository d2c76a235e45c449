-- Schema version 7: reserved for a change developed alongside version 8 (withheld values, units
-- and fiscal periods); this file changes nothing, so the chain of versions stays unbroken until it lands.
SELECT 1;
