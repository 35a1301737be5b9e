-- The simulation's matrix: every step of every operation (its HTTP requests,
-- counted from one clean run and the emulator's request log; its store calls;
-- its key store; its answers) against every failure that applies, and what one
-- case of it finds. See spec/76-lifecycle_simulation_spec.lua.
--   local matrix = require "support.simulation.matrix"
--   local cases = matrix.cases(e, base, own)   -- { { op, step, failure, key }, ... }
--   local result = matrix.run(e, base, own, one)  -- { violations, after, rerun }
local case = require "support.simulation.case"
local failures = require "support.simulation.failures"
local invariants = require "support.simulation.invariants"
local operations = require "support.simulation.operations"
local world = require "support.simulation.world"

local M = {}

local UUID = "%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x"

-- A request's path in words: ids by role ({old}, {own}, {id}; the orgs of a run
-- across orgs {A}, {B}, ...; {msp}), the org's prefix gone.
local function shape(path, c)
  path = path:gsub("^/api/v1/", ""):gsub("^orgs/" .. c.e.org_id:gsub("%-", "%%-") .. "/", "")
  return (path:gsub(UUID, function(id)
    if c.old and id == c.old.id then return "{old}" end
    if id == c.own then return "{own}" end
    for _, o in ipairs(c.orgs or {}) do if id == o.id then return "{" .. o.label .. "}" end end
    if id == c.msp then return "{msp}" end
    return "{id}"
  end))
end

