--- The OpenResty/nginx transport: HTTP/1.1 over ngx.socket.tcp, so a call
-- inside a request handler yields to the event loop instead of stalling the
-- worker as a blocking libcurl call would. Same shapes as transport.curl.
--
-- TLS is always verified against nginx's `lua_ssl_trusted_certificate`:
-- ngx_lua 0.10.23 can't take a CA file per socket, so a client with ca_file,
-- ca_path (or proxy) is refused when it is made. Host names need nginx's
-- `resolver`, except localhost.
-- @module mistapi.transport.ngx

local ngx_http = require "mistapi.transport.ngx_http"
local trust_of = require "mistapi.transport.ngx_trust"
local target = require "mistapi.target"
local config = require "mistapi.config"
local DEFAULTS = config.DEFAULTS
local COSOCKET_PHASES = require("mistapi.transport").COSOCKET_PHASES

local ngx = rawget(_G, "ngx")

local Ngx = {}
Ngx.__index = Ngx
Ngx.name = "ngx"

Ngx.KEEPALIVE_TIMEOUT = 60  -- seconds a pooled connection may stay idle (option keepalive_timeout)
Ngx.POOL_SIZE = 32          -- pooled connections for each pool (option pool_size)
local STALE_TRIES = 4       -- fresh tries when a pooled connection turns out closed
local SEND_PIECE = 16384    -- bytes a send may take: each piece gets only the time left

--- Why the ngx transport can't carry out these settings, or nil.
function Ngx.unusable(s)
  for _, name in ipairs { "ca_file", "ca_path" } do
    if s[name] then
      return ("%s: the ngx transport can't use a CA of its own (ngx_lua has no CA for each socket); "
        .. "nginx verifies HTTPS against lua_ssl_trusted_certificate in nginx.conf: name the CA there "
        .. "and drop %s, or use transport = \"curl\", which blocks the nginx worker"):format(name, name)
    end
  end
  if s.proxy then return "proxy: the ngx transport does not support a proxy; use transport = \"curl\"" end
  return nil
end

