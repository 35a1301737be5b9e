--- The libcurl transport: one `mistapi.core` session a client, so
-- connections, DNS and TLS sessions are kept between calls. The session is
-- made by the first call, so a client costs nothing until it is used.
-- @module mistapi.transport.curl

local config = require "mistapi.config"
local core = require "mistapi.lazy_core"
local target = require "mistapi.target"

local Curl = {}
Curl.__index = Curl
Curl.name = "curl"

--- Opens a transport with the client's settings.
function Curl.new(s)
  return setmetatable({ s = s }, Curl)
end

-- An answer whose `headers` table is made from the raw header block when
-- first read: most calls never read it, and making it costs about a tenth
-- of a small call.
local Answer = {}
function Answer.__index(resp, key)
  if key ~= "headers" then return nil end
  local h = core.headers(rawget(resp, "raw_headers"))
  rawset(resp, "headers", h)
  return h
end

-- The session, made on first use; a closed transport stays closed. Every
-- limit comes from the settings (mistapi.config's defaults): the core has
-- none of its own.
function Curl:open()
  if self.closed then error("session is closed", 3) end
  local s = self.s
  self.session = core.session {
    timeout = s.timeout,
    connect_timeout = s.connect_timeout,
    ca_file = s.ca_file,
    ca_path = s.ca_path,
    proxy = s.proxy,
    max_body = s.max_body,
    user_agent = s.user_agent or config.user_agent("libcurl/" .. core.curl_version()),
    allow_http = s.allow_http,
    raw_headers = true,
    no_env_proxy = s.no_env_proxy,
  }
  -- the clock without a Lua call around it, now that the core is loaded (the
  -- budget reads it before every call); a `clock` option's stays
  if rawget(self, "now") == nil then self.now = core.now end
  return self.session
end

--- One request, its answer as values: `status, raw_headers, body, decoded`,
-- or `nil, info`. With `whole` (a model's one shape), a 2xx answer that is
-- one object of it comes decoded and without its body (see session:request).
-- A single call's first attempt uses this (no answer table for a 2xx).
function Curl:send(method, url, headers, body, whole)
  -- the core's check first (a string on the base URL, nothing to refuse
  -- in it), so a good target costs one call; mistapi.target says why not
  if type(url) ~= "string" or not core.check_target(url, self.s.base_url) then
    local _, why = target.check_url(url, self.s.base_url)
    return nil, target.refusal(why)
  end
  return (self.session or self:open()):request(method, url, headers, body, whole)
end

--- An answer table of send's values: `{status, raw_headers, body, decoded}`,
-- its `headers` made when first read.
function Curl.answer(status, raw, body, decoded)
  return setmetatable({ status = status, raw_headers = raw, body = body, decoded = decoded }, Answer)
end

--- One request: `{method, url, headers, body}` -> resp | nil, info (send's
-- values as an answer table).
function Curl:request(req, whole)
  local status, raw, body, decoded = self:send(req.method, req.url, req.headers, req.body, whole)
  if not status then return nil, raw end
  return Curl.answer(status, raw, body, decoded)
end

--- Many requests at once, results in input order (the session reads the
-- same named fields, so the requests go as they are). A request whose
-- target `mistapi.target` refuses is answered `{ err = ... }`, unsent.
-- `ready(i)`, when given, is asked just before request i starts: its
-- headers, or false to leave it unsent (answered `{ skipped = true }`);
-- `done(i, answer)` hears of each request sent as it ends.
function Curl:batch(reqs, concurrency, ready, done)
  local session = self.session or self:open()
  local base, refused = self.s.base_url, nil
  for i = 1, #reqs do
    local ok, why = target.check_url(reqs[i].url, base)
    if not ok then
      refused = refused or {}
      refused[i] = { err = target.refusal(why) }
    end
  end
  local send, index = reqs, nil
  if refused then
    send, index = {}, {}
    for i = 1, #reqs do
      if not refused[i] then
        send[#send + 1] = reqs[i]
        index[#send] = i
      end
    end
  end
  if ready and index then
    local asked = ready
    ready = function(k) return asked(index[k]) end
  end
  if done then
    local told = done
    done = function(k, answer)
      if answer.raw_headers then setmetatable(answer, Answer) end
      told(index and index[k] or k, answer)
    end
  end
  local answers = #send > 0 and session:batch(send, concurrency, ready, done) or {}
  for i = 1, #answers do
    if answers[i].raw_headers then setmetatable(answers[i], Answer) end
  end
  if not refused then return answers end
  for k = 1, #send do refused[index[k]] = answers[k] end
  return refused
end

function Curl.sleep(seconds) return core.sleep(seconds) end
function Curl.now() return core.now() end

function Curl:close()
  if self.session then
    self.session:close()
  else
    self.closed = true
  end
end

return Curl
