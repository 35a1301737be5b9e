--- A desired state of an org's tokens, from a Lua table or a JSON file:
--
--     {
--       "prefix": "app-",                 (optional) names that start so are managed
--       "managed": ["legacy-ci"],         (optional) other managed names
--       "tokens": {
--         "app-ci":  { "privileges": [ { "role": "read", "scope": "org" } ],
--                      "src_ips": [ "203.0.113.0/24" ] },
--         "app-mon": { "privileges": [ { "role": "read", "scope": "org" } ] }
--       }
--     }
--
-- Tokens are keyed by name; an entry may give `id` to follow a token across a
-- rename. Each entry is checked by the same rules as a request body.
-- @module mistapi.lifecycle.desired

local core = require "mistapi.core"
local errors = require "mistapi.errors"
local markers = require "mistapi.lifecycle.markers"

local desired = {}

local TOP = { prefix = true, managed = true, tokens = true }
local ENTRY = { privileges = true, src_ips = true, id = true }

local function bad(message)
  return nil, errors.validation("desired state: " .. message)
end

--- The JSON object a file holds (a desired state, or a saved plan).
-- @return the table, or nil and a message (naming the path when the text is wrong)
function desired.read_json(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, tostring(err) end
  local text = f:read("*a")
  f:close()
  local doc, msg = core.decode(text or "")
  if type(doc) ~= "table" then
    return nil, ("%s: %s"):format(path, doc == nil and tostring(msg) or "expected a JSON object")
  end
  return doc
end

local sorted_keys = require("mistapi.text").sorted_keys

local function check_entry(name, e)
  local where = ("tokens[%q]"):format(name)
  if type(name) ~= "string" or name == "" then return bad("a token name must be a non-empty string") end
  -- a marked name is a run's temporary one: never counted as managed, it would be made again each run
  if markers.parse(name) then
    return bad(where .. ": the name ends as a lifecycle run's temporary name does ([rotation of ID],"
      .. " [replaced by ID] or [being created])")
  end
  if type(e) ~= "table" then return bad(where .. ": expected an object with privileges") end
  for k in pairs(e) do
    if not ENTRY[k] then return bad(("%s: unknown field %q (privileges, src_ips, id)"):format(where, tostring(k))) end
  end
  if type(e.privileges) ~= "table" or #e.privileges == 0 then
    return bad(where .. ".privileges: at least one privilege is needed")
  end
  if e.src_ips ~= nil and type(e.src_ips) ~= "table" then return bad(where .. ".src_ips: expected a list") end
  if e.id ~= nil and not (type(e.id) == "string" and core.is_uuid(e.id)) then
    return bad(where .. ".id: not a UUID")
  end
  local ok, msg = core.encode_token({ name = name, privileges = e.privileges, src_ips = e.src_ips })
  if not ok then return bad(where .. ": " .. msg) end
  return { name = name, privileges = e.privileges, src_ips = e.src_ips or {}, id = e.id and e.id:lower() }
end

--- Reads and checks a desired state.
-- @param source a table, or the path of a JSON file
-- @return { tokens = { [name] = entry }, names = sorted names, prefix =, managed = { [name] = true } },
--   or nil and a validation error
function desired.load(source)
  local doc = source
  if type(source) == "string" then
    local err
    doc, err = desired.read_json(source)
    if not doc then return bad(err) end
  elseif type(source) ~= "table" then
    error("desired state: expected a table or the path of a JSON file, got " .. type(source), 3)
  end
  for k in pairs(doc) do
    if not TOP[k] then return bad(("unknown field %q (prefix, managed, tokens)"):format(tostring(k))) end
  end
  if type(doc.tokens) ~= "table" or doc.tokens[1] ~= nil then
    return bad('"tokens" must be an object of name: { privileges, src_ips }')
  end
  if doc.prefix ~= nil and (type(doc.prefix) ~= "string" or doc.prefix == "") then
    return bad('"prefix" must be a non-empty string')
  end
  local managed = {}
  if doc.managed ~= nil then
    if type(doc.managed) ~= "table" then return bad('"managed" must be a list of names') end
    for _, n in ipairs(doc.managed) do
      if type(n) ~= "string" then return bad('"managed" must be a list of names') end
      managed[n] = true
    end
  end
  local state = { tokens = {}, names = {}, prefix = doc.prefix, managed = managed }
  local ids = {}
  for _, name in ipairs(sorted_keys(doc.tokens)) do
    local entry, err = check_entry(name, doc.tokens[name])
    if not entry then return nil, err end
    if entry.id then
      if ids[entry.id] then return bad(("tokens %q and %q give the same id"):format(ids[entry.id], name)) end
      ids[entry.id] = name
    end
    state.tokens[name] = entry
    state.names[#state.names + 1] = name
  end
  return state
end

return desired
