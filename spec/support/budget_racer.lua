-- One of several processes racing on one key of the Redis budget backend,
-- for spec 45-budget_redis_guarantees: TAKES takes as fast as it can, then
-- one line: how many were taken ("taken N"), and one a failure ("error ...").
-- Run from the checkout's root:
--   INTERPRETER spec/support/budget_racer.lua CPATH REDIS_URL KEY LIMIT WINDOW TAKES
local unpack_args = table.unpack or unpack
local cpath, url, key, limit, window, takes = unpack_args(arg)
package.path = "./lua/?.lua;./lua/?/init.lua;" .. package.path
package.cpath = cpath .. ";" .. package.cpath

local backend = assert(require("mistapi.budget.redis").new(url, { timeout = 5 }))
local taken, lines = 0, {}
for _ = 1, tonumber(takes) do
  local wait, err = backend:take(key, tonumber(limit), tonumber(window))
  if wait == 0 then
    taken = taken + 1
  elseif not wait then
    lines[#lines + 1] = "error " .. tostring(err)
  end
end
lines[#lines + 1] = "taken " .. taken
io.write(table.concat(lines, "\n"), "\n")
