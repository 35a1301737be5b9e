-- The lifecycle's promises (docs/lifecycle.md), as checks of one run: the
-- world before and after it (snapshots), what the run said, and what the user
-- holds. Each failed check is a violation { inv = n, what = text }; texts name
-- tokens by name and id, never by key.
--   1 no orphan key      every token the case made is gone, or its whole key is held
--   2 never locked out   the client's own token is never deleted or changed
--   3 only the managed set   nothing else is created, changed or deleted
--   4 the truth is told  success only when done; "nothing was changed" only when so...
--   5 convergence        (the driver: a re-run finishes or says what to decide;
--                        a successful run repeated changes nothing)
--   6 nothing of the user's destroyed   the user's files are as they were
--   7 the others' results   (jobs across orgs: fleet_invariants.lua)
local shell = require "support.shell"
local world = require "support.simulation.world"

local M = {}

M.NAMES = {
  "no orphan key", "never locked out", "only the managed set", "the truth is told", "convergence",
  "nothing of the user's destroyed", "the others' results",
}

-- What a failure message claims, and how to check it against the world.
-- check(c, before, now, msg) -> nil, or what contradicts the claim
local function made_after(c, before, now, msg)
  local name = msg:match("apply: %a+ ([^:%s]+):") or c.final
  if not name then return nil end
  for _, t in ipairs(world.added(before, now)) do
    if t.name == name or t.name:sub(1, #name + 14) == name .. " [rotation of " then
      return world.describe(t) .. " exists"
    end
  end
end

-- An apply's message lists what it did before the step that failed ("done
-- before it: ..."); its "nothing was changed" is then about that step's token.
local function step_unchanged(c, before, now, msg)
  local made = made_after(c, before, now, msg)
  if made then return made end
  local name = msg:match("apply: %a+ ([^:%s]+):")
  for id, t in pairs(before) do
    if t.name == name and not world.unchanged(before, now, id) then
      return world.describe(t) .. " was changed or deleted"
    end
  end
end

local CLAIMS = {
  { "nothing was changed", function(c, before, now, msg)
    if msg:find("done before it:", 1, true) then return step_unchanged(c, before, now, msg) end
    if not world.same(before, now) then
      local a, r, ch = world.delta(before, now)
      return ("%d tokens added, %d removed, %d changed"):format(a, r, ch)
    end
  end },
  { "old one is untouched", function(c, before, now)
    if c.old and before[c.old.id] and not world.unchanged(before, now, c.old.id) then
      return "the old token " .. world.describe(before[c.old.id]) .. " was changed or deleted"
    end
  end },
  { "old token is untouched", function(c, before, now)
    if c.old and before[c.old.id] and not world.unchanged(before, now, c.old.id) then
      return "the old token " .. world.describe(before[c.old.id]) .. " was changed or deleted"
    end
  end },
  { "the new token was deleted", made_after },
  { "no token was made", made_after },
  { "both tokens work", function(c, _, now)
    if c.old and not now[c.old.id] then return "the old token is gone" end
  end },
  { "both tokens still work", function(c, _, now)
    if c.old and not now[c.old.id] then return "the old token is gone" end
  end },
  { "keeps the name", function(_, _, now, msg)
    local id, name = msg:match("new token ([%x%-]+) keeps the name \"(.-)\"")
    if id and now[id] and now[id].name ~= name then return ("it is named %q"):format(now[id].name) end
  end },
  { "could not be deleted", function(_, _, now, msg)
    local id = msg:match("token ([%x%-]+) could not be deleted")
    if id and not now[id] then return "token " .. id .. " is gone" end
  end },
}

--- Checks one run. `label` says which ("run", "re-run", "third run").
-- @param add function(inv, what)
function M.check(c, before, now, outcome, add, label)
  local op = c.op
  if op.check then return op.check(c, before, now, outcome, add, label) end   -- a job across orgs
  -- 1: every token made since the case began is held by the user (a run killed
  -- between a create's answer and its store can't have stored the key: the
  -- promise is then on the re-run)
  for _, t in ipairs(outcome.stopped and {} or world.added(c.S0, now)) do
    if not c:holds(t.key) then add(1, ("after the %s %s exists and nobody holds its key"):format(label,
      world.describe(t))) end
  end
  -- 2: the client's own token
  if c.own and c.S0[c.own] and not world.unchanged(c.S0, now, c.own) then
    add(2, ("after the %s the client's own token %s was %s"):format(label, world.describe(c.S0[c.own]),
      now[c.own] and "changed" or "deleted"))
  end
  -- 3: only the managed set
  for id, t in pairs(c.S0) do
    if id ~= c.own and not op.touches(c, t) and not world.unchanged(c.S0, now, id) then
      add(3, ("after the %s %s, which it does not manage, was %s"):format(label, world.describe(t),
        now[id] and "changed" or "deleted"))
    end
  end
  for _, t in ipairs(world.added(c.S0, now)) do
    if not op.may_create(c, t.name) then
      add(3, ("after the %s %s exists, a name it does not manage"):format(label, world.describe(t)))
    end
  end
  -- 4: what the run said
  if outcome.raised then
    add(4, ("the %s raised an error: %s"):format(label, outcome.raised:sub(1, 200)))
  elseif outcome.ok then
    local why = op.goal(c, now)
    if why then add(4, ("the %s reported success, but %s"):format(label, why)) end
  elseif not outcome.stopped and not outcome.killed then
    local msg = outcome.message or ""
    for _, claim in ipairs(CLAIMS) do
      if msg:find(claim[1], 1, true) then
        local wrong = claim[2](c, before, now, msg)
        if wrong then add(4, ("the %s said %q, but %s"):format(label, claim[1], wrong)) end
      end
    end
  end
  -- 6: a key file replaced in place keeps the old key while its token lives (in the
  -- file itself, or at PATH.prev once the new key took its place), and a run that
  -- says it succeeded leaves no staged PATH.new behind
  local ip = c.in_place_key
  if ip and now[ip.old.id] then
    local here, prev = shell.try_read(ip.path) or "", shell.try_read(ip.path .. ".prev") or ""
    if not here:find(ip.old.key, 1, true) and not prev:find(ip.old.key, 1, true) then
      add(6, ("after the %s %s lives, but its key is in neither %s nor its .prev"):format(label,
        world.describe(now[ip.old.id]), ip.path:sub(#c.dir + 2)))
    end
  end
  if ip and outcome.ok and shell.try_read(ip.path .. ".new") then
    add(4, ("the %s reported success, but %s.new is left"):format(label, ip.path:sub(#c.dir + 2)))
  end
  -- 6: the user's files
  for path, was in pairs(c.files0) do
    local is = c:file_state(path)
    if is ~= was then
      add(6, ("after the %s the user's %s is %s (was %s)"):format(label, path:sub(#c.dir + 2),
        is:match("^[^:]*"), was:match("^[^:]*")))
    end
  end
end

-- A message that tells the user what to decide: a re-run that stops with one converged.
local DECISIONS = { "restart", "by hand", "not overwriting", "allow_self", "allow-self", "no such directory",
  "cannot create", "exists" }

function M.is_decision(msg)
  for _, d in ipairs(DECISIONS) do
    if (msg or ""):find(d, 1, true) then return true end
  end
  return false
end

return M