-- The org a request of a run across orgs is for: the org in its path; a GET
-- /self (a new key's verify) is the org of the request before it; nil before
-- any (the run's own: /self, the MSP's orgs).
local function org_of(c, path, last)
  for _, o in ipairs(c.orgs) do
    if path:find("/orgs/" .. o.id, 1, true) then return o end
  end
  if path:find("^/api/v1/self") then return last end
end

-- The log with the orgs' lists read together (the bulk: one GET an org, which
-- arrive in any order) in the order the client gives them, so each request has
-- the same place in every run.
local function in_order(c, log)
  local out, place = {}, {}
  for i, o in ipairs(c.orgs) do place[o] = i end
  local function list_of(entry)
    return entry.method == "GET" and entry.path:find("/apitokens$") and org_of(c, entry.path)
  end
  local first
  for i, entry in ipairs(log) do
    out[i] = entry
    if not first and list_of(entry) then first = i end
  end
  if not first then return out end
  local seen, last = {}, first - 1
  for i = first, #log do
    local o = list_of(log[i])
    if not o or seen[o] then break end
    seen[o], last = true, i
  end
  local bulk = {}
  for i = first, last do bulk[#bulk + 1] = log[i] end
  table.sort(bulk, function(x, y) return place[list_of(x)] < place[list_of(y)] end)
  for k, entry in ipairs(bulk) do out[first + k - 1] = entry end
  return out
end

-- The steps of a run across orgs: the run's own, and every request of its
-- target org (c.target, one among several), named by that org's count.
local function fleet_steps(c, log)
  log = in_order(c, log)
  local steps, last, n = {}, nil, 0
  for i, entry in ipairs(log) do
    local o = org_of(c, entry.path, last)
    if o and entry.path:find("/orgs/", 1, true) then last = o end
    if o == nil or o == c.target then
      local step = { on = "http", global = i, count = #log, method = entry.method, org = o and o.label }
      if o then
        n = n + 1
        -- its own requests counted among the org's alone, the verify's among all
        if entry.path:find("/orgs/", 1, true) then
          local prefix = "/api/v1/orgs/" .. o.id
          local k = 0
          for j = 1, i do if log[j].path:find(prefix, 1, true) then k = k + 1 end end
          step.index, step.path = k, true   -- the org's path, in the case's own org (M.run)
        else
          step.index = i
        end
        step.name = ("%s%d %s %s"):format(o.label, n, entry.method, shape(entry.path, c))
      else
        step.index = i
        step.name = ("%d %s %s"):format(i, entry.method, shape(entry.path, c))
      end
      steps[#steps + 1] = step
    end
  end
  return steps
end

--- The steps of `op`, from one clean run. -> steps, or raises when that run fails
function M.steps(e, base, own, op)
  local c = case.new(e, op, base, own)
  local o = c:run_once({})
  local log = e:log()
  c:cleanup()
  if not o.ok and not op.refusal then error(("the clean run of %s failed: %s"):format(op.name, o.message)) end
  local steps = {}
  if c.orgs then
    steps = fleet_steps(c, log)
  else
    for i, entry in ipairs(log) do
      steps[#steps + 1] = { on = "http", index = i, global = i, count = #log, method = entry.method,
        name = ("%d %s %s"):format(i, entry.method, shape(entry.path, c)) }
    end
  end
  for j, name in ipairs(c.stores) do steps[#steps + 1] = { on = "store", index = j, name = "store " .. name } end
  if op.keystores then steps[#steps + 1] = { on = "keystore", name = "key store" } end
  steps[#steps + 1] = { on = "answer", name = "answers" }
  return steps
end

--- The cases of one operation (with no failure, then each step x each failure that applies), added to `list`.
function M.add_cases(list, e, base, own, op)
  list[#list + 1] = { op = op, step = { on = "none", name = "-" }, key = op.name .. " | - | no failure" }
  for _, step in ipairs(M.steps(e, base, own, op)) do
    for _, f in ipairs(failures.list) do
      if failures.applies(f, op, step) then
        list[#list + 1] = { op = op, step = step, failure = f,
          key = ("%s | %s | %s"):format(op.name, step.name, f.name) }
      end
    end
  end
end

--- Every case, of the operations whose name holds `only` (all when nil).
function M.cases(e, base, own, only)
  local list = {}
  for _, op in ipairs(operations.list) do
    if not only or op.name:find(only, 1, true) then M.add_cases(list, e, base, own, op) end
  end
  return list
end

-- The world after a run in one word: the operation done, nothing changed, or part of it.
local function state(c, before, now)
  if not c.op.goal(c, now) then return "done" end
  if world.same(before, now) then return "unchanged" end
  return "partial"
end

-- Whole keys never leave a case: any that a text quotes become <key>.
local function redact(text, snapshots)
  for _, s in ipairs(snapshots) do
    for _, t in pairs(s) do
      if t.key and #t.key == 64 then
        local at = text:find(t.key, 1, true)
        while at do
          text = text:sub(1, at - 1) .. "<key>" .. text:sub(at + 64)
          at = text:find(t.key, 1, true)
        end
      end
    end
  end
  -- and anything shaped like one (a key of a token made and deleted between snapshots)
  return (text:gsub(("%w"):rep(64), "<key>"))
end

--- Runs one case. -> { violations = { {inv, what} }, after = word, rerun = word }, or
-- { skipped = why } when this machine can't set the failure up (a device node needs root)
function M.run(e, base, own, one)
  local c = case.new(e, one.op, base, own)
  local step = one.step
  if step.path == true then
    -- a request to the target org, counted among that org's: the case's orgs are its own
    step = setmetatable({ path = "/api/v1/orgs/" .. c.target.id }, { __index = one.step })
  end
  c.step = step
  local found = {}
  local function add(inv, what) found[#found + 1] = { inv = inv, what = what } end
  local plan = one.failure and one.failure.arm(c, step) or {}
  if c.skip then
    c:cleanup()
    return { skipped = c.skip, violations = {} }
  end
  c.S0 = c:snapshot()
  c.files0 = {}
  for _, path in ipairs(c.user_files) do c.files0[path] = c:file_state(path) end
  local o1 = c:run_once(plan)
  local s1 = c:snapshot()
  invariants.check(c, c.S0, s1, o1, add, "run")
  local result = { after = state(c, c.S0, s1) }
  local snapshots = { c.S0, s1 }
  local function again(before, label)
    local files = {}
    for _, path in ipairs(c.op.key_paths and c.op.key_paths(c) or {}) do files[path] = c:file_state(path) end
    local o = c:run_once({})
    local now = c:snapshot()
    snapshots[#snapshots + 1] = now
    invariants.check(c, before, now, o, add, label)
    if not world.same(before, now) then
      local a, r, ch = world.delta(before, now)
      add(5, ("the %s after a successful run changed the world: %d added, %d removed, %d changed"):format(
        label, a, r, ch))
    end
    for path, was in pairs(files) do
      if c:file_state(path) ~= was then add(5, ("the %s changed the key file %s"):format(label,
        path:sub(#c.dir + 2))) end
    end
  end
  if o1.ok then
    result.rerun = "-"
    if one.op.again then again(s1, "second run") end
  else
    local o2 = c:run_once({})
    local s2 = c:snapshot()
    snapshots[#snapshots + 1] = s2
    invariants.check(c, s1, s2, o2, add, "re-run")
    local why = one.op.goal(c, s2)
    if not why then
      result.rerun = "done"
      if one.op.again then again(s2, "third run") end
    elseif not o2.ok and invariants.is_decision(o2.message) then
      result.rerun = "asks"
    else
      result.rerun = "stuck"
      add(5, ("the re-run did not converge: %s; it said: %s"):format(why,
        (o2.message or ""):gsub("%s+", " "):sub(1, 160)))
    end
  end
  c:cleanup()
  for _, v in ipairs(found) do v.what = redact(v.what, snapshots) end
  result.violations = found
  return result
end

return M
