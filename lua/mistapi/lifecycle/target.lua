--- What the lifecycle code works on: one collection of API tokens (an org's,
-- or the caller's own) behind a small interface, so rotate, audit, plan and
-- apply don't care which. Each method returns data or `nil, err`.
--   t.kind            "org" or "self"
--   t.client          the client (settings, transport, pipeline)
--   t.has_privileges  whether tokens carry privileges and src_ips (org tokens do)
--   t:list(), t:get(id), t:create(body), t:update(id, body), t:delete(id)
--   t:check(body)     true, or nil and the validation error a create would give
--   t:is_own(token)   whether `token` is one this client itself calls with
-- @module mistapi.lifecycle.target

local display = require "mistapi.display"
local pager = require "mistapi.pager"
local is_masked = require("mistapi.text").is_masked

local Target = {}
Target.__index = Target

local target = {}

local function data_of(res, err)
  if not res then return nil, err end
  return res.data == nil and true or res.data
end

--- A target from functions (each returning a result or nil, err).
-- @param spec { kind, client, has_privileges, list, get, create, update, delete, where }
function target.new(spec)
  return setmetatable(spec, Target)
end

function Target:list() return data_of(self.ops.list()) end
function Target:get(id) return data_of(self.ops.get(id)) end
function Target:create(body) return data_of(self.ops.create(body)) end
function Target:update(id, body) return data_of(self.ops.update(id, body)) end
function Target:delete(id) return data_of(self.ops.delete(id)) end

--- Whether `body` would pass a create's checks (so that nothing is sent for one that won't).
function Target:check(body)
  if not self.ops.check then return true end
  return self.ops.check(body)
end

--- The request body of a token: a name, and for org tokens privileges and src_ips.
function Target:body(name, privileges, src_ips)
  if not self.has_privileges then return { name = name } end
  local body = { name = name, privileges = privileges }
  if src_ips and #src_ips > 0 then body.src_ips = src_ips end
  return body
end

-- Servers show a token's key as `abcd...wxyz`; the client's own keys masked
-- the same way recognise its own token without comparing a whole key.
function Target:is_own(token)
  local shown = type(token) == "table" and token.key
  if not is_masked(shown) then return false end
  for _, key in ipairs(self.client.settings.tokens) do
    if display.mask(key) == shown then return true end
  end
  return false
end

--- After the client's own token was rotated away: the client goes on with
-- the new key in its place (the old one no longer opens anything).
function Target:adopt(old, key)
  local settings, pipeline = self.client.settings, self.client.pipeline
  for i, k in ipairs(settings.tokens) do
    if display.mask(k) == old.key then
      settings.tokens[i] = key
      for h in pairs(pipeline.header_cache) do pipeline.header_cache[h] = nil end
    end
  end
end

-- A result whose data is the whole list, every page (the resource's own walk).
local function list_all(r, parent)
  if parent then return pager.collect(r:walk(parent)) end
  return pager.collect(r:walk())
end

--- The tokens of a resource built by mistapi.resource (its `ops` rows):
-- `client:orgs_api_tokens()` with the org's id as `parent`, or the caller's
-- own tokens (`client:self_api_tokens()`) with no parent.
function target.of(r, parent)
  local ops = r.ops
  local function op(role)
    local o = ops[role]
    if parent then
      return function(...) return r[o.name](r, parent, ...) end
    end
    return function(...) return r[o.name](r, ...) end
  end
  return target.new {
    kind = parent and "org" or "self", client = r.client, org_id = parent,
    has_privileges = r.model and r.model.name == "org_apitoken" or false,
    where = parent and ("org " .. parent) or "your own API tokens",
    ops = {
      list = function() return list_all(r, parent) end,
      get = op("get"), create = op("create"), update = op("update"), delete = op("delete"),
      check = function(body)
        if parent then
          local ok, err = r:path_of(ops.list, parent)
          if not ok then return nil, err end
        end
        local ok, err = r:body_of(ops.create, body)
        if not ok then return nil, err end
        return true
      end,
    },
  }
end

return target
