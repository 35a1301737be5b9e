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
--   path = "/api/v1/orgs/ID"  counts refuse_at and timeout_at among the requests to that
--                   org only (its list may go out in a bulk with other orgs', in
--                   any order); stop_after counts every request.
--   alone = n       in a bulk, sends it by itself on a connection of its own (the
--                   request an emulator fault is armed for)
-- It wraps mistapi.transport.curl's send method (every single request, a
-- call's first attempt and its retries, goes through it) and its batch (the
-- bulk's requests), only while a case runs.
--   local wire = require "support.simulation.wire"
--   wire.install { refuse_at = 3 }; ...; wire.uninstall(); wire.count()
local core = require "mistapi.core"
local ports = require "support.ports"
local Curl = require "mistapi.transport.curl"

local M = {}

local original, original_batch = Curl.send, Curl.batch
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

-- The request an emulator fault is armed for, when it goes out in a bulk: sent by
-- itself on a connection of its own. libcurl sends a request again when a reused
-- connection closes unanswered; which of a bulk's requests gets the pooled one
-- varies, and so would what the failure leaves.
local function alone(self, req)
  local session = core.session { allow_http = true, timeout = self.s.timeout, connect_timeout = self.s.connect_timeout,
    raw_headers = true }
  local status, raw, text = session:request(req.method, req.url, req.headers or {}, req.body)
  session:close()
  return status and Curl.answer(status, raw, text) or { err = raw }
end

-- The index a request counts as for refuse_at and timeout_at: among the requests
-- whose URL holds plan.path (an org's own, when a run covers several orgs and
-- their lists go out together in any order), else among all. nil: not counted.
local function counter(plan)
  local on_path = 0
  return function(url)
    if not plan.path then return count end
    if url:find(plan.path, 1, true) then
      on_path = on_path + 1
      return on_path
    end
  end
end

function M.install(plan)
  plan = plan or {}
  count = 0
  local index = counter(plan)
  Curl.send = function(self, method, url, headers, body, whole)
    count = count + 1
    local n = index(url)
    if n and plan.refuse_at == n then return refused(method, url, headers, body) end
    if n and plan.timeout_at == n then return timed_out(method, url, headers, body) end
    local status, raw, text, decoded = original(self, method, url, headers, body, whole)
    if plan.stop_after == count then coroutine.yield("stopped") end
    return status, raw, text, decoded
  end
  -- the bulk's requests (the lists of several orgs): counted in the order given;
  -- the one a case names is refused or timed out alone, the others sent together,
  -- and a stop after any of them comes once all are answered
  -- (ready and done as the transport's own batch takes them: a request's headers
  -- asked just before it goes, false leaving it unsent; done told of each one sent)
  Curl.batch = function(self, reqs, concurrency, ready, done)
    local first, answers, rest, at = count + 1, {}, {}, {}
    for k, req in ipairs(reqs) do
      count = count + 1
      local n = index(req.url)
      local by_itself = n and (plan.refuse_at == n or plan.timeout_at == n or plan.alone == n)
      if by_itself then
        local headers = req.headers
        if ready then headers = ready(k) end
        if headers == false then
          answers[k] = { skipped = true }
        else
          local one = { method = req.method, url = req.url, headers = headers, body = req.body }
          if plan.refuse_at == n then
            local _, info = refused(one.method, one.url, one.headers, one.body)
            answers[k] = { err = info }
          elseif plan.timeout_at == n then
            local status, raw, text = timed_out(one.method, one.url, one.headers, one.body)
            answers[k] = status and Curl.answer(status, raw, text) or { err = raw }
          else
            answers[k] = alone(self, one)
          end
          if done then done(k, answers[k]) end
        end
      else
        rest[#rest + 1] = req
        at[#rest] = k
      end
    end
    local got = #rest > 0 and original_batch(self, rest, concurrency, ready and function(j) return ready(at[j]) end,
      done and function(j, a) return done(at[j], a) end) or {}
    for j, a in ipairs(got) do answers[at[j]] = a end
    if plan.stop_after and plan.stop_after >= first and plan.stop_after <= count then
      coroutine.yield("stopped")
    end
    return answers
  end
end

function M.uninstall()
  Curl.send, Curl.batch = original, original_batch
end

--- The requests sent since install.
function M.count()
  return count
end

return M
