-- The org around the tokens: its name, its sites and its site groups (minimal: what
-- a client reaches for to name an org or to check that a privilege's site still exists).
--   orgname:<org_id>      the org's name (default DEFAULT_NAME)
--   sites:<org_id>        JSON array of the org's sites, in creation order
--   sitegroups:<org_id>   JSON array of its site groups
-- Sites and site groups are made and removed through the control API only.
local dict = require "emu.dict"
local json = require "emu.json"
local random = require "emu.random"

local M = {}

M.DEFAULT_NAME = "Emulated Org"

local function set(k, v)
  local ok, err = dict:set(k, v)
  if not ok then
    error("emulator state: set failed: " .. tostring(err) .. " (lua_shared_dict emu full?)")
  end
end

function M.name(org_id)
  return dict:get("orgname:" .. org_id) or M.DEFAULT_NAME
end

function M.set_name(org_id, name)
  set("orgname:" .. org_id, name)
end

-- The org as GET /api/v1/orgs/{org_id} shows it (the spec's `org`; `name` is its one required field).
function M.view(org_id, created_time)
  return {
    id = org_id,
    name = M.name(org_id),
    created_time = created_time,
    modified_time = created_time,
    session_expiry = 1440,
    allow_mist = true,
    orggroup_ids = json.EMPTY_ARRAY,
  }
end

-- kind: "sites" or "sitegroups"
local function all(kind, org_id)
  local text = dict:get(kind .. ":" .. org_id)
  return text and json.decode(text) or {}
end

local function put_all(kind, org_id, list)
  set(kind .. ":" .. org_id, #list > 0 and json.encode(list) or "[]")
end

function M.find(kind, org_id, id)
  for _, item in ipairs(all(kind, org_id)) do
    if item.id == id then
      return item
    end
  end
end

-- Add a site or site group; fields: id?, name?, sitegroup_ids? (sites). -> the item
function M.add(kind, org_id, fields)
  local now = ngx.time()
  local item = {
    id = fields.id or random.uuid(),
    org_id = org_id,
    created_time = now,
    modified_time = now,
  }
  item.name = fields.name or ((kind == "sites" and "site-" or "sitegroup-") .. item.id:sub(1, 8))
  if kind == "sites" then
    item.sitegroup_ids = fields.sitegroup_ids
  end
  local list = all(kind, org_id)
  list[#list + 1] = item
  put_all(kind, org_id, list)
  return item
end

-- Remove one ("the site is gone"); -> true | nil when the org has no such item.
function M.remove(kind, org_id, id)
  local list = all(kind, org_id)
  for i, item in ipairs(list) do
    if item.id == id then
      table.remove(list, i)
      put_all(kind, org_id, list)
      return true
    end
  end
end

-- An item as the API lists it. A site group's site_ids are the sites that name it.
function M.view_item(kind, org_id, item)
  local out = {}
  for k, v in pairs(item) do
    out[k] = v
  end
  if kind == "sites" then
    out.sitegroup_ids = json.array(item.sitegroup_ids)
  else
    local site_ids = {}
    for _, s in ipairs(all("sites", org_id)) do
      for _, g in ipairs(s.sitegroup_ids or {}) do
        if g == item.id then
          site_ids[#site_ids + 1] = s.id
        end
      end
    end
    out.site_ids = json.array(site_ids)
  end
  return out
end

-- `limit` items from `offset` (0-based). -> items as the API shows them, total
function M.page(kind, org_id, offset, limit)
  local list = all(kind, org_id)
  local out = {}
  for i = offset + 1, math.min(offset + limit, #list) do
    out[#out + 1] = M.view_item(kind, org_id, list[i])
  end
  return out, #list
end

-- Privileges as /api/v1/self shows them: each with the `name` of its org, site or
-- site group (left out when that site or group is gone), and its org's id and name.
function M.named_privileges(privileges, org_id)
  local out = {}
  for i, p in ipairs(privileges or {}) do
    local q = {}
    for k, v in pairs(p) do
      q[k] = v
    end
    q.org_id = q.org_id or org_id
    if p.scope == "org" then
      q.name = M.name(q.org_id)
    else
      q.org_name = M.name(q.org_id)
      local item
      if p.scope == "site" then
        item = M.find("sites", q.org_id, p.site_id)
      elseif p.scope == "sitegroup" then
        item = M.find("sitegroups", q.org_id, p.sitegroup_id)
      end
      q.name = item and item.name or nil
    end
    out[i] = q
  end
  return out
end

return M
