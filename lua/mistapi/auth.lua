--- Login sessions: email and password (and a two-factor code when the
-- account asks), the session cookies kept, `X-CSRFToken` on writes, logout.
-- Used when a client has an email and password and no API token. The
-- pipeline calls `add_headers`, `observe`, `expire`, `ensure` (a lazy login
-- before the first call) and `secrets`; the client calls `login` and `logout`.
--
-- Calls that run at once on one client (light threads inside nginx) share
-- the session: each login starts a new generation of it (a fresh cookie
-- jar), an attempt remembers the generation its headers came from, and
-- only an answer of the current generation may change the cookies or end
-- the session. One login runs at a time; the calls that need it meanwhile
-- wait for it and then go with the new session.
-- @module mistapi.auth

local core = require "mistapi.core"
local cookies = require "mistapi.cookies"
local errors = require "mistapi.errors"

local Auth = { __name = "mistapi.Auth" }
Auth.__index = Auth

local auth = {}

local LOGIN = "/api/v1/login"
local TWO_FACTOR = "/api/v1/login/two_factor"
local LOGOUT = "/api/v1/logout"
local SELF = "/api/v1/self"

-- Reads and writes: only writes need the CSRF token (as Django checks it).
local SAFE_METHODS = { GET = true, HEAD = true, OPTIONS = true }

-- Login and logout are not replayed blindly: the same rules as a create.
local POST_POLICY = { idempotent = false, response = nil }
local LOGOUT_POLICY = { idempotent = false, response = "empty" }
local SELF_POLICY = { idempotent = true, response = nil }

--- A session for `settings.email` / `settings.password` over `pipeline`.
function auth.new(settings, pipeline)
  return setmetatable({
    email = settings.email,
    password = settings.password,
    two_factor = settings.two_factor,
    pipeline = pipeline,
    jar = {},             -- cookie name -> value, from the server's Set-Cookie
    logged_in = false,
    generation = 0,       -- the session's; each login and each expiry starts a new one
    logging_in = false,   -- a login is under way (the others wait for it)
  }, Auth)
end

function Auth:__tostring()
  return ("mistapi.Auth (%s, %s)"):format(self.email or "?", self.logged_in and "logged in" or "logged out")
end

-- The CSRF cookie: `csrftoken`, or a cloud-suffixed `csrftoken.<x>`.
function Auth:csrf_token()
  local v = self.jar.csrftoken
  if v then return v end
  for name, value in pairs(self.jar) do
    if name:sub(1, 10) == "csrftoken." then return value end
  end
  return nil
end

--- Adds the session's headers to an attempt's headers; returns the
-- session's generation they belong to.
function Auth:add_headers(h, method)
  h.Cookie = cookies.header(self.jar)
  if not SAFE_METHODS[method] then
    h["X-CSRFToken"] = self:csrf_token()
  end
  return self.generation
end

--- Keeps the cookies a successful answer sets (or clears), when it answers
-- an attempt of the current session (`generation`; nil: the current one).
function Auth:observe(resp, generation)
  if generation ~= nil and generation ~= self.generation then return end
  cookies.absorb(self.jar, resp.headers and resp.headers["set-cookie"])
end

