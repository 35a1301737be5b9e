-- Per-token call budget in fixed windows (default 5000 calls an hour), as Mist counts it.
local dict = require "emu.dict"

local M = {}

-- -> true | false, seconds until the window ends
function M.spend(token_id, cfg)
  local now = ngx.now()
  local window = cfg.rate_window
  local start = math.floor(now / window) * window
  local k = "rl:" .. token_id .. ":" .. start
  local n, err = dict:incr(k, 1, 0, window + 1)
  if not n then
    error("rate counter: " .. tostring(err))
  end
  if n > cfg.rate_limit then
    return false, math.max(1, math.ceil(start + window - now))
  end
  return true
end

return M
