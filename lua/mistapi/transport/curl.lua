--- The libcurl transport: one `mistapi.core` session a client, so
-- connections, DNS and TLS sessions are kept between calls.
-- @module mistapi.transport.curl

local core = require "mistapi.core"

local Curl = {}
Curl.__index = Curl
Curl.name = "curl"

--- Opens a transport with the client's settings.
function Curl.new(s)
  local session = core.session {
    timeout = s.timeout,
    connect_timeout = s.connect_timeout,
    ca_file = s.ca_file,
    ca_path = s.ca_path,
    proxy = s.proxy,
    max_body = s.max_body,
    user_agent = s.user_agent,
    allow_http = s.allow_http,
  }
  return setmetatable({ session = session }, Curl)
end

--- One request: `{method, url, headers, body}` -> resp | nil, info.
function Curl:request(req)
  local status, headers, body = self.session:request(req.method, req.url, req.headers, req.body)
  if not status then return nil, headers end
  return { status = status, headers = headers, body = body }
end

--- Many requests at once, results in input order (the session reads the
-- same named fields, so the requests go as they are).
function Curl:batch(reqs, concurrency, progress)
  return self.session:batch(reqs, concurrency, progress)
end

Curl.sleep = core.sleep
Curl.now = core.now

function Curl:close()
  self.session:close()
end

return Curl
