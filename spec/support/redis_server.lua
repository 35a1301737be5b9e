-- A private redis-server (Debian's) for specs: loopback only, a free port,
-- its own temp dir, no persistence. It stops when this process exits.
--   local redis_server = require "support.redis_server"
--   local rs = redis_server.start()  -- rs.host, rs.port, rs.url ("redis://127.0.0.1:P"), rs.dir, rs.pid
--   rs:command{ "GET", "k" }         -- -> reply | nil, err (mistapi.redis, blocking)
--   rs:flush()                       -- FLUSHALL and SCRIPT FLUSH: a fresh server for the next test
--   rs:halt()                        -- stops the server mid-run (port and dir kept)
--   rs:restart()                     -- starts it again on the same port, empty
--   rs:pause(), rs:resume()          -- SIGSTOP / SIGCONT: it takes connections, answers nothing
--   rs:log() -> its log;  rs:stop()  -- idempotent, also when rs is collected
--   redis_server.available() -> whether redis-server is installed
-- Works on Lua 5.1, 5.4 and LuaJIT.
local core = require "mistapi.core"
local shell = require "support.shell"
local ports = require "support.ports"

local M = {}
M.BINARY = "/usr/bin/redis-server"

local q = shell.quote
local READY_POLLS, POLL_SECONDS = 200, 0.025   -- at most 5 s to answer PING, 5 s to stop

function M.available()
  return shell.exists(M.BINARY)
end

-- Running (a zombie is not: nothing may reap it in a container).
local function alive(pid)
  local f = io.open("/proc/" .. pid .. "/stat", "r")
  if not f then return false end
  local stat = f:read("*l") or ""
  f:close()
  return stat:match("^%d+ %b() (%a)") ~= "Z"
end

local Server = {}
Server.__index = Server

function Server:log()
  return shell.try_read(self.dir .. "/redis.log") or ""
end

local function write_conf(self)
  local f = assert(io.open(self.dir .. "/redis.conf", "w"))
  f:write(table.concat({
    "bind 127.0.0.1", "port " .. self.port, "protected-mode yes", "daemonize no",
    'save ""', "appendonly no", "dir " .. self.dir, "logfile " .. self.dir .. "/redis.log",
    "databases 16", "",
  }, "\n"))
  f:close()
end

-- Starts redis-server on self.port and waits for its PING. -> true | nil, why
local function launch(self)
  write_conf(self)
  -- $PPID is this Lua process: the watchdog stops the server once it exits
  local p = assert(io.popen(("%s %s </dev/null >/dev/null 2>&1 & rp=$!; echo $rp; "
    .. "( while kill -0 $PPID 2>/dev/null && kill -0 $rp 2>/dev/null; do sleep 1; done; "
    .. "kill $rp 2>/dev/null ) </dev/null >/dev/null 2>&1 &"):format(q(M.BINARY), q(self.dir .. "/redis.conf"))))
  local pid = tonumber(p:read("*l") or "")
  p:close()
  if not pid then return nil, "redis-server did not start" end
  self.pid = pid
  for _ = 1, READY_POLLS do
    local conn = core.redis_connect(self.host, self.port, 1)
    if conn then
      local pong = conn:command { "PING" }
      conn:close()
      if pong == "PONG" then return true end
    end
    if not alive(pid) then return nil, "redis-server exited: " .. self:log() end
    core.sleep(POLL_SECONDS)
  end
  return nil, "redis-server did not answer PING: " .. self:log()
end

local function kill(self, signal)
  if self.pid then os.execute(("kill -%s %d 2>/dev/null"):format(signal, self.pid)) end
end

function M.start()
  assert(M.available(), "redis-server is not installed (apt-get install redis-server)")
  local self = setmetatable({ host = "127.0.0.1", dir = shell.private_dir() }, Server)
  local ok, why = ports.retry(1, function(p)
    self.port = p[1]
    os.remove(self.dir .. "/redis.log")
    return launch(self)
  end)
  if not ok then
    kill(self, "KILL")
    shell.remove_tree(self.dir)
    error("support.redis_server: " .. tostring(why), 2)
  end
  self.url = ("redis://%s:%d"):format(self.host, self.port)
  -- stop with the spec's state when it is collected (5.2+: tables take __gc)
  local proxy = newproxy and newproxy(true)
  if proxy then
    getmetatable(proxy).__gc = function() self:stop() end
    self.proxy = proxy
  else
    setmetatable(self, { __index = Server, __gc = function(s) s:stop() end })
  end
  return self
end

function Server:command(words)
  local redis = require "mistapi.redis"
  local conn, err = redis.connect(self.url, { timeout = 5 })
  if not conn then return nil, err end
  local value
  value, err = conn:command(words)
  conn:close()
  return value, err
end

function Server:flush()
  assert(self:command { "FLUSHALL" })
  assert(self:command { "SCRIPT", "FLUSH" })
end

function Server:pause()
  kill(self, "STOP")
end

function Server:resume()
  kill(self, "CONT")
end

--- Stops the server (SIGTERM, SIGKILL after 5 s); the port and dir stay.
function Server:halt()
  if not self.pid then return end
  kill(self, "CONT")
  kill(self, "TERM")
  for _ = 1, READY_POLLS do
    if not alive(self.pid) then break end
    core.sleep(POLL_SECONDS)
  end
  if alive(self.pid) then kill(self, "KILL") end
  self.pid = nil
end

--- Starts the server again on the same port (after halt), with nothing in it.
function Server:restart()
  self:halt()
  local ok, why = launch(self)
  if not ok then error("support.redis_server: restart: " .. tostring(why), 2) end
end

function Server:stop()
  if self.stopped then return end
  self.stopped = true
  self:halt()
  shell.remove_tree(self.dir)
end

return M
