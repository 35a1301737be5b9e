-- Prism's validating proxy (`prism proxy --errors`) in front of an emulator, for the
-- conformance specs: Prism answers 500 when an answer breaks the project's copy of the
-- spec (api/), 422 when a request does.
--   local prism = require "support.prism"
--   if prism.installed() then local base, pid, log = prism.start(e.url) ... prism.stop(pid, log) end
--   prism.call(http, base, method, path, headers, body) -> status, decoded body | nil, headers, text
-- or, for a describe block, an emulator with Prism in front and a session to call through:
--   local front = prism.front()
--   setup(function() e, base, http = front:start() end)
--   teardown(function() front:stop() end)
local socket = require "socket"
local cjson = require "cjson"
local shell = require "support.shell"
local ports = require "support.ports"
local emu = require "support.emulator"
local core = require "mistapi.core"

local M = {}

local ROOT = emu.SCRIPT:gsub("/emulator/bin/mist%-emulator$", "")
local PRISM = ROOT .. "/tools/node_modules/.bin/prism"
M.SPEC = ROOT .. "/api/mist-apitokens.openapi.json"

local read_all = shell.read_file

function M.installed()
  return shell.exists(PRISM)
end

-- One try at `prism proxy --errors` on `port`: -> { base url, pid, log path } | nil, why
local function launch(upstream, port)
  local log = os.tmpname()
  local pidfile = os.tmpname()
  os.execute(("%s proxy --errors -h 127.0.0.1 -p %d %s %s >%s 2>&1 </dev/null & echo $! >%s")
    :format(PRISM, port, M.SPEC, upstream, log, pidfile))
  local pid = tonumber(read_all(pidfile))
  os.remove(pidfile)
  -- Up only once it says so in its own log: while it loads (a second or a
  -- few), a connect to the port reaches whoever else may have bound it.
  local up = "Prism is listening on http://127.0.0.1:" .. port
  for _ = 1, 600 do -- up to 60 s
    local text = read_all(log)
    if ports.lost_race(text) then break end
    if text:find(up, 1, true) then
      return { "http://127.0.0.1:" .. port, pid, log }
    end
    local r = os.execute("kill -0 " .. pid .. " 2>/dev/null")
    if r ~= true and r ~= 0 then break end
    socket.sleep(0.1)
  end
  os.execute("kill " .. pid)
  local why = read_all(log)
  os.remove(log)
  return nil, why
end

-- Start `prism proxy --errors` in front of `upstream`; -> base url, pid, log path
function M.start(upstream)
  local r, why = ports.retry(1, function(p) return launch(upstream, p[1]) end)
  if not r then error("prism did not start: " .. tostring(why)) end
  return r[1], r[2], r[3]
end

function M.stop(pid, log)
  if pid then os.execute("kill " .. pid .. " 2>/dev/null") end
  if log then os.remove(log) end
end

local Front = {}
Front.__index = Front

function M.front()
  return setmetatable({}, Front)
end

-- Starts an emulator, Prism in front of it and a session for raw calls through it.
-- -> the emulator, Prism's base url, the session
function Front:start()
  self.e = emu.start()
  self.base, self.pid, self.log = M.start(self.e.url)
  self.http = core.session{ allow_http = true, timeout = 30 }
  return self.e, self.base, self.http
end

-- Stops whatever start got to start.
function Front:stop()
  if self.http then self.http:close() end
  M.stop(self.pid, self.log)
  if self.e then self.e:stop() end
end

-- Long alphanumeric runs may be a key or a cookie echoed in a violation: never print them.
function M.redact(text)
  return (tostring(text):gsub(("%w"):rep(40) .. "+", "<redacted>"))
end

-- One request through the proxy on a mistapi.core session; raises (at the caller's
-- caller) with Prism's violation when Prism flags the request (422) or the answer (500).
-- -> status, decoded body (nil if none or no JSON), headers, raw text
function M.call(http, base, method, path, headers, body)
  local status, h, text = http:request(method, base .. path, headers, body)
  assert(status, h and h.message)
  if status == 500 or status == 422 then
    error("prism flagged " .. method .. " " .. path .. ": " .. status .. " " .. M.redact(text), 3)
  end
  local ok, data = pcall(cjson.decode, text)
  return status, ok and data or nil, h, text
end

-- Like call, but for an answer Prism is expected to flag: -> status, Prism's raw text
function M.flagged(http, base, method, path, headers, body)
  local status, _, text = http:request(method, base .. path, headers, body)
  return status, text
end

return M
