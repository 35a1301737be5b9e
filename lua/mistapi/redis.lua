--- A small Redis client for the shared rate budget: one connection, one
-- command at a time, Lua scripts by EVALSHA. hiredis (in the C core) formats
-- every command and parses every reply. Inside a cosocket phase of nginx the
-- bytes go over `ngx.socket.tcp` (the worker never blocks; the connection
-- goes back to a keepalive pool on close); everywhere else through hiredis's
-- blocking client, with the timeout on the connect and on every command.
--
--   local redis = require "mistapi.redis"
--   redis.parse_url("redis://127.0.0.1:6379/0") -> { host =, port =, db = } | nil, err
--   local conn, err = redis.connect(url, { timeout = 1 })
--   conn:eval(script, keys, args) -> reply | nil, "redis: ..."
--   conn:command{ "TIME" }        -> reply | nil, "redis: ..."
--   conn:close()                  -- idempotent
--
-- Replies: integer -> integer, bulk or status -> string, array -> array
-- (nested), nil bulk -> false. An error reply, or any failure to reach
-- Redis, is `nil, "redis: ..."`; no message quotes a command's words.
-- A conn made in an nginx request belongs to that request (cosockets do):
-- connect in each request, close at its end.
-- @module mistapi.redis

local core = require "mistapi.lazy_core"

local M = {}

M.DEFAULT_PORT = 6379
M.DEFAULT_TIMEOUT = 1   -- seconds: a budget that waits on a slow Redis is no budget
local STALE_TRIES = 4   -- fresh connections tried when a used one turns out closed

--- Reads `redis://HOST[:PORT][/DB]` (HOST may be `[IPv6]`; PORT 6379, DB 0
-- by default). A URL with a password, TLS (`rediss://`), a query or a
-- fragment is refused; the message never quotes the URL.
-- @return `{ host =, port =, db = }`, or nil and a message
function M.parse_url(url)
  if type(url) ~= "string" then return nil, "redis: the URL is not a string" end
  local rest = url:match("^[Rr][Ee][Dd][Ii][Ss]://(.*)$")
  if not rest then
    if url:match("^[Rr][Ee][Dd][Ii][Ss][Ss]://") then return nil, "redis: rediss:// (TLS) is not supported" end
    return nil, "redis: the URL does not start with redis://"
  end
  if rest:find("@", 1, true) then return nil, "redis: a user or password in the URL is not supported" end
  if rest:find("[?#]") then return nil, "redis: the URL has a query or a fragment" end
  local authority, path = rest:match("^([^/]*)(.*)$")
  local host, port = authority:match("^%[([%x:%.]+)%]:?(%d*)$")
  if not host then host, port = authority:match("^([%w%.%-_]+):?(%d*)$") end
  if not host then return nil, "redis: the URL has no valid host" end
  if authority:sub(-1) == ":" then return nil, "redis: the URL's port is empty" end
  port = port ~= "" and tonumber(port) or M.DEFAULT_PORT
  if port < 1 or port > 65535 then return nil, "redis: the URL's port is not from 1 to 65535" end
  local db = 0
  if path ~= "" and path ~= "/" then
    local digits = path:match("^/(%d+)$")
    db = digits and #digits <= 9 and tonumber(digits)
    if not db then return nil, "redis: the URL's path is not a database number" end
  end
  return { host = host, port = port, db = db }
end

local function inside_cosocket_phase()
  local ngx = rawget(_G, "ngx")
  if type(ngx) ~= "table" or type(ngx.get_phase) ~= "function" then return false end
  return require("mistapi.transport").COSOCKET_PHASES[ngx.get_phase()] == true
end

local Conn = {}
Conn.__index = Conn

