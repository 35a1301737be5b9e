--- Checks that a decoded answer has the types the spec gives its fields, so
-- a script never meets `privileges` as a string or an epoch as an object.
-- Epochs become Lua integers: an integral float is converted, a fraction is
-- dropped (epoch seconds), and a value past 64 bits is refused.
-- @module mistapi.model_check

local model_check = {}

local MAX_EPOCH = 2 ^ 53   -- exact in a double, and far past any real epoch
local to_integer = math.tointeger or function(x) return x end

local function epoch(t, field, where)
  local v = t[field]
  if v == nil then return nil end
  if type(v) ~= "number" or v ~= v or v < 0 or v >= MAX_EPOCH then
    return ("%s%s: expected an epoch in seconds, got %s"):format(where, field,
      type(v) == "number" and "a number out of range" or type(v))
  end
  if not (math.type and math.type(v) == "integer") then
    t[field] = to_integer(math.floor(v))
  end
  return nil
end

local STRINGS = { "id", "org_id", "name", "key", "created_by" }
local PRIVILEGE_STRINGS = { "org_id", "role", "scope", "site_id", "sitegroup_id" }

local function strings_of(t, fields, where)
  for _, f in ipairs(fields) do
    local v = t[f]
    if v ~= nil and type(v) ~= "string" then
      return ("%s%s: expected a string, got %s"):format(where, f, type(v))
    end
  end
  return nil
end

local function array_of_strings(t, field, where)
  local v = t[field]
  if v == nil then return nil end
  if type(v) ~= "table" or (next(v) ~= nil and v[1] == nil) then
    return ("%s%s: expected an array, got %s"):format(where, field, type(v) == "table" and "an object" or type(v))
  end
  for i = 1, #v do
    if type(v[i]) ~= "string" then
      return ("%s%s[%d]: expected a string, got %s"):format(where, field, i, type(v[i]))
    end
  end
  return nil
end

--- Checks one token; returns nil when it is sound, else a message.
function model_check.token(t, where)
  where = where or ""
  local err = strings_of(t, STRINGS, where) or epoch(t, "created_time", where) or epoch(t, "last_used", where)
    or array_of_strings(t, "src_ips", where)
  if err then return err end
  local privileges = t.privileges
  if privileges == nil then return nil end
  if type(privileges) ~= "table" or (next(privileges) ~= nil and privileges[1] == nil) then
    return ("%sprivileges: expected an array, got %s"):format(where,
      type(privileges) == "table" and "an object" or type(privileges))
  end
  for i = 1, #privileges do
    local p = privileges[i]
    local at = ("%sprivileges[%d]"):format(where, i)
    if type(p) ~= "table" then return ("%s: expected an object, got %s"):format(at, type(p)) end
    err = strings_of(p, PRIVILEGE_STRINGS, at .. ".") or array_of_strings(p, "views", at .. ".")
    if err then return err end
  end
  return nil
end

--- Checks every token of a list.
function model_check.tokens(list)
  for i = 1, #list do
    local err = model_check.token(list[i], ("[%d]."):format(i))
    if err then return err end
  end
  return nil
end

return model_check
