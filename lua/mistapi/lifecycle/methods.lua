--- The lifecycle methods of the token resources: rotate, finish, audit, plan
-- and apply on `client:orgs_api_tokens()`, rotate and finish on the caller's
-- own tokens (`client:self_api_tokens()`). `mistapi.resource` calls `extend`
-- with a class whose row names this module. Arguments are checked (UUIDs
-- give `nil, err`, wrong types raise) before anything is sent.
-- @module mistapi.lifecycle.methods

-- Every program that uses the token resources builds their class with these
-- methods; the lifecycle itself (some 75 KB of Lua) loads on its first call.
local function lib(name) return require("mistapi.lifecycle." .. name) end

local methods = {}

-- The target of the org's tokens, once org_id (and id) are known good.
local function org_target(r, org_id, id)
  local ok, err
  if id ~= nil then ok, err = r:path_of(r.ops.get, org_id, id) else ok, err = r:path_of(r.ops.list, org_id) end
  if not ok then return nil, err end
  return lib("target").of(r, org_id)
end

local function self_target(r, id)
  local ok, err = r:path_of(r.ops.get, id)
  if not ok then return nil, err end
  return lib("target").of(r)
end

local ORG = {}

--- Rotates an org token: see docs/lifecycle.md and mistapi.lifecycle.rotate.
function ORG:rotate_org_api_token(org_id, apitoken_id, opts)
  local t, err = org_target(self, org_id, apitoken_id)
  if not t then return nil, err end
  return lib("rotate").run(t, apitoken_id, opts)
end

--- Deletes a token a rotation kept (opts.keep_old), once its replacement exists.
function ORG:finish_org_api_token_rotation(org_id, apitoken_id, opts)
  local t, err = org_target(self, org_id, apitoken_id)
  if not t then return nil, err end
  return lib("rotate").finish(t, apitoken_id, opts)
end

--- Audits the org's tokens: { findings = { {token_id, name, rule, severity, detail, advice} }, notes }.
function ORG:audit_org_api_tokens(org_id, opts)
  local t, err = org_target(self, org_id)
  if not t then return nil, err end
  return lib("audit").run(t, opts)
end

--- The steps that bring the org's tokens to `desired` (a table or a JSON file).
function ORG:plan_org_api_tokens(org_id, desired, opts)
  local t, err = org_target(self, org_id)
  if not t then return nil, err end
  return lib("plan").make(t, desired, opts)
end

--- Carries out a plan, or plans `desired` and carries it out.
function ORG:apply_org_api_tokens(org_id, plan_or_desired, opts)
  local t, err = org_target(self, org_id)
  if not t then return nil, err end
  return lib("apply").run(t, plan_or_desired, opts)
end

--- Audits the tokens of many orgs at once: their lists read through the bulk
-- machinery; one outcome an org, `{ org_id, result }` or `{ org_id, err }`.
function ORG:audit_orgs_api_tokens(org_ids, opts)
  return lib("fleet").audit(self, org_ids, opts)
end

--- Plans one desired state for many orgs at once; one outcome an org.
function ORG:plan_orgs_api_tokens(org_ids, desired, opts)
  return lib("fleet").plan(self, org_ids, desired, opts)
end

--- Carries out one desired state (or a plan an org) in many orgs at once:
-- `concurrency` orgs at a time, each org's apply whole; one outcome an org.
function ORG:apply_orgs_api_tokens(org_ids, desired_or_plans, opts)
  return lib("fleet").apply(self, org_ids, desired_or_plans, opts)
end

local SELF = {}

--- Rotates one of the caller's own tokens (create, store, verify, delete).
function SELF:rotate_api_token(apitoken_id, opts)
  local t, err = self_target(self, apitoken_id)
  if not t then return nil, err end
  return lib("rotate").run(t, apitoken_id, opts)
end

--- Deletes one of the caller's own tokens that a rotation kept.
function SELF:finish_api_token_rotation(apitoken_id, opts)
  local t, err = self_target(self, apitoken_id)
  if not t then return nil, err end
  return lib("rotate").finish(t, apitoken_id, opts)
end

local SETS = { org = ORG, self = SELF }

local USAGE = {
  org = {
    "%s:rotate_org_api_token(org_id, id, { store = function(key, token, name) ... end [, keep_old, load] })",
    "%s:finish_org_api_token_rotation(org_id, old_id)",
    "%s:audit_org_api_tokens(org_id [, { stale_days = 90, max_age_days = 365 }])   -- res.findings",
    "%s:plan_org_api_tokens(org_id, desired_table_or_json_file [, { prune = true }])",
    "%s:apply_org_api_tokens(org_id, plan_or_desired, { store = function(key, token, name) ... end })",
    "%s:audit_orgs_api_tokens(org_ids [, { concurrency = 8, on_org = fn }])   -- an outcome an org",
    "%s:plan_orgs_api_tokens(org_ids, desired [, { concurrency = 8, on_org = fn }])   -- an outcome an org",
    "%s:apply_orgs_api_tokens(org_ids, desired_or_plans, { org_opts = fn(org_id) -> { store = ... } })",
  },
  self = {
    "%s:rotate_api_token(id, { store = function(key, token, name) ... end [, keep_old, load] })",
    "%s:finish_api_token_rotation(old_id)",
  },
}

--- A line of usage for each method of `set`, called on a value named `var`.
function methods.usage(set, var)
  local out = {}
  for i, line in ipairs(USAGE[set] or {}) do out[i] = line:format(var) end
  return out
end

--- Adds the methods of `set` ("org" or "self") to a resource class.
function methods.extend(class, set)
  for name, fn in pairs(SETS[set] or error("lifecycle: no method set " .. tostring(set), 2)) do
    class[name] = function(self, ...)
      if getmetatable(self) ~= class then
        error(name .. ": call it with a colon, as " .. class.row.var .. ":" .. name .. "(...)", 2)
      end
      return fn(self, ...)
    end
  end
  return class
end

return methods