--- What must never show: the password and every cookie value.
function Auth:secrets()
  local list = { self.password }
  for _, v in pairs(self.jar) do list[#list + 1] = v end
  return list
end

function Auth:post(path, body, policy)
  return self.pipeline:call({ method = "POST", path = path, body = body and core.encode(body), skip_login = true },
    policy or POST_POLICY)
end

-- pcall, except where PUC Lua 5.1 would have to yield across it: a login
-- inside a job of mistapi.interleave (apply across orgs) runs there in a
-- coroutine of its own, so its requests go straight out instead of side by
-- side with the other jobs' (5.2+ and LuaJIT yield across pcall).
local function protected(f, ...)
  if _VERSION ~= "Lua 5.1" or rawget(_G, "jit") or not coroutine.running() then return pcall(f, ...) end
  return coroutine.resume(coroutine.create(f), ...)
end

--- Logs in: POST /api/v1/login, then POST /api/v1/login/two_factor when the
-- account asks for a second factor.
-- @param opts optional {two_factor = "123456"} (default: the client's option)
-- @return a result whose `data` is the server's answer, or nil, err
function Auth:login(opts)
  if opts ~= nil and type(opts) ~= "table" then error("login: options must be a table", 3) end
  local code = opts and opts.two_factor
  if code ~= nil and type(code) ~= "string" then error("login: two_factor must be a string", 3) end
  code = code or self.two_factor
  -- while it runs, the calls that need a session wait for it (ensure)
  self.logging_in, self.login_error = true, nil
  local fine, res, err = protected(self.open_session, self, code)
  self.logging_in = false
  if not fine then error(res, 0) end
  if not res then self.login_error = err end
  return res, err
end

-- The login's requests, on a new generation of the session.
function Auth:open_session(code)
  self.jar, self.logged_in, self.generation = {}, false, self.generation + 1
  local res, err = self:post(LOGIN, { email = self.email, password = self.password })
  if not res then return nil, err end
  if type(res.data) == "table" and res.data.two_factor_required then
    if not code then
      self.jar = {}
      return nil, errors.validation("login: this account asks for a two-factor code; pass two_factor = \"...\"")
    end
    res, err = self:post(TWO_FACTOR, { two_factor = code })
    if not res then
      self.jar = {}
      return nil, err
    end
  end
  self.logged_in = true
  return res
end

-- How often a call that waits for another's login looks again, and for how
-- many timeouts at most (a login is two calls and their retries).
local LOGIN_POLL = 0.005
local LOGIN_WAIT_TIMEOUTS = 4

-- Waits for the login under way (another light thread's): the transport's
-- sleep yields inside nginx. -> true | nil, the login's error.
function Auth:await_login()
  local t = self.pipeline.transport
  local s = self.pipeline.s
  local limit = t.now() + LOGIN_WAIT_TIMEOUTS * (s.timeout or 30)
  -- bounded by count too: a clock option's sleep may not really sleep
  for _ = 1, 1e6 do
    if not self.logging_in then break end
    if t.now() > limit then
      return nil, errors.new("timeout", "login: another call's login did not end in time")
    end
    t.sleep(LOGIN_POLL)
  end
  if self.logged_in then return true end
  if self.login_error then return nil, self.login_error end
  -- the session it opened has ended already (a 401 since): open another
  local res, err = self:login()
  if not res then return nil, err end
  return true
end

--- Logs in unless the session is already open: one login at a time, the
-- calls that need one meanwhile wait for it. For the pipeline.
function Auth:ensure()
  if self.logged_in then return true end
  if self.logging_in then return self:await_login() end
  local res, err = self:login()
  if not res then return nil, err end
  return true
end

--- Forgets a session the server no longer knows: the one of `generation`
-- (nil: the current one), unless a newer one is open or under way already.
function Auth:expire(generation)
  if generation ~= nil and generation ~= self.generation then return end
  if not self.logged_in then return end
  self.jar, self.logged_in, self.generation = {}, false, self.generation + 1
end

--- Logs out: POST /api/v1/logout. The cookies are forgotten whatever the
-- server says, so a failed logout never leaves a half-open session here.
function Auth:logout()
  if not self.logged_in then
    self.jar = {}
    return nil, errors.validation("logout: not logged in")
  end
  local res, err = self:post(LOGOUT, nil, LOGOUT_POLICY)
  self.jar, self.logged_in, self.generation = {}, false, self.generation + 1
  return res, err
end

--- GET /api/v1/self through any pipeline (token or session).
function auth.get_self(pipeline)
  return pipeline:call({ method = "GET", path = SELF }, SELF_POLICY)
end

return auth
