--- A `log` hook that writes each attempt to nginx's error log:
--   log = require("mistapi.transport.ngx_log").hook { level = ngx.INFO, failure_level = ngx.WARN }
-- An answered attempt is logged at `level` (default ngx.INFO); one that got
-- no answer (a transport error or a timeout) at `failure_level` (default
-- ngx.WARN), as is a warning of a shared budget. The hook only sees method, path, status, error, duration,
-- attempt and token_index (never headers or bodies), so no token reaches
-- the log. nginx writes a line only when `error_log` is set at that level
-- or a more verbose one.
-- @module mistapi.transport.ngx_log

local ngx_log = {}

local function check_level(name, v)
  if v ~= nil and (type(v) ~= "number" or v ~= math.floor(v) or v < 0 or v > 8) then
    error(("ngx_log.hook: %s must be an nginx log level (ngx.STDERR .. ngx.DEBUG)"):format(name), 3)
  end
end

--- The hook, for a client's `log` option; it needs nginx (ngx.log) to run.
-- @param opts {level =, failure_level =} (either optional)
function ngx_log.hook(opts)
  if opts ~= nil and type(opts) ~= "table" then error("ngx_log.hook: options must be a table", 2) end
  opts = opts or {}
  check_level("level", opts.level)
  check_level("failure_level", opts.failure_level)
  local ngx = rawget(_G, "ngx")
  if not ngx then error("ngx_log.hook: needs nginx with the Lua module", 2) end
  local level = opts.level or ngx.INFO
  local failure_level = opts.failure_level or ngx.WARN
  return function(e)
    if e.warning then   -- a shared budget that failed (no attempt in it)
      ngx.log(failure_level, "mistapi: ", e.warning)
      return
    end
    ngx.log(e.status and level or failure_level, ("mistapi: %s %s -> %s in %.3fs (attempt %d%s)"):format(
      e.method, e.path, e.status or e.error, e.duration, e.attempt,
      e.token_index and (", token " .. e.token_index) or ""))
  end
end

return ngx_log
