--- The OpenResty/nginx transport: HTTP/1.1 over ngx.socket.tcp, so a call
-- inside a request handler yields to the event loop instead of stalling the
-- worker as a blocking libcurl call would. Same shapes as transport.curl.
--
-- TLS is always verified against nginx's `lua_ssl_trusted_certificate`
-- (ngx_lua 0.10.23 can't take a CA file per socket, so the client's ca_file
-- is not used here); host names need nginx's `resolver`, except localhost.
-- @module mistapi.transport.ngx

local ngx_http = require "mistapi.transport.ngx_http"
local target = require "mistapi.target"
local COSOCKET_PHASES = require("mistapi.transport").COSOCKET_PHASES

local ngx = rawget(_G, "ngx")

local Ngx = {}
Ngx.__index = Ngx
Ngx.name = "ngx"

local KEEPALIVE_MS = 60000  -- idle time of a pooled connection
local POOL_SIZE = 32        -- pooled connections for each host and TLS setting
local STALE_TRIES = 4       -- fresh tries when a pooled connection turns out closed
local VERSION = "0.2.0"

--- Opens the transport; it holds only settings (cosockets live per request).
function Ngx.new(s)
  if not ngx then error("mistapi: transport \"ngx\" needs nginx with the Lua module", 4) end
  return setmetatable({
    timeout = s.timeout or 30,
    connect_timeout = s.connect_timeout or 10,
    max_body = s.max_body or 64 * 1024 * 1024,
    allow_http = s.allow_http == true,
    ca_file = s.ca_file or s.ca_path,
    proxy = s.proxy,
    base_url = s.base_url,
    user_agent = s.user_agent or ("mistapi-lua/" .. VERSION .. " ngx_lua/" .. tostring(ngx.config.ngx_lua_version)),
  }, Ngx)
end

--- Seconds, as a float, from nginx's cached clock refreshed first.
function Ngx.now()
  ngx.update_time()
  return ngx.now()
end

-- ngx.sleep yields; where yielding is not allowed the pipeline's retries
-- would raise, so there they simply don't wait (the call fails anyway).
function Ngx.sleep(seconds)
  if COSOCKET_PHASES[ngx.get_phase()] then ngx.sleep(seconds) end
end

local function not_here(phase)
  return {
    kind = "transport", reached = false,
    message = ("cosockets are not available in the nginx %q phase; call mistapi from a rewrite, access or "
      .. "content handler, or defer the work with ngx.timer.at(0, fn)"):format(tostring(phase)),
  }
end

local function refused(message)
  return { kind = "transport", reached = false, message = message }
end

-- A connection attempt's clock: each cosocket operation gets what is left
-- of the whole attempt's time, so `timeout` bounds the attempt end to end.
local Conn = {}
Conn.__index = Conn

function Conn:arm()
  local left = self.deadline - Ngx.now()
  if left <= 0 then
    return nil, { kind = "timeout", reached = true,
                  message = ("the request took longer than timeout (%gs)"):format(self.timeout) }
  end
  self.sock:settimeout(math.max(1, math.floor(left * 1000)))
  return true
end

-- The pool name: a connection is only reused for the same peer and TLS setting.
local function pool_name(u)
  return ("mistapi:%s:%s:%d"):format(u.scheme, u.host, u.port) .. (u.scheme == "https" and ":verify" or "")
end

local function connect_failure(u, err, verb)
  local hint = ""
  if err and err:find("resolve", 1, true) then
    hint = "; nginx resolves names only with a `resolver` directive in nginx.conf"
  end
  return { kind = err == "timeout" and "timeout" or "transport", reached = false,
           message = ("%s %s:%d failed: %s%s"):format(verb, u.host, u.port, tostring(err), hint) }
end

function Ngx:handshake_failure(u, err)
  local hint = "; nginx verifies servers with lua_ssl_trusted_certificate (and lua_ssl_verify_depth)"
  if self.ca_file then hint = hint .. "; the client's ca_file is not used by the ngx transport" end
  return { kind = err == "timeout" and "timeout" or "transport", reached = false,
           message = ("TLS handshake with %s:%d failed: %s%s"):format(u.host, u.port, tostring(err), hint) }
end

