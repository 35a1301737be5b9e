--- Client options: defaults, the environment, and checks.
-- Wrong types raise (a programming error); values that can't work (no token,
-- plain http to a remote host) return `nil, err`.
-- @module mistapi.config

local errors = require "mistapi.errors"
local clouds = require "mistapi.clouds"

local config = {}

--- This release: the one place it is stated in the code (the rockspec's
-- name and version say it too; spec/09-version_spec.lua checks they agree).
config.VERSION = "0.2.0"

--- The User-Agent a client sends unless its `user_agent` option says
-- otherwise: this release, then the HTTP engine under it (`libcurl/8.1.2`,
-- `ngx_lua/10026`), which the transport names.
function config.user_agent(engine)
  return "mistapi-lua/" .. config.VERSION .. " " .. engine
end

-- The client's defaults, the only ones: the transports get them from the
-- settings (the C core has none of its own).
local DEFAULTS = {
  timeout = 30,
  connect_timeout = 10,
  max_retries = 3,
  retry_base = 1,
  retry_cap = 60,
  max_body = 64 * 1024 * 1024,
  transport = "auto",
  budget = "memory:",
  budget_limit = 5000,
  budget_window = 3600,
}
config.DEFAULTS = DEFAULTS

-- A bulk call's items in flight at once: by default, and at most.
config.CONCURRENCY = 8
config.MAX_CONCURRENCY = 64

local TYPES = {
  base_url = "string", host = "string", cloud = "string", token = "string", tokens = "table",
  timeout = "number", connect_timeout = "number", max_retries = "number", retry_base = "number",
  retry_cap = "number", deadline = "number", ca_file = "string", ca_path = "string",
  proxy = "string", insecure_http = "boolean", max_body = "number", user_agent = "string",
  transport = "string", log = "function", pass_unknown_fields = "boolean", env_file = "string",
  email = "string", password = "string", two_factor = "string", getenv = "function",
  org_id = "string", clock = "table", max_decoded = "number",
  keepalive_timeout = "number", pool_size = "number",
  budget = "string", budget_limit = "number", budget_window = "number", budget_wait = "number",
}

-- The variables the library reads, first wins within a row; the README's table lists them.
-- MIST_BASE_URL is 0.1.0's name for the API (what its demo exported): still read, never with a
-- MIST_HOST that says otherwise.
config.VARIABLES = {
  "MIST_HOST", "MIST_BASE_URL", "MIST_APITOKEN", "MIST_API_TOKEN", "MIST_USER", "MIST_PASSWORD",
  "MIST_ORG_ID", "MIST_ENV_FILE", "MIST_BUDGET",
}

