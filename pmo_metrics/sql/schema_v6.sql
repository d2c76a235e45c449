-- Schema version 6: reserved for a change developed alongside version 8 (upload modes and
-- membership); this file changes nothing, so the chain of versions stays unbroken until it lands.
SELECT 1;
