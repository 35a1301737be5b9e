-- Tokens in the shared dict.
--   tok:<id>        the token as JSON (its whole key included, never sent after creation)
--   key:<key>       -> id, so a key authenticates in one lookup
--   used:<id>       last_used epoch, kept apart so using a token rewrites nothing big
--   order:<org_id>  the org's token ids in creation order, 36 characters each
--   uorder:<email>  a user's own tokens (/api/v1/self/apitokens), likewise
-- A user's token has `user` (the email) and no privileges of its own: it carries its user's.
local dict = require "emu.dict"
local json = require "emu.json"
local random = require "emu.random"
local config = require "emu.config"
local schema = require "mistapi.schema"

local M = {}

local ID_LEN = 36
local KEY_LEN = 64

local function fail(what, err)
  error("emulator state: " .. what .. " failed: " .. tostring(err) .. " (lua_shared_dict emu full?)")
end

local function set(k, v)
  local ok, err = dict:set(k, v)
  if not ok then
    fail("set", err)
  end
end

function M.mask(key)
  return key:sub(1, 4) .. "..." .. key:sub(-4)
end

-- The dict key of the list a token belongs to: its org's, or its user's.
local function list_key(rec)
  if rec.user then
    return "uorder:" .. rec.user
  end
  return "order:" .. rec.org_id
end

-- fields: name, privileges, src_ips, org_id, created_by (nil = JSON null); id and key optional.
-- A user's token: user (the email) and name only.
-- -> the stored record (whole key included)
function M.create(fields)
  local rec = {
    id = fields.id or random.uuid(),
    org_id = fields.org_id,
    user = fields.user,
    name = fields.name,
    privileges = fields.privileges,
    src_ips = fields.src_ips,
    created_time = fields.created_time or ngx.time(),
    created_by = fields.created_by,
    key = fields.key or random.alnum(KEY_LEN),
  }
  for _, p in ipairs(rec.privileges or {}) do
    if p.scope == "org" then
      p.org_id = rec.org_id
    end
  end
  if rec.src_ips and #rec.src_ips == 0 then
    rec.src_ips = nil
  end
  set("tok:" .. rec.id, json.encode(rec))
  set("key:" .. rec.key, rec.id)
  local k = list_key(rec)
  set(k, (dict:get(k) or "") .. rec.id)
  return rec
end

-- Does the emulator know this org: the bootstrap org, or one that has had tokens?
function M.org_known(org_id)
  return dict:get("order:" .. org_id) ~= nil
end

function M.get(id)
  local text = dict:get("tok:" .. id)
  if not text then
    return nil
  end
  local rec = json.decode(text)
  rec.last_used = dict:get("used:" .. id)
  return rec
end

function M.id_for_key(key)
  return dict:get("key:" .. key)
end

function M.save(rec)
  local copy = {}
  for k, v in pairs(rec) do
    copy[k] = v
  end
  copy.last_used = nil
  set("tok:" .. rec.id, json.encode(copy))
end

function M.touch(id, when)
  dict:set("used:" .. id, when)
end

-- Backdating for audits (control API): created_time and last_used as given; a
-- last_used of false clears it (never used). nil leaves a field as it is.
function M.set_times(rec, created_time, last_used)
  if created_time ~= nil then
    rec.created_time = created_time
    M.save(rec)
  end
  if last_used == false then
    dict:delete("used:" .. rec.id)
  elseif last_used ~= nil then
    dict:set("used:" .. rec.id, last_used)
  end
  return M.get(rec.id)
end

function M.delete(rec)
  dict:delete("tok:" .. rec.id)
  dict:delete("key:" .. rec.key)
  dict:delete("used:" .. rec.id)
  local k = list_key(rec)
  local order = dict:get(k) or ""
  local at = order:find(rec.id, 1, true)
  if at then
    set(k, order:sub(1, at - 1) .. order:sub(at + ID_LEN))
  end
end

-- The org's tokens, `limit` of them from position `offset` (0-based), in creation
-- order; `user` (an email) instead of org_id for a user's own tokens. -> recs, total
function M.page(org_id, offset, limit, user)
  local order = dict:get(user and ("uorder:" .. user) or ("order:" .. org_id)) or ""
  local total = #order / ID_LEN
  local recs = {}
  for i = offset, math.min(offset + limit, total) - 1 do
    local rec = M.get(order:sub(i * ID_LEN + 1, (i + 1) * ID_LEN))
    if rec then
      recs[#recs + 1] = rec
    end
  end
  return recs, total
end

-- Many tokens at once for paging tests: one write of the order string.
-- `user` (an email): the user's own tokens instead (privileges unused).
function M.seed(org_id, n, prefix, privileges, created_by, user)
  local now = ngx.time()
  local ids = {}
  for i = 1, n do
    local rec = {
      id = random.uuid(), name = prefix .. i, created_time = now, key = random.alnum(KEY_LEN),
    }
    if user then
      rec.user = user
    else
      local privs = {}
      for j, p in ipairs(privileges) do
        privs[j] = { role = p.role, scope = p.scope, site_id = p.site_id, sitegroup_id = p.sitegroup_id,
          views = p.views, org_id = p.scope == "org" and org_id or nil }
      end
      rec.org_id, rec.privileges, rec.created_by = org_id, privs, created_by
    end
    set("tok:" .. rec.id, json.encode(rec))
    set("key:" .. rec.key, rec.id)
    ids[i] = rec.id
  end
  local k = list_key{ user = user, org_id = org_id }
  set(k, (dict:get(k) or "") .. table.concat(ids))
  return ids
end

-- A token's privileges in the order answers show them: as stored, or reversed
-- (switch privileges_order; the spec promises no order).
function M.shown_privileges(list)
  if type(list) ~= "table" or config.get().privileges_order ~= "reversed" then
    return list
  end
  local out = {}
  for i = #list, 1, -1 do
    out[#out + 1] = list[i]
  end
  return out
end

local MODEL = {}
for _, m in ipairs(schema.models) do MODEL[m.name] = m end

-- The token as the API shows it: the fields of its model in the schema
-- (org_apitoken; a user's token, user_apitoken), null for a nullable one
-- it lacks; whole key only when asked (the create answer).
function M.view(rec, whole_key)
  local out = {}
  for _, f in ipairs((rec.user and MODEL.user_apitoken or MODEL.org_apitoken).fields) do
    local v = rec[f.name]
    if f.secret then
      v = whole_key and v or M.mask(v)
    elseif f.type == "privileges" then
      v = M.shown_privileges(v)
    end
    if v == nil and f.nullable then v = json.null end
    out[f.name] = v
  end
  return out
end

return M
