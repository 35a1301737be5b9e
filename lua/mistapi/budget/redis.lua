--- The budget shared by every process on every host: in Redis, one
-- server-side script per decision, on the server's clock (`TIME`), so that
-- no two processes can both take the last call (never a read then a write
-- from the client). A token's keys are named by its keyed digest, never by
-- the token.
-- @module mistapi.budget.redis

local redis = require "mistapi.redis"

local M = {}

-- KEYS[1]: the sliding log (a sorted set: one member a take, scored by its
-- time), KEYS[2]: the hold (until when nobody takes), KEYS[3]: the log's
-- member counter. ARGV[1]: "take" (ARGV[2] limit, ARGV[3] window), "hold"
-- (ARGV[2] seconds) or "left" (ARGV[2] limit, ARGV[3] window: the calls
-- that could be taken now, nothing written). A take answers 0 (taken) or the
-- seconds until room, as a string (Redis would cut a Lua number to an integer).
M.SCRIPT = [[
local t = redis.call("TIME")
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local held = tonumber(redis.call("GET", KEYS[2]) or "0")
if ARGV[1] == "hold" then
  local seconds = tonumber(ARGV[2])
  if now + seconds > held then
    redis.call("SET", KEYS[2], string.format("%.6f", now + seconds), "PX", math.ceil(seconds * 1000) + 1000)
  end
  return 1
end
local limit, window = tonumber(ARGV[2]), tonumber(ARGV[3])
if ARGV[1] == "left" then
  if held > now then return 0 end
  local taken = redis.call("ZCOUNT", KEYS[1], string.format("(%.6f", now - window), "+inf")
  return taken < limit and limit - taken or 0
end
if held > now then return string.format("%.6f", held - now) end
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", string.format("%.6f", now - window))
if redis.call("ZCARD", KEYS[1]) < limit then
  local ttl = math.ceil(window * 1000) + 1000
  redis.call("ZADD", KEYS[1], string.format("%.6f", now), redis.call("INCR", KEYS[3]))
  redis.call("PEXPIRE", KEYS[1], ttl)
  redis.call("PEXPIRE", KEYS[3], ttl)
  return 0
end
local oldest = redis.call("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
return string.format("%.6f", tonumber(oldest[2]) + window - now)
]]

-- Keys of one token: the digest in braces, so a Redis cluster keeps the
-- three on one node.
local function keys_of(key)
  local base = "mistapi:budget:{" .. key .. "}:"
  return { base .. "log", base .. "hold", base .. "seq" }
end

local Redis = {}
Redis.__index = Redis

--- A Redis budget from `redis://HOST:PORT[/DB]`; nothing is connected
-- until the first take.
-- @return the backend, or nil and a message (a URL that can't be read)
function M.new(spec, settings)
  local ok, err = redis.parse_url(spec)
  if not ok then return nil, "budget: " .. err end
  local timeout = redis.DEFAULT_TIMEOUT
  if settings and settings.timeout and settings.timeout < timeout then timeout = settings.timeout end
  return setmetatable({ url = spec, timeout = timeout, conn = false, keys = {} }, Redis)
end

-- The script's answer, or nil and "redis: ...". Outside nginx one
-- connection is kept; inside, each call connects and closes (a cosocket
-- belongs to its request; closing gives it back to the keepalive pool).
function Redis:eval(key, args)
  local conn = self.conn
  if not conn then
    local err
    conn, err = redis.connect(self.url, { timeout = self.timeout })
    if not conn then return nil, err end
    if conn.via == "hiredis" then self.conn = conn end
  end
  local keys = self.keys[key]
  if not keys then
    keys = keys_of(key)
    self.keys[key] = keys
  end
  local reply, err = conn:eval(M.SCRIPT, keys, args)
  if conn ~= self.conn then
    conn:close()
  elseif reply == nil then
    conn:close()      -- a fresh connection next time
    self.conn = false
  end
  return reply, err
end

--- 0 (taken now), or the seconds until there is room; nil and a message
-- when Redis can't be asked.
function Redis:take(key, limit, window)
  local reply, err = self:eval(key, { "take", limit, window })
  if reply == 0 then return 0 end
  local wait = type(reply) == "string" and tonumber(reply)
  if not wait then return nil, err or "redis: the budget script answered something else" end
  -- (never 0: a wait printed as 0.000000 is still a wait)
  return wait > 0.000001 and wait or 0.000001
end

--- How many calls `key` could take now (nothing taken), on the server's
-- clock; nil and a message when Redis can't be asked.
function Redis:left(key, limit, window)
  local reply, err = self:eval(key, { "left", limit, window })
  if type(reply) == "number" then return reply end
  return nil, err or "redis: the budget script answered something else"
end

--- Nobody takes for `key` before now + seconds (the server's now).
function Redis:hold(key, seconds)
  local reply, err = self:eval(key, { "hold", seconds })
  if reply == nil then return nil, err end
  return true
end

return M