-- Connects (maybe reusing a pooled connection) and does the TLS handshake.
-- `fresh`: a new connection, from a pool that never gets one back, so the
-- answer can't be lost to a pooled connection the server had closed.
function Ngx:open(u, deadline, fresh)
  local sock, err = ngx.socket.tcp()
  if not sock then return nil, refused("cannot make a socket: " .. tostring(err)) end
  local conn = setmetatable({ sock = sock, deadline = deadline, timeout = self.timeout }, Conn)
  local left = deadline - Ngx.now()
  local budget = math.min(self.connect_timeout, left)
  if budget <= 0 then return nil, connect_failure(u, "timeout", "connect to") end
  sock:settimeout(math.max(1, math.floor(budget * 1000)))
  -- nginx's resolver doesn't read /etc/hosts; localhost is the loopback
  local addr = u.host == "localhost" and "127.0.0.1" or u.host
  local ok
  local pool = fresh and (pool_name(u) .. "#fresh") or pool_name(u)
  ok, err = sock:connect(addr, u.port, { pool = pool, pool_size = POOL_SIZE })
  if not ok then return nil, connect_failure(u, err, "connect to") end
  if u.scheme == "https" and sock:getreusedtimes() == 0 then
    -- lua-resty-core 0.1.25 raises (an assert) instead of returning an error
    -- when a handshake that finished at once then failed verification
    local fine
    fine, ok, err = pcall(sock.sslhandshake, sock, nil, u.host, true)
    if not fine then
      ngx.log(ngx.DEBUG, "mistapi: sslhandshake raised: ", tostring(ok))
      ok, err = nil, "certificate verification failed (nginx's error log has the reason)"
    end
    if not ok then
      sock:close()
      return nil, self:handshake_failure(u, err)
    end
  end
  return conn
end

-- One exchange on one connection: -> resp | nil, info, stale (a pooled
-- connection the server had closed before answering). A POST goes on a
-- fresh connection: sent again on another one after the server may have
-- made the token, it would make a second.
function Ngx:exchange(u, req, payload, deadline)
  local fresh = req.method == "POST"
  local conn, info = self:open(u, deadline, fresh)
  if not conn then return nil, info end
  local sock = conn.sock
  local reused = sock:getreusedtimes() > 0
  local ok, terr = conn:arm()
  if not ok then sock:close(); return nil, terr end
  local sent, err = sock:send(payload)
  if not sent then
    sock:close()
    if reused then return nil, nil, true end
    local failure = select(2, ngx_http.fail("sending the request", err))
    return nil, failure
  end
  local resp, reusable, got = ngx_http.read_response(conn, req.method, self.max_body)
  if not resp then
    sock:close()
    if reused and not got and reusable.kind ~= "timeout" then return nil, nil, true end
    return nil, reusable
  end
  if reusable and not fresh then
    sock:setkeepalive(KEEPALIVE_MS, POOL_SIZE)
  else
    sock:close()
  end
  return resp
end

--- One request: `{method, url, headers, body}` -> resp | nil, info.
function Ngx:request(req)
  local phase = ngx.get_phase()
  if not COSOCKET_PHASES[phase] then return nil, not_here(phase) end
  local ok, why = target.check_url(req.url, self.base_url)
  if not ok then return nil, target.refusal(why) end
  local u, perr = ngx_http.parse_url(req.url)
  if not u then return nil, refused("bad URL: " .. perr) end
  if u.scheme == "http" and not self.allow_http then
    return nil, refused("plain http is not allowed for this client")
  end
  if self.proxy then return nil, refused("the ngx transport does not support proxy; use transport = \"curl\"") end
  local payload, ferr = ngx_http.format_request(req.method, u, req.headers, req.body, self.user_agent)
  if not payload then return nil, refused("bad request: " .. ferr) end
  local deadline = Ngx.now() + self.timeout
  for _ = 1, STALE_TRIES do
    local resp, info, stale = self:exchange(u, req, payload, deadline)
    if not stale then return resp, info end
  end
  return nil, { kind = "transport", reached = true, message = "the server closed the connection without answering" }
end

--- Many requests at once with ngx.thread.spawn, at most `concurrency` in
-- flight; results in input order, each `{status, headers, body}` or `{err}`.
function Ngx:batch(reqs, concurrency, progress)
  if type(reqs) ~= "table" then error("batch: requests must be an array", 2) end
  if type(concurrency) ~= "number" or concurrency < 1 or concurrency ~= math.floor(concurrency) then
    error("batch: concurrency must be a whole number >= 1", 2)
  end
  local total = #reqs
  local results = {}
  local phase = ngx.get_phase()
  if not COSOCKET_PHASES[phase] then
    for i = 1, total do results[i] = { err = not_here(phase) } end
    return results
  end
  local next_index, done = 1, 0
  local progress_error
  local function worker()
    while next_index <= total and not progress_error do
      local i = next_index
      next_index = i + 1
      local resp, info = self:request(reqs[i])
      results[i] = resp or { err = info }
      done = done + 1
      if progress then
        local ok, err = pcall(progress, done, total)
        if not ok then progress_error = progress_error or { err } end
      end
    end
  end
  local threads = {}
  for t = 1, math.min(concurrency, total) do
    local th, err = ngx.thread.spawn(worker)
    if not th then error("batch: cannot spawn a light thread: " .. tostring(err)) end
    threads[t] = th
  end
  for t = 1, #threads do
    local ok, err = ngx.thread.wait(threads[t])
    if not ok then progress_error = progress_error or { err } end
  end
  if progress_error then error(progress_error[1], 0) end
  for i = 1, total do
    results[i] = results[i] or { err = { kind = "transport", reached = false, message = "not sent" } }
  end
  return results
end

--- Nothing to free: pooled connections belong to the nginx worker.
function Ngx.close(_) end

return Ngx
