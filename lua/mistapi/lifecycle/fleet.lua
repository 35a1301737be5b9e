--- Jobs across orgs: the token lists of many orgs read together through the
-- bulk machinery (the first page of every org as one bulk call, then the
-- further pages of the orgs that have more), and audit or plan run on each
-- org's list; apply runs the orgs' applies side by side (mistapi.interleave).
-- A failure in one org is that org's outcome; the others go on.
-- @module mistapi.lifecycle.fleet

local bulk = require "mistapi.bulk"
local errors = require "mistapi.errors"
local pager = require "mistapi.pager"
local target = require "mistapi.lifecycle.target"

local fleet = {}

local PAGE = pager.MAX_LIMIT

-- Options of the fleet itself; the rest go to audit or plan.
local OWN = { concurrency = true, on_org = true, on_list = true, org_opts = true }

local function split(opts, what)
  if opts ~= nil and type(opts) ~= "table" then error(what .. ": opts must be a table", 4) end
  local own, rest = {}, {}
  for k, v in pairs(opts or {}) do
    if OWN[k] then own[k] = v else rest[k] = v end
  end
  if own.on_org ~= nil and type(own.on_org) ~= "function" then error(what .. ": opts.on_org must be a function", 4) end
  if own.on_list ~= nil and type(own.on_list) ~= "function" then
    error(what .. ": opts.on_list must be a function", 4)
  end
  if own.org_opts ~= nil and type(own.org_opts) ~= "function" then
    error(what .. ": opts.org_opts must be a function", 4)
  end
  own.bulk = bulk.check_options({ concurrency = own.concurrency }, 4)
  return own, rest
end

local function check_ids(org_ids, what)
  if type(org_ids) ~= "table" then error(what .. ": org_ids must be an array of org ids", 4) end
  for i, id in ipairs(org_ids) do
    if type(id) ~= "string" then error(("%s: org_ids[%d] must be a string"):format(what, i), 4) end
  end
end

