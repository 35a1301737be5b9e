--- A plan saved to a file (`mistapi-tokens plan` with `out`), applied later
-- exactly as it was shown, as `terraform apply PLANFILE` does. The file is
-- JSON with a marker field (`mistapi_plan`), so it is told from a desired
-- state by its content, not its name. It holds the desired state the plan
-- was made from, the steps, and a fingerprint of the tokens the plan
-- depends on (each one's id, name, privileges and src_ips, in their
-- canonical forms): no key, not even a masked one.
--
-- To apply it, the desired state is planned again against the org as it is
-- now; the plan is carried out only when that fingerprint and those steps
-- are the saved ones. Otherwise the org changed since the plan was made:
-- `check` says what changed (an error of kind "stale") and nothing is done.
-- @module mistapi.lifecycle.plan_file

local core = require "mistapi.core"
local desired = require "mistapi.lifecycle.desired"
local errors = require "mistapi.errors"
local markers = require "mistapi.lifecycle.markers"
local plan = require "mistapi.lifecycle.plan"
local privileges = require "mistapi.lifecycle.privileges"

local plan_file = {}

plan_file.MARKER = "mistapi_plan"
plan_file.VERSION = 1

local function arr(t)
  return setmetatable(t or {}, core.array_mt)
end

--- A copy of `list` (or an empty one) that JSON writes as an array, even when empty.
local function copy_list(list)
  local out = {}
  for i, v in ipairs(list or {}) do out[i] = v end
  return arr(out)
end
plan_file.array = copy_list

--- The tokens plan `p` depends on, canonical and sorted by id: every managed
-- token (and a rotation's or a create's leftover of a managed name), and
-- every token an entry follows by id.
function plan_file.depends_on(p)
  local state, ids = p.state, {}
  for _, name in ipairs(state.names) do
    local id = state.tokens[name].id
    if id then ids[id] = true end
  end
  local out = {}
  for _, tok in ipairs(p.listed or {}) do
    local id = tostring(tok.id):lower()
    if ids[id] or (type(tok.name) == "string" and plan.is_managed(state, markers.base(tok.name))) then
      out[#out + 1] = { id = id, name = tok.name, privileges = privileges.key(tok.privileges),
        src_ips = privileges.ips_key(tok.src_ips) }
    end
  end
  table.sort(out, function(a, b) return a.id < b.id end)
  return out
end

local function step_key(s)
  local to = s.to or {}
  return table.concat({ s.action, tostring(s.name), tostring(s.id or "-"), tostring(to.name or "-"),
    privileges.key(to.privileges), privileges.ips_key(to.src_ips) }, "|")
end

local function side(x)
  if not x then return nil end
  return { name = x.name, privileges = copy_list(privileges.plain_all(x.privileges)), src_ips = copy_list(x.src_ips) }
end

--- The plan as the document a file holds (no key in it).
-- @param p a plan of mistapi.lifecycle.plan
-- @param org_id the org it was made for
function plan_file.document(p, org_id)
  local state = p.state
  local tokens, managed = {}, {}
  for _, name in ipairs(state.names) do
    local e = state.tokens[name]
    tokens[name] = { privileges = copy_list(privileges.plain_all(e.privileges)), src_ips = copy_list(e.src_ips),
      id = e.id }
  end
  for name in pairs(state.managed) do managed[#managed + 1] = name end
  table.sort(managed)
  local steps = {}
  for i, s in ipairs(p.steps) do
    steps[i] = { action = s.action, name = s.name, id = s.id, changes = s.changes and copy_list(s.changes),
      from = side(s.from), to = side(s.to), canonical = step_key(s) }
  end
  local depends = plan_file.depends_on(p)
  return {
    [plan_file.MARKER] = plan_file.VERSION, org_id = org_id, where = p.where, prune = p.prune,
    desired = { prefix = state.prefix, managed = arr(managed), tokens = tokens },
    depends_on = arr(depends), steps = arr(steps), counts = p.counts, notes = copy_list(p.notes),
  }
end

--- Whether a decoded JSON document is a saved plan (by its marker field).
function plan_file.is_plan(doc)
  return type(doc) == "table" and doc[plan_file.MARKER] ~= nil
end

--- Reads a file and says what it is.
-- @return the decoded document and whether it is a saved plan, or nil and a validation error
function plan_file.read(path)
  local doc, err = desired.read_json(path)
  if not doc then return nil, errors.validation(err) end
  return doc, plan_file.is_plan(doc)
end

--- Checks a saved plan's document before its desired state is planned again.
-- @return true, or nil and a validation error
function plan_file.valid(doc, org_id)
  if doc[plan_file.MARKER] ~= plan_file.VERSION then
    return nil, errors.validation(("a saved plan of version %s: this mistapi reads version %d; make a new plan")
      :format(tostring(doc[plan_file.MARKER]), plan_file.VERSION))
  end
  if type(doc.desired) ~= "table" or type(doc.steps) ~= "table" or type(doc.depends_on) ~= "table" then
    return nil, errors.validation("a saved plan without its desired state, steps or fingerprint; make a new plan")
  end
  if org_id and tostring(doc.org_id):lower() ~= tostring(org_id):lower() then
    return nil, errors.validation(("the plan was made for org %s, not %s"):format(tostring(doc.org_id), org_id))
  end
  return true
end

local function stale(what)
  local e = errors.new("stale", ("the org changed since the plan was made (%s); nothing was changed:"
    .. " make a new plan"):format(table.concat(what, "; ")))
  e.changes = what
  return e
end

local function describe(d)
  return ("%s (%s)"):format(errors.tidy(tostring(d.name)), tostring(d.id))
end

--- Compares a plan made now (of the saved desired state) with the saved one.
-- @param doc the saved plan's document
-- @param fresh the plan made now
-- @return true (fresh is the saved plan: apply it), or nil and an error of kind "stale"
function plan_file.check(doc, fresh)
  local what = {}
  local before, now = {}, {}
  for _, d in ipairs(doc.depends_on) do if type(d) == "table" and d.id then before[d.id] = d end end
  for _, d in ipairs(plan_file.depends_on(fresh)) do
    now[d.id] = d
    local b = before[d.id]
    if not b then
      what[#what + 1] = "token " .. describe(d) .. " is new"
    else
      local changed = {}
      for _, k in ipairs({ "name", "privileges", "src_ips" }) do
        if b[k] ~= d[k] then changed[#changed + 1] = k end
      end
      if #changed > 0 then
        what[#what + 1] = ("token %s changed its %s"):format(describe(b), table.concat(changed, ", "))
      end
    end
  end
  for _, d in ipairs(doc.depends_on) do
    if type(d) == "table" and d.id and not now[d.id] then what[#what + 1] = "token " .. describe(d) .. " is gone" end
  end
  if #what == 0 then
    local same = #doc.steps == #fresh.steps
    for i, s in ipairs(fresh.steps) do
      if not same then break end
      same = type(doc.steps[i]) == "table" and doc.steps[i].canonical == step_key(s)
    end
    if not same then what[1] = "the same desired state now plans other steps" end
  end
  if #what > 0 then return nil, stale(what) end
  return true
end

return plan_file
