--- mistapi.redis outside nginx's cosocket phases: hiredis's blocking client
-- in the C core (`core.redis_connect`), the timeout on the connect and on
-- every command's write and read.
-- @module mistapi.redis.blocking

local core = require "mistapi.lazy_core"

local M = {}

local Raw = {}
Raw.__index = Raw

-- -> value | nil, message, kind ("reply", "io", "closed", "timeout")
function Raw:command(words)
  local value, message, kind = self.conn:command(words)
  if value ~= nil then self.used = true end
  return value, message, kind
end

function Raw:close()
  self.conn:close()
end

--- A connection, on `db` once open. -> raw | nil, message
function M.open(host, port, db, timeout)
  local conn, err = core.redis_connect(host, port, timeout)
  if not conn then return nil, err end
  local raw = setmetatable({ conn = conn, used = false }, Raw)
  if db ~= 0 then
    local ok, why = raw:command { "SELECT", tostring(db) }
    if not ok then
      raw:close()
      return nil, "SELECT " .. db .. ": " .. why
    end
  end
  return raw
end

return M
