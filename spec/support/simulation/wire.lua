-- The client's side of the wire, for the failure simulation: counts the HTTP
-- requests of a run (every client the run makes, the verify's too) and, for
-- the one request a case names,
--   refuse_at = n   sends it to a loopback port nothing listens on instead:
--                   libcurl's own "connection refused", the request never reached
--                   the server (no emulator fault can show that: the server
--                   would have to have seen it);
--   timeout_at = n  sends it with a timeout of half a second (a session of its own,
--                   to the same server), so the run's other requests keep the usual
--                   timeout however slow the machine;
--   stop_after = n  lets it through, then yields from the run's coroutine,
--                   which the case never resumes: a library caller killed right
--                   after that step (its callbacks' effects stay, nothing after
--                   it happens).
-- It wraps mistapi.transport.curl's send method (every single request, a
-- call's first attempt and its retries, goes through it), only while a case runs.
--   local wire = require "support.simulation.wire"
--   wire.install { refuse_at = 3 }; ...; wire.uninstall(); wire.count()
local core = require "mistapi.core"
local ports = require "support.ports"
local Curl = require "mistapi.transport.curl"

local M = {}

local original = Curl.send
local count = 0

local function refused(method, url, headers, body)
  local dead_url = "http://127.0.0.1:" .. ports.dead()
  local session = core.session { allow_http = true, timeout = 5, connect_timeout = 5 }
  local path = url:match("^https?://[^/]+(/.*)$") or "/"
  local status, info = session:request(method, dead_url .. path, headers or {}, body)
  session:close()
  if status then error("a port nothing listens on answered: the simulation can't refuse a request") end
  return nil, info
end

local SHORT = 0.5

local function timed_out(method, url, headers, body)
  local session = core.session { allow_http = true, timeout = SHORT, raw_headers = true }
  local status, raw, text = session:request(method, url, headers or {}, body)
  session:close()
  return status, raw, text
end

function M.install(plan)
  plan = plan or {}
  count = 0
  Curl.send = function(self, method, url, headers, body, whole)
    count = count + 1
    if plan.refuse_at == count then return refused(method, url, headers, body) end
    if plan.timeout_at == count then return timed_out(method, url, headers, body) end
    local status, raw, text, decoded = original(self, method, url, headers, body, whole)
    if plan.stop_after == count then coroutine.yield("stopped") end
    return status, raw, text, decoded
  end
end

function M.uninstall()
  Curl.send = original
end

--- The requests sent since install.
function M.count()
  return count
end

return M
