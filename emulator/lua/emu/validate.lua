-- Validation of token bodies as the spec says; details name the field and the rule,
-- in the style of Mist's own 400 answers ("name: This field is required.").
-- The names and limits are the client's schema (mistapi.schema: one statement of
-- Mist's vocabulary); the checks and their answers are the emulator's own.
local json = require "emu.json"
local ip = require "emu.ip"
local schema = require "mistapi.schema"

local M = {}

local function set(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

local ROLES = set(schema.roles)
local SCOPES = set(schema.scopes)
local VIEWS = set(schema.views)
local MIN_PRIVILEGES = schema.limits.privileges_min
local MAX_PRIVILEGES = schema.limits.privileges_max
local MAX_SRC_IPS = schema.limits.src_ips_max
local MAX_NAME = schema.limits.name_max
-- A privilege's id fields (site_id, sitegroup_id) and the scope that needs each.
local ID_FIELDS = {}
for _, f in ipairs(schema.privilege.fields) do
  if f.type == "scope_id" then ID_FIELDS[#ID_FIELDS + 1] = f end
end

local UUID = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"

function M.is_uuid(s)
  return type(s) == "string" and s:match(UUID) ~= nil
end

local function type_name(v)
  if v == json.null then
    return "null"
  elseif json.is_array(v) then
    return "list"
  elseif type(v) == "table" then
    return "dict"
  end
  return type(v) == "number" and "number" or type(v) == "boolean" and "bool" or type(v)
end

local function check_name(v)
  if v == json.null then
    return nil, "name: This field may not be null."
  elseif type(v) ~= "string" then
    return nil, "name: Not a valid string."
  elseif v:match("^%s*$") then
    return nil, "name: This field may not be blank."
  elseif #v > MAX_NAME then
    return nil, "name: Ensure this field has no more than " .. MAX_NAME .. " characters."
  end
  return v
end

local function sorted_list(t)
  local copy = {}
  for i, v in ipairs(t) do
    copy[i] = v
  end
  table.sort(copy)
  return copy
end

local function check_privilege(p, where)
  if not json.is_object(p) then
    return nil, where .. ": Expected a dictionary, but got " .. type_name(p) .. "."
  end
  local out = {}
  if p.role == nil or p.role == json.null then
    return nil, where .. ".role: This field is required."
  elseif not ROLES[p.role] then
    return nil, where .. ".role: \"" .. tostring(p.role) .. "\" is not a valid choice."
  end
  out.role = p.role
  if p.scope == nil or p.scope == json.null then
    return nil, where .. ".scope: This field is required."
  elseif not SCOPES[p.scope] then
    return nil, where .. ".scope: \"" .. tostring(p.scope) .. "\" is not a valid choice."
  end
  out.scope = p.scope
  for _, f in ipairs(ID_FIELDS) do
    local field = f.name
    local v = p[field]
    local wanted = p.scope == f.scope
    if v ~= nil and v ~= json.null then
      if not wanted then
        return nil, where .. "." .. field .. ": not allowed when scope is " .. p.scope .. "."
      elseif not M.is_uuid(v) then
        return nil, where .. "." .. field .. ": Must be a valid UUID."
      end
      out[field] = v:lower()
    elseif wanted then
      return nil, where .. "." .. field .. ": This field is required when scope is " .. p.scope .. "."
    end
  end
  if p.views ~= nil and p.views ~= json.null then
    if type(p.views) ~= "table" or json.is_object(p.views) and next(p.views) ~= nil then
      return nil, where .. ".views: Expected a list of items but got type \"" .. type_name(p.views) .. "\"."
    end
    for i, v in ipairs(p.views) do
      if not VIEWS[v] then
        return nil, where .. ".views[" .. (i - 1) .. "]: \"" .. tostring(v) .. "\" is not a valid choice."
      end
    end
    if #p.views > 0 then
      out.views = p.views
    end
  end
  return out
end

local function privilege_identity(p)
  local parts = { p.scope, p.role }
  for _, f in ipairs(ID_FIELDS) do parts[#parts + 1] = p[f.name] or "" end
  parts[#parts + 1] = table.concat(sorted_list(p.views or {}), ",")
  return table.concat(parts, "|")
end

local function check_privileges(v)
  if v == json.null then
    return nil, "privileges: This field may not be null."
  elseif type(v) ~= "table" or (json.is_object(v) and next(v) ~= nil) then
    return nil, "privileges: Expected a list of items but got type \"" .. type_name(v) .. "\"."
  elseif #v < MIN_PRIVILEGES then
    return nil, "privileges: Ensure this field has at least " .. MIN_PRIVILEGES .. " elements."
  elseif #v > MAX_PRIVILEGES then
    return nil, "privileges: Ensure this field has no more than " .. MAX_PRIVILEGES .. " elements."
  end
  local out, seen = {}, {}
  for i, p in ipairs(v) do
    local clean, err = check_privilege(p, "privileges[" .. (i - 1) .. "]")
    if not clean then
      return nil, err
    end
    local id = privilege_identity(clean)
    if seen[id] then
      return nil, "privileges: Items must be unique (privileges[" .. (i - 1) .. "] repeats privileges["
        .. (seen[id] - 1) .. "])."
    end
    seen[id] = i
    out[i] = clean
  end
  return out
end

local function check_src_ips(v)
  if v == json.null then
    return nil, "src_ips: This field may not be null."
  elseif type(v) ~= "table" or (json.is_object(v) and next(v) ~= nil) then
    return nil, "src_ips: Expected a list of items but got type \"" .. type_name(v) .. "\"."
  elseif #v > MAX_SRC_IPS then
    return nil, "src_ips: Ensure this field has no more than " .. MAX_SRC_IPS .. " elements."
  end
  local out = {}
  for i, s in ipairs(v) do
    if not ip.parse(s) then
      return nil, "src_ips[" .. (i - 1) .. "]: \"" .. tostring(s) .. "\" is not a valid IP address or network."
    end
    out[i] = s
  end
  return out
end

-- body: decoded JSON. create = true requires name and privileges.
-- -> { name=, privileges=, src_ips= } (only fields given) | nil, detail
function M.token_body(body, create)
  if not json.is_object(body) then
    return nil, "Invalid data. Expected a dictionary, but got " .. type_name(body) .. "."
  end
  local out = {}
  if body.name ~= nil or create then
    if body.name == nil then
      return nil, "name: This field is required."
    end
    local name, err = check_name(body.name)
    if not name then
      return nil, err
    end
    out.name = name
  end
  if body.privileges ~= nil or create then
    if body.privileges == nil then
      return nil, "privileges: This field is required."
    end
    local privs, err = check_privileges(body.privileges)
    if not privs then
      return nil, err
    end
    out.privileges = privs
  end
  if body.src_ips ~= nil then
    local ips, err = check_src_ips(body.src_ips)
    if not ips then
      return nil, err
    end
    out.src_ips = ips
  end
  return out
end

-- A user's own token (spec: user_apitoken): only `name` is writable, and it may be
-- left out; read-only and unknown fields are ignored as Mist's other bodies' are.
-- -> { name= } | nil, detail
function M.user_token_body(body)
  if not json.is_object(body) then
    return nil, "Invalid data. Expected a dictionary, but got " .. type_name(body) .. "."
  end
  if body.name == nil then
    return {}
  end
  local name, err = check_name(body.name)
  if not name then
    return nil, err
  end
  return { name = name }
end

return M
