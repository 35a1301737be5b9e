-- A scripted HTTP server on a raw socket, for answers the emulator can't
-- give (a Content-Length shorter than the body, many huge headers, bytes
-- that are no HTTP at all). It runs in its own process, so the blocking
-- client under test can talk to it:
--   local raw = require "support.raw_server"
--   local srv = raw.start{ { chunks = { "HTTP/1.1 200 OK\r\n...", "..." }, pause = 0.1, hold = 0 }, ... }
--   srv.url  -> "http://127.0.0.1:PORT"
--   srv:requests() -> the raw requests it read (after it has finished), srv:stop()
--   srv:arrived() -> how many requests it has read so far (it keeps running)
--   srv:release() -> answers that wait for it (`wait = true`) go now
-- plan.host: the address to listen on (default 127.0.0.1).
-- Each plan entry answers one connection, in order: its chunks are sent with
-- `pause` seconds between them, then after `hold` seconds the connection is
-- closed. An entry with `wait = true` reads its request, then sends nothing
-- until srv:release() (a signal, not a guess at time). The server quits after
-- the last entry, or after `lifetime` seconds.
local M = {}

local LIFETIME = 20

local function serve(plan_path, log_path)
  local socket = require "socket"
  local plan = dofile(plan_path)
  local server = assert(socket.bind(plan.host or "127.0.0.1", 0))
  local _, port = server:getsockname()
  io.write(port, "\n")
  io.flush()
  local deadline = socket.gettime() + (plan.lifetime or LIFETIME)
  local log = assert(io.open(log_path, "wb"))
  for _, answer in ipairs(plan) do
    server:settimeout(math.max(0.05, deadline - socket.gettime()))
    local conn = server:accept()
    if not conn then break end
    conn:settimeout(2)
    -- the request head, then its body by Content-Length (bounded reads)
    local head, length = {}, 0
    for _ = 1, 200 do
      local line = conn:receive("*l")
      if not line or line == "" then break end
      head[#head + 1] = line
      local n = line:lower():match("^content%-length:%s*(%d+)")
      if n then length = math.min(tonumber(n), 1048576) end
    end
    local body = length > 0 and conn:receive(length) or ""
    log:write(("%q"):format(table.concat(head, "\n") .. "\n\n" .. (body or "")), ",\n")
    log:flush()
    if answer.wait then
      while socket.gettime() < deadline do
        local f = io.open(plan_path .. ".go", "rb")
        if f then f:close() break end
        socket.sleep(0.02)
      end
    end
    for i, chunk in ipairs(answer.chunks or {}) do
      if i > 1 and answer.pause then socket.sleep(answer.pause) end
      if not conn:send(chunk) then break end
    end
    if answer.hold then socket.sleep(answer.hold) end
    conn:close()
    if socket.gettime() > deadline then break end
  end
  log:close()
  server:close()
end

local function quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function plan_source(plan)
  local out = { "return {" }
  for _, answer in ipairs(plan) do
    local chunks = {}
    for _, c in ipairs(answer.chunks or {}) do
      chunks[#chunks + 1] = ("%q"):format(c)
    end
    out[#out + 1] = ("{ chunks = { %s }, pause = %s, hold = %s, wait = %s },"):format(
      table.concat(chunks, ", "), tostring(answer.pause or 0), tostring(answer.hold or 0),
      tostring(answer.wait == true))
  end
  out[#out + 1] = ("lifetime = %s, host = %q }"):format(tostring(plan.lifetime or LIFETIME),
    plan.host or "127.0.0.1")
  return table.concat(out, "\n")
end

local Server = {}
Server.__index = Server

-- The raw requests the server read, once it has finished (after stop()).
function Server:requests()
  self:stop()
  local f = io.open(self.log_path, "rb")
  if not f then return {} end
  local text = f:read("*a")
  f:close()
  local chunk = load("return {" .. text .. "}")
  return chunk and chunk() or {}
end

function Server:arrived()
  local f = io.open(self.log_path, "rb")
  if not f then return 0 end
  local text = f:read("*a")
  f:close()
  local chunk = load("return {" .. text .. "}")
  local list = chunk and chunk()
  return list and #list or 0
end

function Server:release()
  local f = assert(io.open(self.plan_path .. ".go", "wb"))
  f:close()
end

-- Idempotent; waits for the process (it quits by itself at the end of the plan).
function Server:stop()
  if self.stopped then return end
  self.stopped = true
  os.execute("kill " .. self.pid .. " 2>/dev/null")
  self.proc:close()
  os.remove(self.plan_path)
  os.remove(self.plan_path .. ".go")
end

function M.start(plan)
  local self = setmetatable({ plan_path = os.tmpname(), log_path = os.tmpname() }, Server)
  local f = assert(io.open(self.plan_path, "wb"))
  f:write(plan_source(plan))
  f:close()
  local me = debug.getinfo(1, "S").source:sub(2)
  -- $$ is the shell's pid, which exec hands to the server
  self.proc = assert(io.popen(("echo $$; exec lua5.4 %s %s %s"):format(
    quote(me), quote(self.plan_path), quote(self.log_path)), "r"))
  self.pid = tonumber(self.proc:read("*l"))
  local port = tonumber(self.proc:read("*l"))
  if not (self.pid and port) then
    self:stop()
    error("raw_server did not start", 2)
  end
  local host = plan.host or "127.0.0.1"
  self.url = "http://" .. (host:find(":", 1, true) and "[" .. host .. "]" or host) .. ":" .. port
  return self
end

-- Run as a script: lua5.4 raw_server.lua PLAN LOG
if arg and arg[0] and arg[0]:match("raw_server%.lua$") and arg[1] and arg[2] then
  serve(arg[1], arg[2])
end

return M
