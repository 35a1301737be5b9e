--- mistapi.redis inside nginx's cosocket phases: the bytes go over
-- `ngx.socket.tcp`, so waiting on Redis yields to the event loop instead of
-- stalling the worker; hiredis (the C core's `redis_format` and
-- `redis_reader`) writes the commands and parses the replies. A healthy
-- connection goes back to a keepalive pool named after its address and
-- database on close.
-- @module mistapi.redis.cosocket

local core = require "mistapi.lazy_core"

local M = {}

M.KEEPALIVE_MS = 60000     -- how long a pooled connection may stay idle
M.POOL_SIZE = 32           -- pooled connections per address and database
M.MAX_REPLY = 8 * 1048576  -- bytes one reply may take; a budget's are tiny
local CHUNK = 65536

local Raw = {}
Raw.__index = Raw

-- The connection is useless after a failure: closed, never pooled.
function Raw:fail(message, kind)
  self.dead = true
  self.sock:close()
  return nil, message, kind
end

-- -> value | nil, message, kind ("reply", "io", "closed", "timeout", "protocol")
function Raw:command(words)
  if self.dead then return nil, "the connection failed earlier", "io" end
  local reader = self.reader
  local sent, err = self.sock:send(core.redis_format(words))
  if not sent then return self:fail(err, err == "timeout" and "timeout" or "closed") end
  local received = 0
  -- bounded: each pass reads at least one byte, and at most MAX_REPLY are read
  while true do
    local got, value, kind = reader:get()
    if got then
      self.used = true
      return value
    elseif got == nil then
      if kind == "reply" then return nil, value, "reply" end
      return self:fail(value, "protocol")
    end
    if received > M.MAX_REPLY then return self:fail("a reply of more than " .. M.MAX_REPLY .. " bytes", "io") end
    local data, rerr = self.sock:receiveany(CHUNK)
    if not data then
      local why = rerr == "timeout" and "timeout" or (rerr == "closed" and received == 0) and "closed" or "io"
      return self:fail(why == "timeout" and "no answer in time" or rerr, why)
    end
    received = received + #data
    reader:feed(data)
  end
end

function Raw:close()
  if self.dead then return end
  self.dead = true
  local ok = self.sock:setkeepalive(M.KEEPALIVE_MS, M.POOL_SIZE)
  if not ok then self.sock:close() end
end

--- A connection, on `db` once open (a pooled one already is). -> raw | nil, message
function M.open(host, port, db, timeout)
  local ngx = rawget(_G, "ngx")
  local sock, err = ngx.socket.tcp()
  if not sock then return nil, err end
  local ms = math.max(1, math.floor(timeout * 1000))
  sock:settimeouts(ms, ms, ms)
  local addr = host:find(":", 1, true) and "[" .. host .. "]" or host
  local ok
  ok, err = sock:connect(addr, port, { pool = ("mistapi.redis %s:%d/%d"):format(host, port, db) })
  if not ok then return nil, ("cannot connect to %s:%d: %s"):format(host, port, err) end
  local reused = (sock:getreusedtimes() or 0) > 0
  local raw = setmetatable({ sock = sock, reader = core.redis_reader(), used = reused, dead = false }, Raw)
  if db ~= 0 and not reused then
    local done, why = raw:command { "SELECT", tostring(db) }
    if not done then
      raw:fail(why)
      return nil, "SELECT " .. db .. ": " .. why
    end
  end
  return raw
end

return M
