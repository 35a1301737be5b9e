--- The steps that bring an org's tokens to a desired state (see
-- mistapi.lifecycle.desired): create what is missing, update in place what
-- differs in name or privileges, replace (a rotation) what differs in src_ips,
-- which Mist never changes on a token, and, with `prune`, delete managed
-- tokens the state doesn't name. A token is managed when the state names it,
-- its name starts with the prefix, or it is listed in `managed`; no other is
-- ever touched. Steps are in the order apply carries them out: creates,
-- updates, replaces, deletes.
-- @module mistapi.lifecycle.plan

local desired = require "mistapi.lifecycle.desired"
local errors = require "mistapi.errors"
local markers = require "mistapi.lifecycle.markers"
local privileges = require "mistapi.lifecycle.privileges"

local plan = {}

local Plan = { __name = "mistapi.Plan" }
Plan.__index = Plan
plan.mt = Plan

plan.ORDER = { "create", "update", "replace", "delete" }

--- Whether `v` is a plan this module made.
function plan.is_plan(v)
  return getmetatable(v) == Plan
end

--- Whether a token named `name` is managed by the desired state `state`.
local function is_managed(state, name)
  if type(name) ~= "string" or markers.is_marked(name) then return false end
  if state.tokens[name] or state.managed[name] then return true end
  return state.prefix ~= nil and name:sub(1, #state.prefix) == state.prefix
end

plan.is_managed = is_managed

local function check_opts(opts)
  if opts == nil then return {} end
  if type(opts) ~= "table" then error("plan: opts must be a table", 4) end
  if opts.prefix ~= nil and (type(opts.prefix) ~= "string" or opts.prefix == "") then
    error("plan: opts.prefix must be a non-empty string", 4)
  end
  if opts.managed ~= nil and type(opts.managed) ~= "table" then error("plan: opts.managed must be a list", 4) end
  return opts
end

-- The current token for a desired entry: by id when the entry gives one, else by name.
local function match(entry, by_id, by_name)
  if entry.id then return by_id[entry.id] end
  local found = by_name[entry.name]
  if found and #found > 1 then
    local ids = {}
    for i, t in ipairs(found) do ids[i] = t.id end
    return nil, errors.validation(("plan: %d tokens of the org are named %q (%s): give the entry an id,"
      .. " or delete the extra ones"):format(#found, entry.name, table.concat(ids, ", ")))
  end
  return found and found[1]
end

local function step_for(entry, current, t)
  local to = { name = entry.name, privileges = entry.privileges, src_ips = entry.src_ips }
  if not current then return { action = "create", name = entry.name, to = to } end
  local from = { name = current.name, privileges = current.privileges, src_ips = current.src_ips or {} }
  local s = { name = entry.name, id = current.id, from = from, to = to, changes = {}, own = t:is_own(current),
    shown = current.key }
  if not privileges.same_ips(from.src_ips, to.src_ips) then
    s.action = "replace"
    s.changes[1] = "src_ips"
  end
  if from.name ~= to.name then s.changes[#s.changes + 1] = "name" end
  if not privileges.same(from.privileges, to.privileges) then s.changes[#s.changes + 1] = "privileges" end
  if s.action then return s end
  if #s.changes == 0 then return nil end
  s.action = "update"
  return s
end

--- Compares the desired state with the tokens of target `t`.
-- @param t a mistapi.lifecycle.target
-- @param source a desired state (table or JSON file path)
-- @param opts { prune = false, prefix =, managed = { names } } (these two
--   override the state's own)
-- @return a plan { steps = { { action, name, id, from, to, changes, own, shown
--   (the masked key), pending (a create's unfinished tokens) } },
--   counts = { create =, update =, replace =, delete = }, notes = { text },
--   unpruned = { tokens } }, or nil and an error
function plan.make(t, source, opts)
  opts = check_opts(opts)
  local state, err = desired.load(source)
  if not state then return nil, err end
  if opts.prefix then state.prefix = opts.prefix end
  for _, n in ipairs(opts.managed or {}) do state.managed[n] = true end
  local list, lerr = t:list()
  if not list then return nil, lerr end
  local by_id, by_name = {}, {}
  for _, tok in ipairs(list) do
    by_id[tostring(tok.id):lower()] = tok
    if not markers.is_marked(tok.name) then
      local same = by_name[tok.name] or {}
      same[#same + 1] = tok
      by_name[tok.name] = same
    end
  end
  local p = setmetatable({ where = t.where, steps = {}, notes = {}, unpruned = {}, prune = opts.prune == true,
    counts = { create = 0, update = 0, replace = 0, delete = 0 } }, Plan)
  local claimed, by_action = {}, { create = {}, update = {}, replace = {}, delete = {} }
  for _, name in ipairs(state.names) do
    local entry = state.tokens[name]
    local current, merr = match(entry, by_id, by_name)
    if merr then return nil, merr end
    if entry.id and not current then
      p.notes[#p.notes + 1] = ("%s: no token has id %s; it will be created"):format(name, entry.id)
    end
    if current then claimed[current.id] = true end
    local s = step_for(entry, current, t)
    if s then table.insert(by_action[s.action], s) end
  end
  local creating = {}
  for _, s in ipairs(by_action.create) do creating[markers.creating(s.name)] = s end
  -- a replace stopped after its old token went leaves only its new token: apply finishes that rotation
  for _, tok in ipairs(list) do
    local kind, _, of = markers.parse(tok.name)
    if kind == "rotation" and not by_id[of:lower()] then
      for _, s in ipairs(by_action.create) do
        if tok.name == markers.rotation(s.name, of) then creating[tok.name] = s end
      end
    end
  end
  for _, tok in ipairs(list) do
    if not claimed[tok.id] and is_managed(state, tok.name) then
      if p.prune then
        table.insert(by_action.delete, { action = "delete", name = tok.name, id = tok.id, own = t:is_own(tok),
          shown = tok.key, from = { name = tok.name, privileges = tok.privileges, src_ips = tok.src_ips or {} } })
      else
        p.unpruned[#p.unpruned + 1] = tok
      end
    elseif markers.is_marked(tok.name) then
      local s = creating[tok.name]
      if s then
        -- an earlier apply stopped half-way through this create: apply finishes it (or restarts it)
        s.pending = s.pending or {}
        s.pending[#s.pending + 1] = tok
        p.notes[#p.notes + 1] = ("%s (%s) is an unfinished create: apply finishes it with its stored key,"
          .. " or deletes it with restart"):format(errors.tidy(tok.name), tok.id)
      else
        p.notes[#p.notes + 1] = ("%s (%s) is left by a rotation: it is not planned here"):format(
          errors.tidy(tok.name), tok.id)
      end
    end
  end
  for _, action in ipairs(plan.ORDER) do
    for _, s in ipairs(by_action[action]) do
      p.steps[#p.steps + 1] = s
      p.counts[action] = p.counts[action] + 1
      if s.own and (action == "replace" or action == "delete") then
        p.notes[#p.notes + 1] = ("%s is the token this client calls with: apply needs allow_self to %s it")
          :format(s.name, action)
      end
    end
  end
  for _, tok in ipairs(p.unpruned) do
    p.notes[#p.notes + 1] = ("%s (%s) is managed but not in the desired state; prune would delete it"):format(
      errors.tidy(tok.name), tok.id)
  end
  -- what a saved plan (mistapi.lifecycle.plan_file) checks again before it is applied
  p.state, p.listed = state, list
  return p
end

--- Whether the plan changes nothing.
function Plan:is_empty()
  return #self.steps == 0
end

function Plan:__tostring()
  return require("mistapi.lifecycle.plan_text").render(self)
end

return plan
