-- The emulator's tokens as the simulation sees them: every token, org and
-- user, with its whole key (from the control API, never the emulated API),
-- and the comparisons the invariants make. Keys are compared, never printed:
-- `describe` names a token by name and id only.
--   local world = require "support.simulation.world"
--   local s = world.snapshot(e)   -- id -> { id, name, key, owner, org_id, privileges, src_ips }
--   world.of_org(s, org_id)       -- the org's tokens alone
--   world.same(a, b), world.added(before, now), world.removed(before, now), world.changed(a, b, id)
local M = {}

local function privilege_text(p)
  return ("%s@%s:%s"):format(p.role, p.scope, p.site_id or p.sitegroup_id or "")
end

-- A list's items as sorted text, so two orders of the same set compare equal.
local function set_text(list, fmt)
  local out = {}
  for i, v in ipairs(list or {}) do out[i] = fmt and fmt(v) or tostring(v) end
  table.sort(out)
  return table.concat(out, ",")
end
M.set_text = set_text
M.privilege_text = privilege_text

function M.snapshot(e)
  local s = {}
  for _, t in ipairs(e:all_tokens()) do
    s[t.id] = { id = t.id, name = t.name, key = t.key, owner = t.owner, org_id = t.org_id,
      privileges = set_text(t.privileges, privilege_text), src_ips = set_text(t.src_ips) }
  end
  return s
end

--- The tokens of one org in snapshot `s`.
function M.of_org(s, org_id)
  local out = {}
  for id, t in pairs(s) do if t.org_id == org_id then out[id] = t end end
  return out
end

--- Whether token `id` is the same in both (present in both, no field differs).
function M.unchanged(a, b, id)
  local x, y = a[id], b[id]
  if not x or not y then return false end
  return x.name == y.name and x.key == y.key and x.privileges == y.privileges and x.src_ips == y.src_ips
end

function M.same(a, b)
  for id in pairs(a) do if not M.unchanged(a, b, id) then return false end end
  for id in pairs(b) do if not a[id] then return false end end
  return true
end

--- Tokens of `now` that `before` lacks, sorted by name then id.
function M.added(before, now)
  local out = {}
  for id, t in pairs(now) do if not before[id] then out[#out + 1] = t end end
  table.sort(out, function(x, y) return x.name == y.name and x.id < y.id or x.name < y.name end)
  return out
end

function M.removed(before, now)
  return M.added(now, before)
end

--- The tokens named `name`.
function M.named(s, name)
  local out = {}
  for _, t in pairs(s) do if t.name == name then out[#out + 1] = t end end
  return out
end

--- A token for a message: name and id, never the key.
function M.describe(t)
  return ("%q (%s)"):format(tostring(t.name), t.id)
end

--- The world in a few words against `before`: how many tokens were added,
-- removed and changed.
function M.delta(before, now)
  local changed = 0
  for id in pairs(before) do if now[id] and not M.unchanged(before, now, id) then changed = changed + 1 end end
  return #M.added(before, now), #M.removed(before, now), changed
end

return M
