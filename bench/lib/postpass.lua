-- The Lua post-pass a lua-cjson user needs to get what mistapi gives:
-- lua-cjson 2.1.0 decodes 1626875902 as a float and null as cjson.null.
local cjson = require "cjson"

local M = {}
local null, tointeger = cjson.null, math.tointeger

local function fix(t)
  for k, v in pairs(t) do
    if v == null then t[k] = nil end
  end
  t.created_time = tointeger(t.created_time) or t.created_time
  if t.last_used then t.last_used = tointeger(t.last_used) or t.last_used end
  local privs = t.privileges
  if type(privs) == "table" then
    for i = 1, #privs do
      for k, v in pairs(privs[i]) do
        if v == null then privs[i][k] = nil end
      end
    end
  end
  return t
end

M.token = fix

function M.list(list)
  for i = 1, #list do fix(list[i]) end
  return list
end

return M
