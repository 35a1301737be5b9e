-- KNOWN_VIOLATIONS: the cells of the simulation (operation | step | failure)
-- that break a promise today, each with the reason. spec/76 marks them pending
-- instead of failing; a listed cell that violates other invariants than
-- `inv`, or none, fails the spec, so this list can't rot. It is empty: every
-- cell keeps every promise. A cell that breaks one again is a bug to fix in
-- the code; list it here only while its fix is under way.
--   { op =, steps = { step names as the simulation prints them }, failures = { ... },
--     inv = { exactly the invariants the cell violates }, reason = "..." }
return {}