-- A command's words as strings; numbers written as Redis reads them.
local function words_of(list, into)
  for i = 1, #list do
    local w = list[i]
    local t = type(w)
    if t == "number" then
      if w == math.floor(w) and w > -2 ^ 53 and w < 2 ^ 53 then
        w = string.format("%d", w)
      else
        w = string.format("%.17g", w)
      end
    elseif t ~= "string" then
      error(("redis: a command's word is a %s, not a string or number"):format(t), 3)
    end
    into[#into + 1] = w
  end
  return into
end

-- One command; a used connection that turns out closed (Redis restarted, an
-- idle pooled socket) is replaced by a fresh one and the command sent again.
local function run(self, words)
  if self.closed then error("redis: the connection is closed", 3) end
  local value, message, kind
  for _ = 1, STALE_TRIES do
    local raw = self.raw
    if not raw then
      local why
      raw, why = self.open()
      if not raw then return nil, "redis: " .. why end
      self.raw = raw
    end
    value, message, kind = raw:command(words)
    if value ~= nil then return value end
    if kind ~= "reply" then
      local was_used = raw.used
      raw:close()
      self.raw = nil
      if not (kind == "closed" and was_used) then break end
    else
      break
    end
  end
  return nil, "redis: " .. message
end

--- Sends one command: an array of strings and numbers.
function Conn:command(words)
  if type(words) ~= "table" or #words == 0 then error("redis: command takes an array of words", 2) end
  return run(self, words_of(words, {}))
end

-- The SHA-1 of each script seen, so EVALSHA needs no hashing per call.
local sha_of = {}
local sha_count, SHA_KEEP = 0, 64

local function script_sha(script)
  local sha = sha_of[script]
  if not sha then
    if sha_count >= SHA_KEEP then
      sha_of, sha_count = {}, 0   -- scripts are few; a caller making them on the fly is not kept
    end
    sha = core.sha1_hex(script)
    sha_of[script], sha_count = sha, sha_count + 1
  end
  return sha
end

--- Runs a Lua script on the server: EVALSHA first, EVAL when the server
-- answers NOSCRIPT (it restarted, or has never seen the script).
-- @param script the script's text
-- @param keys array of key names (strings)
-- @param args array of arguments (strings or numbers), may be nil
function Conn:eval(script, keys, args)
  if type(script) ~= "string" then error("redis: eval takes a script (a string)", 2) end
  if type(keys) ~= "table" then error("redis: eval takes an array of keys", 2) end
  if args ~= nil and type(args) ~= "table" then error("redis: eval's args is an array or nil", 2) end
  local words = { "EVALSHA", script_sha(script), string.format("%d", #keys) }
  words_of(keys, words)
  words_of(args or {}, words)
  local value, err = run(self, words)
  if value == nil and err:find("^redis: NOSCRIPT") then
    words[1], words[2] = "EVAL", script
    value, err = run(self, words)
  end
  return value, err
end

--- Closes the connection (inside nginx: back to the keepalive pool). Idempotent.
function Conn:close()
  if self.closed then return true end
  self.closed = true
  if self.raw then
    self.raw:close()
    self.raw = nil
  end
  return true
end

Conn.__close = Conn.close

function Conn:__tostring()
  return ("mistapi.redis connection (%s, %s)"):format(self.via, self.closed and "closed" or "open")
end

--- Connects to the Redis named by `url`.
-- @param url `redis://HOST[:PORT][/DB]`
-- @param opts `{ timeout = seconds }` (default 1): the connect and each command
-- @return a connection, or nil and a message
function M.connect(url, opts)
  if opts ~= nil and type(opts) ~= "table" then error("redis.connect: opts is a table or nil", 2) end
  local timeout = opts and opts.timeout or M.DEFAULT_TIMEOUT
  if type(timeout) ~= "number" or not (timeout > 0 and timeout <= 86400) then
    error("redis.connect: timeout is seconds, more than 0 and at most a day", 2)
  end
  local where, err = M.parse_url(url)
  if not where then return nil, err end
  local via = inside_cosocket_phase() and "cosocket" or "hiredis"
  local backend = require(via == "cosocket" and "mistapi.redis.cosocket" or "mistapi.redis.blocking")
  local function open()
    return backend.open(where.host, where.port, where.db, timeout)
  end
  local raw, why = open()
  if not raw then return nil, "redis: " .. why end
  return setmetatable({ raw = raw, open = open, via = via, closed = false }, Conn)
end

return M