-- Edit distance, to suggest the option a misspelt name meant.
local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      local cost = a:byte(i) == b:byte(j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

--- The name in `known` (an array, or a table's keys) a misspelt `name` most
-- likely meant, or nil when none is close: the one rule for "did you mean",
-- used by `mistapi.new` and the command line.
function config.closest(name, known)
  local best, best_d
  local list = known
  if known[1] == nil then
    list = {}
    for k in pairs(known) do list[#list + 1] = k end
  end
  for _, k in ipairs(list) do
    local d = distance(name, k)
    if k:sub(1, #name) == name or name:sub(1, #k) == k then d = math.min(d, 2) end
    if d <= math.max(2, math.floor(#name / 3)) and (not best_d or d < best_d or (d == best_d and k < best)) then
      best, best_d = k, d
    end
  end
  return best
end

-- "unknown option "max_retry" (did you mean `max_retries`?)"
local function unknown_option(name)
  local best = config.closest(name, TYPES)
  local msg = ("mistapi.new: unknown option %q"):format(name)
  if best then msg = msg .. (" (did you mean `%s`?)"):format(best) end
  return msg
end
config.unknown_option = unknown_option

-- "~/x" and "~" name the user's home, as the Python SDK's env_file = "~/.mist_env" does.
local function expand_home(path, getenv)
  if path:sub(1, 1) ~= "~" or (#path > 1 and path:sub(2, 2) ~= "/") then return path end
  local home = getenv("HOME")
  if not home or home == "" then return nil, "env_file: can't expand ~: HOME is not set" end
  return home .. path:sub(2)
end

-- KEY=VALUE lines, '#' comments, optional quotes; what python-dotenv reads.
local function read_env_file(path, getenv)
  local expanded, xerr = expand_home(path, getenv)
  if not expanded then return nil, xerr end
  local f, err = io.open(expanded, "r")
  if not f then return nil, "env_file: " .. tostring(err) end
  local vars = {}
  for line in f:lines() do
    local k, v = line:match("^%s*export%s+([%w_]+)%s*=%s*(.-)%s*$")
    if not k then k, v = line:match("^%s*([%w_]+)%s*=%s*(.-)%s*$") end
    if k then
      v = v:match('^"(.*)"$') or v:match("^'(.*)'$") or v
      vars[k] = v
    end
  end
  f:close()
  return vars
end

-- Read when nothing else names a token, as the Python SDK's examples keep it.
local DEFAULT_ENV_FILE = "~/.mist_env"

-- Does anything but an env file give credentials?
local function has_credentials(opts, getenv)
  if opts.token or opts.tokens or (opts.email and opts.password) then return true end
  local function set(name)
    local v = getenv(name)
    return v ~= nil and v ~= ""
  end
  return set("MIST_APITOKEN") or set("MIST_API_TOKEN") or (set("MIST_USER") and set("MIST_PASSWORD"))
end

local function is_loopback(host)
  host = host:lower()
  return host == "localhost" or host == "[::1]" or host:match("^127%.%d+%.%d+%.%d+$") ~= nil
end

local function split_tokens(s)
  local list = {}
  for t in (s .. ","):gmatch("([^,]*),") do
    t = t:match("^ *(.-) *$")
    if t ~= "" then list[#list + 1] = t end
  end
  return list
end

-- The API from the environment: MIST_HOST, else MIST_BASE_URL; both set must agree.
local function host_from_env(env)
  local host, url = env("MIST_HOST"), env("MIST_BASE_URL")
  if host and url then
    local function norm(u)
      u = u:gsub("/+$", "")
      return u:match("^https?://") and u or ("https://" .. u)
    end
    if norm(host) ~= norm(url) then
      return nil, ('MIST_HOST ("%s") and MIST_BASE_URL ("%s") disagree: unset one'):format(
        errors.tidy(host), errors.tidy(url))
    end
  end
  return host or url
end

-- The base URL from base_url, host or cloud (in that order), then the environment.
local function resolve_base_url(o, env)
  local url = o.base_url
  if not url then
    local host = o.host
    if not host and o.cloud then
      host = clouds[o.cloud]
      if not host then
        local names = {}
        for name in pairs(clouds) do names[#names + 1] = name end
        table.sort(names)
        return nil, ('cloud: "%s" is not one of %s'):format(o.cloud, table.concat(names, ", "))
      end
    end
    if not host then
      local from_env, err = host_from_env(env)
      if err then return nil, err end
      host = from_env or clouds.global01
    end
    url = host:match("^https?://") and host or ("https://" .. host)
  end
  url = url:gsub("/+$", "")
  if url:find("[%c%s]") then
    -- it starts every request target and the Host header
    return nil, "base_url: has a space or a control character"
  end
  local scheme, hostport = url:match("^(https?)://([^/?#]+)$")
  if not scheme then
    return nil, ('base_url: "%s" is not an http(s) URL with no path'):format(errors.tidy(url))
  end
  if hostport:find("@", 1, true) then
    return nil, "base_url: credentials in the URL are not accepted; use token"
  end
  local host = hostport:match("^(%[[^%]]+%])") or hostport:match("^([^:]+)")
  return url, nil, scheme, host
end

-- The budget options (docs/configuration.md): where the budget is counted
-- (the option, else MIST_BUDGET, else memory), its allowance, and how long a
-- call may wait for room (default: retry_cap, as long as a Retry-After is
-- waited for). Returns a validation error, or nil.
function config.budget_settings(s, opts, env)
  if not opts.budget then s.budget = env("MIST_BUDGET") or DEFAULTS.budget end
  local _, why = require("mistapi.budget").kind(s.budget)
  if why then return errors.validation(why) end
  local limit = s.budget_limit
  if not (limit >= 1 and limit <= 1e9 and limit == math.floor(limit)) then
    return errors.validation("budget_limit: must be a whole number of calls from 1 to 1000000000")
  end
  local window = s.budget_window
  if not (window > 0 and window <= 86400 * 31) then
    return errors.validation("budget_window: must be a number of seconds above 0, at most 31 days")
  end
  local wait = s.budget_wait
  if wait == nil then
    s.budget_wait = s.retry_cap
  elseif not (wait >= 0 and wait < math.huge) then
    return errors.validation("budget_wait: must be a number of seconds, 0 or more")
  end
end

--- Checks and completes the options of `mistapi.new`.
-- @return the settings table, or nil and a validation error
function config.resolve(opts)
  if opts ~= nil and type(opts) ~= "table" then
    error("mistapi.new: options must be a table", 3)
  end
  opts = opts or {}
  for k, v in pairs(opts) do
    local want = TYPES[k]
    if not want then
      error(unknown_option(tostring(k)), 3)
    end
    if type(v) ~= want then
      error(("mistapi.new: option %s must be a %s, got %s"):format(k, want, type(v)), 3)
    end
  end

  if opts.clock then
    for _, name in ipairs { "now", "sleep" } do
      local f = opts.clock[name]
      if f ~= nil and type(f) ~= "function" then
        error(("mistapi.new: clock.%s must be a function, got %s"):format(name, type(f)), 3)
      end
    end
  end

  local getenv = opts.getenv or os.getenv
  local file_vars
  local env_file = opts.env_file
  if not env_file then
    env_file = getenv("MIST_ENV_FILE")
    if env_file == "" then env_file = nil end
  end
  local looked_in   -- the default env file, when it was looked for
  if not env_file and not has_credentials(opts, getenv) then
    -- nothing names a token: the Python SDK's usual file, if there is one
    local path = expand_home(DEFAULT_ENV_FILE, getenv)
    local f = path and io.open(path, "r")
    if f then
      f:close()
      env_file = DEFAULT_ENV_FILE
    else
      looked_in = DEFAULT_ENV_FILE .. " (none there)"
    end
  end
  if env_file then
    local vars, err = read_env_file(env_file, getenv)
    if not vars then return nil, errors.validation(err) end
    file_vars = vars
    looked_in = env_file
  end
  local function env(name)
    local v = getenv(name)
    if (v == nil or v == "") and file_vars then v = file_vars[name] end
    if v == "" then return nil end
    return v
  end

  local s = {}
  for k, v in pairs(DEFAULTS) do s[k] = v end
  for k, v in pairs(opts) do s[k] = v end
  s.getenv = nil

  local url, err, scheme, host = resolve_base_url(opts, env)
  if not url then return nil, errors.validation(err) end
  s.base_url = url
  s.allow_http = false
  if scheme == "http" then
    if not (is_loopback(host) or opts.insecure_http) then
      return nil, errors.validation(
        "base_url: plain http is allowed only to a loopback address (or with insecure_http = true)")
    end
    s.allow_http = true
    -- Plain http is allowed because the peer is this machine: the token must
    -- not travel in clear to a proxy the environment names (http_proxy...).
    -- Only a proxy named here, with insecure_http = true, is used.
    s.no_env_proxy = true
    if opts.proxy and not opts.insecure_http then
      return nil, errors.validation(
        "proxy: plain http through a proxy sends the token in clear to it; use https, or insecure_http = true")
    end
  end
  -- Options that end up in a header (User-Agent, Proxy-Authorization) are
  -- checked as a header value is: no CR, LF, NUL or other control character.
  for _, name in ipairs { "user_agent", "proxy" } do
    if s[name] ~= nil and (s[name] == "" or s[name]:find("[%c\127]")) then
      return nil, errors.validation(("%s: must be non-empty with no control characters (it is sent in a header)")
        :format(name))
    end
  end

  local tokens
  if opts.tokens then
    tokens = {}
    for i, t in ipairs(opts.tokens) do
      if type(t) ~= "string" then error(("mistapi.new: tokens[%d] must be a string"):format(i), 3) end
      tokens[i] = t
    end
  elseif opts.token then
    tokens = split_tokens(opts.token)
  else
    local from_env = env("MIST_APITOKEN") or env("MIST_API_TOKEN")
    tokens = from_env and split_tokens(from_env) or {}
  end
  for i, t in ipairs(tokens) do
    if t == "" or t:find("[%c%s]") then
      return nil, errors.validation(("token %d: must be non-empty with no spaces or control characters"):format(i))
    end
  end
  s.tokens = tokens
  s.token = nil
  s.org_id = opts.org_id or env("MIST_ORG_ID")
  s.email = opts.email or (not tokens[1] and env("MIST_USER")) or nil
  s.password = opts.password or (not tokens[1] and env("MIST_PASSWORD")) or nil
  if #tokens == 0 and not (s.email and s.password) then
    return nil, errors.new("validation", "no API token: pass token = ..., or set MIST_APITOKEN (looked in: the token,"
      .. " tokens and email/password options, MIST_APITOKEN, MIST_API_TOKEN, MIST_USER/MIST_PASSWORD, "
      .. (looked_in and ("the env file " .. looked_in) or "no env file") .. ")", { looked_in = looked_in })
  end

  local function positive(name, allow_zero)
    local v = s[name]
    if v ~= nil and (v ~= v or v < 0 or (v == 0 and not allow_zero)) then
      return errors.validation(("%s: must be a positive number, got %s"):format(name, tostring(v)))
    end
  end
  local md = s.max_decoded
  if md ~= nil and not (md >= 1 and md <= 2 ^ 53 and md == math.floor(md)) then
    return nil, errors.validation("max_decoded: must be a whole number of bytes, at least 1")
  end
  for _, name in ipairs { "timeout", "connect_timeout", "retry_base", "retry_cap", "deadline", "max_body",
                          "keepalive_timeout" } do
    local e = positive(name)
    if e then return nil, e end
  end
  local ps = s.pool_size
  if ps ~= nil and not (ps >= 1 and ps <= 10000 and ps == math.floor(ps)) then
    return nil, errors.validation("pool_size: must be a whole number from 1 to 10000")
  end
  if s.max_retries ~= math.floor(s.max_retries) or s.max_retries < 0 or s.max_retries > 100 then
    return nil, errors.validation("max_retries: must be a whole number from 0 to 100")
  end
  if s.transport ~= "auto" and s.transport ~= "curl" and s.transport ~= "ngx" then
    return nil, errors.validation(('transport: "%s" is not one of auto, curl, ngx'):format(errors.tidy(s.transport)))
  end
  local berr = config.budget_settings(s, opts, env)
  if berr then return nil, berr end
  return s
end

return config
