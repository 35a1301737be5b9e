--- The raising style, for scripts that would rather not check `nil, err`:
-- the same clients over the same core, but a failure raises the error
-- object itself (a `mistapi.Error`: `pcall` gives back its `kind`, `status`,
-- `detail`..., and an uncaught one prints its `tostring`). As `cjson` and
-- `cjson.safe` share one core, `mistapi` and `mistapi.raising` share one.
-- @usage
-- local mistapi = require "mistapi.raising"
-- local client = mistapi.new{ cloud = "emea01" }      -- raises on a bad configuration
-- local res = client:orgs_api_tokens():get_org_api_token(org_id, id)  -- raises on failure
-- @module mistapi.raising

local mistapi = require "mistapi"
local resource = require "mistapi.resource"
local errors = mistapi.errors

local raising = setmetatable({}, { __index = mistapi })

local wrap

local THIS_FILE = debug.getinfo(1, "S").short_src

-- "file:line" of the first Lua frame outside this file: the caller's call.
local function caller_position()
  for level = 3, 30 do
    local info = debug.getinfo(level, "Sl")
    if not info then return nil end
    if info.short_src ~= THIS_FILE and (info.currentline or -1) > 0 then
      return info.short_src .. ":" .. info.currentline
    end
  end
  return nil
end

-- The objects whose methods are wrapped: a client and the resources it hands out.
local function wrappable(v)
  local mt = type(v) == "table" and getmetatable(v)
  return (mt and rawget(mt, "__name") == "mistapi.Client") or resource.is_resource(v)
end

-- Raises `nil, err`; wraps a returned client or resource; passes the rest.
local function check(first, ...)
  if first == nil then
    local err = ...
    if errors.is_error(err) then
      -- a table error gets no position from error(): keep the caller's line in it
      err.raised_at = err.raised_at or caller_position()
      error(err, 0)
    end
    if err ~= nil then error(tostring(err), 3) end
  end
  if wrappable(first) then return wrap(first), ... end
  return first, ...
end

local Proxy = { __name = "mistapi.Raising" }

function Proxy.__index(proxy, key)
  local target = rawget(proxy, "target")
  local v = target[key]
  if type(v) ~= "function" then return v end
  local method = function(self, ...)
    if self == proxy then self = target end
    return check(v(self, ...))
  end
  rawset(proxy, key, method)   -- made once per name
  return method
end

function Proxy.__tostring(proxy)
  return tostring(rawget(proxy, "target"))
end

function Proxy.__close(proxy)
  local target = rawget(proxy, "target")
  if target.close then target:close() end
end

--- The raising face of a client (or of its tokens resource).
-- @param obj what `mistapi.new` or `client:orgs_api_tokens()` returned
function wrap(obj)
  if getmetatable(obj) == Proxy then return obj end
  if not wrappable(obj) then error("mistapi.raising.wrap: expects a mistapi client or resource", 2) end
  return setmetatable({ target = obj }, Proxy)
end
raising.wrap = wrap

--- The target of a raising proxy: the ordinary `nil, err` object beneath.
function raising.unwrap(proxy)
  if getmetatable(proxy) ~= Proxy then error("mistapi.raising.unwrap: not a raising proxy", 2) end
  return rawget(proxy, "target")
end

--- As `mistapi.new`, but a configuration that can't work raises too.
function raising.new(opts)
  return check(mistapi.new(opts))
end

return raising
