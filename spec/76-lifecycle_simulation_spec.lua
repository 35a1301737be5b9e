-- The token lifecycle under failure, in the style of a simulation test: every
-- step of every lifecycle operation (library and CLI: rotate, self rotate,
-- keep_old, finish, apply with create, update, replace and prune; the CLI's
-- create and self create; key files replaced in place, a reused key
-- directory; the own-token guard of rotate, apply, delete and self delete;
-- jobs across orgs: apply of one state to several orgs, audit and plan
-- across them, failing at every step of one org among several and of the
-- run itself, support/simulation/fleet_operations.lua)
-- against every failure a deployment meets (a request that never
-- reached the server; one refused; one carried out whose answer was a 5xx, cut,
-- unanswered, timed out, truncated or undecodable; a 404 for a token gone
-- already; a kill right after the step; a store that fails; a key file in the
-- way; a standard output that can't be written; answers the spec allows
-- but that differ from the common case), then the same command again with no
-- failure. After each run the promises of docs/lifecycle.md are checked
-- against the emulator's every token and whole key, the key files, the exit
-- status and the message (support/simulation/invariants.lua; across orgs,
-- each org by itself and the others' results, fleet_invariants.lua).
--
-- The steps are counted from one clean run of each operation (the emulator's
-- request log), so a new request in an operation is a new row by itself; a new
-- failure is a row of support/simulation/failures.lua, a new operation one of
-- operations.lua. Every cell must keep every promise: known_violations.lua is
-- empty (a cell listed there shows as pending, and fails once it no longer
-- breaks exactly the promises listed).
--
-- Lua 5.4 runs every case and checks docs/lifecycle_failures.md against what
-- it saw (`make lifecycle-failures` writes it); LuaJIT and PUC Lua 5.1-5.3
-- (make test's other-Lua step) run every 5th, and every one they run must
-- keep every promise too.
-- SIM_REPORT=1 prints every violation found; SIM_ONLY=TEXT runs only the
-- operations whose name holds TEXT (and checks no page; with SIM_REPORT=1 it
-- prints theirs).
local emu = require "support.emulator"
local shell = require "support.shell"
local matrix = require "support.simulation.matrix"
local known = require "support.simulation.known_violations"
local report = require "support.simulation.report"
local invariants = require "support.simulation.invariants"

local ROOT = os.getenv("PWD") or "."
local DOC = ROOT .. "/docs/lifecycle_failures.md"
local SAMPLE = _VERSION == "Lua 5.4" and not rawget(_G, "jit") and 1 or 5

local function known_entry(one)
  local step, f = one.step.name, one.failure and one.failure.name
  for _, k in ipairs(known) do
    if k.op == one.op.name then
      local s_ok, f_ok = false, false
      for _, s in ipairs(k.steps) do if s == step then s_ok = true end end
      for _, x in ipairs(k.failures) do if x == f then f_ok = true end end
      if s_ok and f_ok then return k end
    end
  end
end

local function inv_set(violations)
  local seen, list = {}, {}
  for _, v in ipairs(violations) do
    if not seen[v.inv] then seen[v.inv] = true; list[#list + 1] = v.inv end
  end
  table.sort(list)
  return list
end

local function texts(violations)
  local out = {}
  for _, v in ipairs(violations) do
    out[#out + 1] = ("  %d %s: %s"):format(v.inv, invariants.NAMES[v.inv], v.what)
  end
  return table.concat(out, "\n")
end

describe("the token lifecycle under simulated failures", function()
  -- The cases are made when the file loads: the steps come from a clean run of
  -- each operation, so the emulator starts here (its watchdog stops it with us).
  local e = emu.start()
  local base = shell.private_dir()
  local own = e:info().bootstrap_token_id
  local cases = matrix.cases(e, base, own, os.getenv("SIM_ONLY"))
  local results, ran, violating = {}, 0, 0

  teardown(function()
    e:stop()
    shell.remove_tree(base)
    io.stderr:write(("\nlifecycle simulation: %d of %d cases run, %d break a promise\n"):format(ran, #cases,
      violating))
    -- a sample, or a filter: no page to compare (SIM_REPORT=1 shows a filter's)
    if ran == #cases and os.getenv("SIM_ONLY") and os.getenv("SIM_REPORT") == "1" then
      io.stderr:write(report.page(cases, results))
    end
    if ran < #cases or os.getenv("SIM_ONLY") then return end
    local page = report.page(cases, results)
    if os.getenv("SIM_WRITE_DOC") == "1" then
      local f = assert(io.open(DOC, "w"))
      f:write(page)
      f:close()
      return
    end
    assert(shell.read_file(DOC) == page,
      "docs/lifecycle_failures.md is stale: what the simulation saw changed; `make lifecycle-failures` writes it")
  end)

  it("counts the steps of each operation from a clean run, and has a case for each step and failure", function()
    if os.getenv("SIM_ONLY") then return pending("SIM_ONLY: some operations") end
    local per_op = {}
    for _, one in ipairs(cases) do per_op[one.op.name] = (per_op[one.op.name] or 0) + 1 end
    -- a rotation: read, list, create, verify, delete, rename
    assert.truthy(per_op["rotate"] > 6 * 8)
    assert.truthy(#cases > 500)
  end)

  for i, one in ipairs(cases) do
    if (i - 1) % SAMPLE == 0 then
      it(one.key, function()
        local r = matrix.run(e, base, own, one)
        if r.skipped then
          pending(r.skipped)
          return
        end
        results[one.key], ran = r, ran + 1
        local invs = inv_set(r.violations)
        if #invs > 0 then violating = violating + 1 end
        if os.getenv("SIM_REPORT") == "1" and #invs > 0 then
          io.stderr:write(one.key, "\n", texts(r.violations), "\n")
        end
        local k = known_entry(one)
        if k then
          assert(table.concat(invs, ",") == table.concat(k.inv, ","), ("known_violations.lua lists %s as"
            .. " breaking promises %s, but it breaks %s; update the list:\n%s"):format(one.key,
            table.concat(k.inv, ","), #invs > 0 and table.concat(invs, ",") or "none", texts(r.violations)))
          pending("known: " .. k.reason .. "\n" .. texts(r.violations))
          return
        end
        assert(#invs == 0, "\n" .. texts(r.violations))
      end)
    end
  end
end)