--- The token lists of `org_ids`: `{ [i] = { org_id, tokens = array } | { org_id, err } }`
-- in the order given. The first page of every org goes out as one bulk call;
-- an org whose answer says more remain is walked on from page 2.
-- @param r the org tokens resource (`client:orgs_api_tokens()`)
-- @param org_ids array of org ids
-- @param opts { concurrency, on_list = function(i, outcome) (each org once, as its list is complete) }
function fleet.lists(r, org_ids, opts)
  local out, reqs, at = {}, {}, {}
  local op = r.ops.list
  local function finish(i, outcome)
    out[i] = outcome
    if opts.on_list then opts.on_list(i, outcome) end
  end
  for i, org_id in ipairs(org_ids) do
    local path, err = r:path_of(op, org_id)
    if not path then
      finish(i, { org_id = org_id, err = err })
    else
      reqs[#reqs + 1] = { method = "GET", path = path .. pager.query(PAGE, 1), max_items = PAGE }
      at[#reqs] = i
    end
  end
  local more = {}
  local items = #reqs > 0 and bulk.run(r.pipeline, reqs, op, opts.bulk) or {}
  for n, item in ipairs(items) do
    local i = at[n]
    if errors.is_error(item) then
      finish(i, { org_id = org_ids[i], err = item })
    else
      local data = item.data
      local list, rest, hostile = data, nil, nil
      if type(data) == "table" and data[1] == nil and type(data.results) == "table" then
        list, rest = data.results, data.next ~= nil and data.next ~= false and #data.results > 0
      else
        local ok, total, per = pager.paging_headers(item.headers or {})
        if ok then
          rest = total ~= nil and #list > 0 and (per or PAGE) < total
        else
          hostile = total   -- why: a list that can't say whether more remain is no whole list
        end
      end
      if hostile then
        finish(i, { org_id = org_ids[i], err = errors.new("decode", hostile,
          { method = "GET", path = reqs[n].path, status = item.status }) })
      elseif rest then
        more[#more + 1] = { i = i, first = list }
      else
        finish(i, { org_id = org_ids[i], tokens = list })
      end
    end
  end
  -- the rest, org by org: the pager's own checks (hostile headers, links, bounds)
  for _, m in ipairs(more) do
    local org_id = org_ids[m.i]
    local res, err = pager.collect(r:walk(org_id, { limit = PAGE, page = 2 }))
    if not res then
      finish(m.i, { org_id = org_id, err = err })
    else
      local all = m.first
      for _, t in ipairs(res.data) do all[#all + 1] = t end
      finish(m.i, { org_id = org_id, tokens = all })
    end
  end
  return out
end

-- A target of the org whose first list is the one already read.
local function target_with(r, org_id, tokens)
  local t = target.of(r, org_id)
  local list = t.ops.list
  local first = tokens
  t.ops.list = function()
    if first then
      local data = first
      first = nil
      return { data = data }
    end
    return list()
  end
  return t
end

-- Runs `job(target, org_id)` on every org's list. -> the outcomes, as fleet.lists
-- gives them, each with the job's `result` or its `err`.
local function run(r, org_ids, own, job)
  local outcomes = {}
  local function on_list(i, o)
    if o.tokens then
      local res, err = job(target_with(r, o.org_id, o.tokens), o.org_id)
      outcomes[i] = { org_id = o.org_id, result = res, err = err, tokens = #o.tokens }
    else
      outcomes[i] = { org_id = o.org_id, err = o.err }
    end
    if own.on_org then own.on_org(outcomes[i], i) end
  end
  fleet.lists(r, org_ids, { bulk = own.bulk, on_list = on_list })
  return outcomes
end

--- Audits the tokens of many orgs (see mistapi.lifecycle.audit).
-- @param r the org tokens resource
-- @param org_ids array of org ids
-- @param opts audit's options, and `concurrency` (the bulk's), `on_org` (called
--   with each org's outcome as it is done)
-- @return an array in the order of org_ids: `{ org_id, result = <audit result> }` or `{ org_id, err }`
function fleet.audit(r, org_ids, opts)
  check_ids(org_ids, "audit_orgs_api_tokens")
  local own, rest = split(opts, "audit_orgs_api_tokens")
  local audit = require "mistapi.lifecycle.audit"
  return run(r, org_ids, own, function(t) return audit.run(t, rest) end)
end

--- Plans one desired state for many orgs (see mistapi.lifecycle.plan). The
-- state (a table or a JSON file) is read and checked once, before anything
-- is sent: a wrong one is no org's failure.
-- @return an array in the order of org_ids: `{ org_id, result = <plan> }` or
--   `{ org_id, err }`; or nil and the error of the desired state
function fleet.plan(r, org_ids, source, opts)
  check_ids(org_ids, "plan_orgs_api_tokens")
  local own, rest = split(opts, "plan_orgs_api_tokens")
  local desired = require "mistapi.lifecycle.desired"
  local doc = source
  if type(source) == "string" then
    local err
    doc, err = desired.read_json(source)
    if not doc then return nil, errors.validation("desired state: " .. err) end
  end
  local ok, err = desired.load(doc)
  if not ok then return nil, err end
  local plan = require "mistapi.lifecycle.plan"
  return run(r, org_ids, own, function(t) return plan.make(t, doc, rest) end)
end

-- The plans of apply across orgs: `source` is an array of plans (one an
-- org) or a desired state planned here for every org (the lists read as
-- fleet.plan reads them). -> plans (nil for an org whose plan failed) and
-- the outcomes of the orgs without one; or nil and the desired state's error
local function plans_for(r, org_ids, source, own, rest)
  local plan = require "mistapi.lifecycle.plan"
  local plans, failed = {}, {}
  if type(source) == "table" and source[1] ~= nil then
    for i, org_id in ipairs(org_ids) do
      if not plan.is_plan(source[i]) then
        error(("apply_orgs_api_tokens: plans[%d] must be a plan (one for each org)"):format(i), 4)
      end
      local ok, err = r:path_of(r.ops.list, org_id)
      if ok then plans[i] = source[i] else failed[i] = { org_id = org_id, err = err } end
    end
    return plans, failed
  end
  local outcomes, err = fleet.plan(r, org_ids, source, { concurrency = own.bulk.concurrency,
    prune = rest.prune, prefix = rest.prefix, managed = rest.managed })
  if not outcomes then return nil, err end
  for i, o in ipairs(outcomes) do
    if o.err then failed[i] = o else plans[i] = o.result end
  end
  return plans, failed
end

--- Carries out one desired state (or a plan an org) in many orgs at once:
-- each org's apply (mistapi.lifecycle.apply, every promise of it in that
-- org, its steps in their order) runs in a coroutine, `concurrency` orgs at
-- a time, and the calls they make meanwhile go out together through the
-- bulk machinery (mistapi.interleave). A failure in one org is that org's
-- outcome; the others go on.
-- @param r the org tokens resource
-- @param org_ids array of org ids
-- @param source a desired state (a table or a JSON file: planned for every
--   org first, with opts' prune, prefix, managed) or an array of plans, one
--   for each org of org_ids
-- @param opts apply's options for every org, and `concurrency`, `org_opts =
--   function(org_id, i, plan)` (apply options of that org, over the common
--   ones: its key store), `on_org = function(outcome, i)` (each org as it ends)
-- @return an array in the order of org_ids: `{ org_id, result = <apply's
--   result> }` or `{ org_id, err }`; or nil and the error of the desired state
function fleet.apply(r, org_ids, source, opts)
  check_ids(org_ids, "apply_orgs_api_tokens")
  local own, rest = split(opts, "apply_orgs_api_tokens")
  local plans, failed = plans_for(r, org_ids, source, own, rest)
  if not plans then return nil, failed end
  local apply = require "mistapi.lifecycle.apply"
  local interleave = require "mistapi.interleave"
  local outcomes, todo = {}, {}
  local function ended(i, o)
    outcomes[i] = o
    if own.on_org then own.on_org(o, i) end
  end
  for i in ipairs(org_ids) do
    if failed[i] then ended(i, failed[i]) else todo[#todo + 1] = i end
  end
  interleave.run(r.client, #todo, own.bulk.concurrency, function(k)
    local i = todo[k]
    local org_id = org_ids[i]
    local o = {}
    for name, v in pairs(rest) do o[name] = v end
    for name, v in pairs(own.org_opts and own.org_opts(org_id, i, plans[i]) or {}) do o[name] = v end
    return apply.run(target.of(r, org_id), plans[i], o)
  end, function(k, res, err)
    local i = todo[k]
    ended(i, { org_id = org_ids[i], result = res, err = not res and err or nil })
  end)
  return outcomes
end

return fleet