--- Opens the transport; it holds only settings (cosockets live per request).
-- @return the transport, or nil and why it can't carry out these settings
function Ngx.new(s)
  if not ngx then error("mistapi: transport \"ngx\" needs nginx with the Lua module", 4) end
  local why = Ngx.unusable(s)
  if why then return nil, why end
  return setmetatable({
    -- a client's settings come complete from mistapi.config; these are for a
    -- transport opened by hand (specs), from the same one source
    timeout = s.timeout or DEFAULTS.timeout,
    connect_timeout = s.connect_timeout or DEFAULTS.connect_timeout,
    max_body = s.max_body or DEFAULTS.max_body,
    allow_http = s.allow_http == true,
    base_url = s.base_url,
    keepalive_ms = math.max(1, math.floor((s.keepalive_timeout or Ngx.KEEPALIVE_TIMEOUT) * 1000)),
    pool_size = s.pool_size or Ngx.POOL_SIZE,
    user_agent = s.user_agent or config.user_agent("ngx_lua/" .. tostring(ngx.config.ngx_lua_version)),
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

-- A failure no retry can cure: the pipeline gives up at once.
local function refused(message)
  return { kind = "transport", reached = false, permanent = true, message = message }
end

local function not_here(phase)
  return refused(("cosockets are not available in the nginx %q phase; call mistapi from a rewrite, access or "
    .. "content handler, or defer the work with ngx.timer.at(0, fn)"):format(tostring(phase)))
end

-- A connection attempt's clock: each cosocket operation gets what is left
-- of the whole attempt's time, so `timeout` bounds the attempt end to end.
local Conn = {}
Conn.__index = Conn

local function ms(seconds)
  return math.max(1, math.floor(seconds * 1000))
end

function Conn:arm()
  local left = self.deadline - Ngx.now()
  if left <= 0 then
    return nil, { kind = "timeout", reached = self.reached,
                  message = ("the request took longer than timeout (%gs)"):format(self.timeout) }
  end
  self.sock:settimeouts(ms(left), ms(left), ms(left))
  return true
end

-- Sends in pieces: nginx restarts a send's timer whenever the peer takes
-- some bytes, so a slow reader could otherwise hold one send past the deadline.
function Conn:send(payload)
  local n = #payload
  local at = 1
  while at <= n do
    local ok, terr = self:arm()
    if not ok then return nil, terr end
    local piece = n <= SEND_PIECE and payload or payload:sub(at, at + SEND_PIECE - 1)
    self.reached = true   -- from here on the server may have seen (part of) it
    local sent, err = self.sock:send(piece)
    if not sent then return nil, select(2, ngx_http.fail("sending the request", err)) end
    at = at + #piece
  end
  return true
end

-- The pool name: a connection is reused only for the same peer, the same
-- pool size and, over TLS, the same trust (the location configuration that
-- verified it), server name and verification; nil when the trust can't be
-- known, and then the connection is not pooled.
function Ngx:pool_name(u)
  local name = ("mistapi:%s:%s:%d:%d"):format(u.scheme, u.host, u.port, self.pool_size)
  if u.scheme ~= "https" then return name end
  local trust = trust_of()
  if not trust then return nil end
  return name .. ":verify:sni=" .. u.host .. ":" .. trust
end

local function connect_failure(u, err, verb)
  local hint = ""
  if err and err:find("resolve", 1, true) then
    hint = "; nginx resolves names only with a `resolver` directive in nginx.conf"
  end
  return { kind = err == "timeout" and "timeout" or "transport", reached = false,
           message = ("%s %s:%d failed: %s%s"):format(verb, u.host, u.port, tostring(err), hint) }
end

local function handshake_failure(u, err)
  return { kind = err == "timeout" and "timeout" or "transport", reached = false,
           message = ("TLS handshake with %s:%d failed: %s; nginx verifies servers with lua_ssl_trusted_certificate"
             .. " (and lua_ssl_verify_depth)"):format(u.host, u.port, tostring(err)) }
end

-- Connects (maybe reusing a pooled connection) and does the TLS handshake.
-- `fresh`: a new connection, from a pool that never gets one back, so the
-- answer can't be lost to a pooled connection the server had closed.
-- -> conn ({sock, buf, deadline, pooled}) | nil, info
function Ngx:open(u, deadline, fresh)
  local sock, err = ngx.socket.tcp()
  if not sock then return nil, refused("cannot make a socket: " .. tostring(err)) end
  local pool = self:pool_name(u)
  local conn = setmetatable({ sock = sock, buf = "", deadline = deadline, timeout = self.timeout,
                              pooled = pool ~= nil and not fresh, reached = false }, Conn)
  local left = deadline - Ngx.now()
  local budget = math.min(self.connect_timeout, left)
  if budget <= 0 then return nil, connect_failure(u, "timeout", "connect to") end
  sock:settimeouts(ms(budget), ms(left), ms(left))
  -- nginx's resolver doesn't read /etc/hosts; localhost is the loopback
  local addr = u.host == "localhost" and "127.0.0.1" or u.host
  local ok
  -- a connection that will not be pooled gets a pool of its own, so it
  -- never takes one that is
  pool = conn.pooled and pool or ("mistapi:unpooled:" .. tostring(conn))
  ok, err = sock:connect(addr, u.port, conn.pooled and { pool = pool, pool_size = self.pool_size } or { pool = pool })
  if not ok then return nil, connect_failure(u, err, "connect to") end
  if u.scheme == "https" and sock:getreusedtimes() == 0 then
    -- the name lookup takes up to nginx's resolver_timeout, which the
    -- socket's timeouts don't bound: what is left may be gone already
    if not conn:arm() then sock:close(); return nil, handshake_failure(u, "timeout") end
    -- lua-resty-core 0.1.25 raises (an assert) instead of returning an error
    -- when a handshake that finished at once then failed verification. The
    -- session argument stays nil: with false it returns true there unchecked.
    local fine
    fine, ok, err = pcall(sock.sslhandshake, sock, nil, u.host, true)
    if not fine then
      ngx.log(ngx.DEBUG, "mistapi: sslhandshake raised: ", tostring(ok))
      ok, err = nil, "certificate verification failed (nginx's error log has the reason)"
    end
    if not ok then
      sock:close()
      return nil, handshake_failure(u, err)
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
  local sent, err = conn:send(payload)
  if not sent then
    sock:close()
    if reused and err.kind ~= "timeout" then return nil, nil, true end
    return nil, err
  end
  local resp, reusable, got = ngx_http.read_response(conn, req.method, self.max_body)
  if not resp then
    sock:close()
    if reused and not got and reusable.kind ~= "timeout" then return nil, nil, true end
    return nil, reusable
  end
  if reusable and conn.pooled then
    sock:setkeepalive(self.keepalive_ms, self.pool_size)
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
-- `ready(i)`, when given, is asked just before request i is sent: its
-- headers, or false to leave it unsent (answered `{ skipped = true }`);
-- `done(i, answer)` hears of each request sent as it ends.
function Ngx:batch(reqs, concurrency, ready, done)
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
  local next_index = 1
  local function worker()
    while next_index <= total do
      local i = next_index
      next_index = i + 1
      local headers = not ready or ready(i)
      if headers then
        if ready then reqs[i].headers = headers end
        local resp, info = self:request(reqs[i])
        results[i] = resp or { err = info }
        if done then done(i, results[i]) end
      else
        results[i] = { skipped = true }
      end
    end
  end
  local threads = {}
  for t = 1, math.min(concurrency, total) do
    local th, err = ngx.thread.spawn(worker)
    if not th then error("batch: cannot spawn a light thread: " .. tostring(err)) end
    threads[t] = th
  end
  local failure
  for t = 1, #threads do
    local ok, err = ngx.thread.wait(threads[t])
    if not ok then failure = failure or { err } end
  end
  if failure then error(failure[1], 0) end
  for i = 1, total do
    results[i] = results[i] or { err = { kind = "transport", reached = false, message = "not sent" } }
  end
  return results
end

--- Nothing to free: pooled connections belong to the nginx worker.
function Ngx.close(_) end

return Ngx
