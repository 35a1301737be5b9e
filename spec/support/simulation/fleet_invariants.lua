-- The lifecycle's promises for a run across orgs (fleet_operations.lua): the
-- promises of invariants.lua kept in each org by itself (its tokens, its key
-- files, the lines of the run that name it), nothing changed outside the
-- orgs of the run, and
--   7 the others' results   a failure at a step of one org leaves the other
--                           orgs' results as a run without it has them, and a
--                           run that fails says which org failed
-- An org's view is the case seen from that org: its snapshot, its tokens of
-- the desired state, its key directory, and the checks of one org's operation.
--   local fleet_invariants = require "support.simulation.fleet_invariants"
--   fleet_invariants.view(c, org), fleet_invariants.check(c, before, now, outcome, add, label)
local invariants = require "support.simulation.invariants"
local world = require "support.simulation.world"

local M = {}

--- The case as org `o` sees it.
function M.view(c, o)
  return setmetatable({ op = c.op.per_org, org = o, S0 = c.S0 and world.of_org(c.S0, o.id), mon = o.mon,
    edge = o.edge, gone = o.gone, key_dir = (c.key_dir or "") .. "/" .. o.id, in_place_key = o.in_place_key or false,
    files0 = o == c.target and c.files0 or {} }, { __index = c })
end

-- The lines of a text that name org `id`.
local function lines_of(text, id)
  local out = {}
  for line in (text or ""):gmatch("[^\n]+") do
    if line:find(id, 1, true) then out[#out + 1] = line end
  end
  return table.concat(out, "\n")
end

local function in_orgs(c, t)
  for _, o in ipairs(c.orgs) do if t.org_id == o.id then return true end end
  return false
end

-- An org's result as the run reported it (read-only jobs).
local function result_of(c, o) return c.report and c.report[o.id] end

-- A result for a message: its start.
local function short(text)
  text = tostring(text)
  return #text > 120 and (text:sub(1, 120) .. "...") or text
end

-- The summary line, "Apply complete: ... in N orgs; M orgs failed.": every org
-- the run left undone is among the failed, and no more are said done than are.
local function summary(c, now, outcome, add, label)
  local n_ok, n_failed = (outcome.message or ""):match("in (%d+) orgs?; (%d+) orgs? failed%.")
  if not n_ok or outcome.killed or outcome.stopped then return end
  local done, undone = 0, 0
  for _, o in ipairs(c.orgs) do
    if c.op.per_org.goal(M.view(c, o), world.of_org(now, o.id)) then undone = undone + 1 else done = done + 1 end
  end
  if undone > tonumber(n_failed) then
    add(4, ("the %s said %s orgs failed, but %d are not done"):format(label, n_failed, undone))
  end
  if tonumber(n_ok) > done then
    add(4, ("the %s said %s orgs were changed as planned, but %d are done"):format(label, n_ok, done))
  end
end

local function apply_orgs(c, before, now, outcome, add, label)
  summary(c, now, outcome, add, label)
  for _, o in ipairs(c.orgs) do
    local v = M.view(c, o)
    local one = { ok = outcome.ok, raised = outcome.raised, stopped = outcome.stopped, killed = outcome.killed,
      message = lines_of(outcome.message, o.id) }
    invariants.check(v, world.of_org(before, o.id), world.of_org(now, o.id), one, function(inv, what)
      add(inv, ("org %s: %s"):format(o.label, what))
    end, label)
  end
end

local function read_only_orgs(c, before, now, outcome, add, label)
  if outcome.raised then add(4, ("the %s raised an error: %s"):format(label, outcome.raised:sub(1, 200))) end
  for id, t in pairs(before) do
    if not world.unchanged(before, now, id) then
      add(3, ("after the %s %s was changed or deleted by a job that reads"):format(label, world.describe(t)))
    end
  end
  for _, t in ipairs(world.added(before, now)) do
    add(3, ("after the %s %s exists, made by a job that reads"):format(label, world.describe(t)))
  end
  if outcome.killed or outcome.stopped or outcome.raised then return end
  for _, o in ipairs(c.orgs) do
    local got, want = result_of(c, o), c.op.expected(c, o)
    if got == nil and not outcome.ok then
      -- the run failed as a whole (before any org: /self, the MSP's orgs) and said so
      got = "failed"
    end
    if got ~= want and got ~= "failed" then
      add(4, ("the %s reported org %s as %s, not %s"):format(label, o.label, short(got), short(want)))
    end
    if got == "failed" and outcome.ok and c.op.via == "cli" then
      add(4, ("the %s exited 0, but org %s failed"):format(label, o.label))
    end
  end
end

-- 7: after the failed run, a failure at a step of the target org.
local function others(c, now, outcome, add, label)
  local step = c.step
  if label ~= "run" or not step or step.on ~= "http" or step.org ~= c.target.label then return end
  if outcome.killed or outcome.stopped or outcome.raised then return end
  for _, o in ipairs(c.orgs) do
    if o ~= c.target then
      if c.op.read_only then
        local got, want = result_of(c, o), c.op.expected(c, o)
        if got ~= want then add(7, ("org %s was reported as %s, not %s"):format(o.label, short(got), short(want))) end
      else
        local why = c.op.per_org.goal(M.view(c, o), world.of_org(now, o.id))
        if why then add(7, ("org %s was not done: %s"):format(o.label, why)) end
      end
    end
  end
  if not outcome.ok and c.op.via == "cli" and not (outcome.message or ""):find(c.target.id, 1, true) then
    add(7, ("the %s failed without naming org %s"):format(label, c.target.label))
  end
end

--- Checks one run across orgs (as invariants.check does one org's).
function M.check(c, before, now, outcome, add, label)
  -- 2: the client's own token (the user's, in no org)
  if c.own and c.S0[c.own] and not world.unchanged(c.S0, now, c.own) then
    add(2, ("after the %s the client's own token %s was %s"):format(label, world.describe(c.S0[c.own]),
      now[c.own] and "changed" or "deleted"))
  end
  -- 3: nothing outside the orgs of the run
  for id, t in pairs(c.S0) do
    if id ~= c.own and not in_orgs(c, t) and not world.unchanged(c.S0, now, id) then
      add(3, ("after the %s %s, in no org of the run, was %s"):format(label, world.describe(t),
        now[id] and "changed" or "deleted"))
    end
  end
  for _, t in ipairs(world.added(c.S0, now)) do
    if not in_orgs(c, t) then add(3, ("after the %s %s exists, in no org of the run"):format(label,
      world.describe(t))) end
  end
  if c.op.read_only then
    read_only_orgs(c, before, now, outcome, add, label)
  else
    apply_orgs(c, before, now, outcome, add, label)
  end
  others(c, now, outcome, add, label)
end

return M
