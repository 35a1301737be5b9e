-- Runs the example nginx server (examples/openresty) from a spec.
--   local nginx_app = require "support.nginx_app"
--   local app = nginx_app.start{
--     env = { MIST_APITOKEN = ..., MIST_ORG_ID = ..., MIST_BASE_URL = ... },
--     ca_file = path,      -- lua_ssl_trusted_certificate (default: the system bundle)
--     resolver = "127.0.0.1", resolver_timeout = "5s",
--     lua_dir = ..., core_dir = ...,   -- default: the tree's lua/ and build/5.1
--     extra = "...",       -- more http-level config (servers, shared dicts);
--   }                      -- @EXTRA_PORT@ and @EXTRA_PORT_2@ in it become more free ports
--   app.url, app.dir, app.port, app.extra_port, app.extra_url, app.extra_ports = { p, p2 }
--   The app's shared secret (MISTAPI_APP_SECRET) is made up here unless env names one;
--   no_secret = true starts it with none. app.secret holds it.
--   app:request(method, path, headers, body) -> status, headers, body | nil, info
--     (with Authorization: Bearer <app.secret> unless headers has an Authorization)
--   app:raw_request(method, path, headers, body): exactly the headers given
--   nginx_app.free_port() -> a loopback port nothing listens on (support.ports)
--   app:error_log() -> text;  app:stop() (idempotent, also on collection)
-- HTTP goes through the C core's session; works on Lua 5.1, 5.4 and LuaJIT.
local core = require "mistapi.core"
local shell = require "support.shell"
local ports = require "support.ports"

local M = {}

local function project_root()
  local src = debug.getinfo(1, "S").source
  return src:match("^@(.*)/spec/support/[^/]*$") or "."
end

local ROOT = project_root()
if ROOT:sub(1, 1) ~= "/" then
  ROOT = assert(io.popen("pwd")):read("*l") .. (ROOT == "." and "" or "/" .. ROOT)
end
M.ROOT = ROOT
M.SYSTEM_CA = "/etc/ssl/certs/ca-certificates.crt"

local sh_quote, read_file = shell.quote, shell.read_file

local function write_file(path, text, mode)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  if mode then os.execute("chmod " .. mode .. " " .. sh_quote(path)) end
end

--- The example config with its @NAMES@ filled in.
function M.render(vars)
  local text = read_file(ROOT .. "/examples/openresty/nginx.conf")
  local out = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    if not line:match("^%s*#") then   -- comments keep their @NAMES@
      line = line:gsub("@([%u_]+)@", function(name)
        local v = vars[name]
        if v == nil then error("nginx_app: no value for @" .. name .. "@", 3) end
        return v
      end)
    end
    out[#out + 1] = line
  end
  return table.concat(out, "\n")
end

-- A loopback port nothing listens on (the shared helper; `probe` is no longer needed).
function M.free_port()
  return ports.dead()
end

-- os.execute answers true (5.2+) or 0 (5.1) on success
local function alive(pid)
  local r = os.execute("kill -0 " .. pid .. " 2>/dev/null")
  return r == true or r == 0
end

local App = {}
App.__index = App

function App:raw_request(method, path, headers, body)
  return self.session:request(method, self.url .. path, headers or {}, body)
end

function App:request(method, path, headers, body)
  local h = {}
  for k, v in pairs(headers or {}) do h[k] = v end
  if self.secret and not h.Authorization and not h.authorization then
    h.Authorization = "Bearer " .. self.secret
  end
  return self:raw_request(method, path, h, body)
end

-- 32 hex characters from the kernel's generator.
local function random_secret()
  local f = assert(io.open("/dev/urandom", "rb"))
  local raw = f:read(16)
  f:close()
  return (raw:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

function App:error_log()
  return read_file(self.dir .. "/logs/error.log")
end

function App:stop()
  if self.stopped then return end
  self.stopped = true
  if self.pid then
    -- the pid is the nginx this helper started (master_process off: one process)
    os.execute("kill -TERM " .. self.pid .. " 2>/dev/null; for i in $(seq 1 100); do kill -0 " .. self.pid
      .. " 2>/dev/null || break; sleep 0.02; done; kill -KILL " .. self.pid .. " 2>/dev/null")
  end
  if self.session then self.session:close() end
  if self.dir and self.dir:match("^/tmp/mistapi%-nginx%.") then
    os.execute("rm -rf " .. sh_quote(self.dir))
  end
end
App.__gc = App.stop

-- One try on ports {listen, extra, extra 2}: -> true | false, why (why names a lost port race).
local function launch(app, opts, p)
  local dir = app.dir
  local port = p[1]
  local conf = M.render {
    PREFIX = dir, LISTEN = "127.0.0.1:" .. port, LUA_DIR = opts.lua_dir or (ROOT .. "/lua"),
    CORE_DIR = opts.core_dir or (ROOT .. "/build/5.1"), APP_DIR = ROOT .. "/examples/openresty",
    CA_FILE = opts.ca_file or M.SYSTEM_CA, RESOLVER = opts.resolver or "127.0.0.1",
    RESOLVER_TIMEOUT = opts.resolver_timeout or "5s",
  }
  write_file(dir .. "/nginx.conf", conf, "600")
  write_file(dir .. "/conf.d/extra.conf", ((opts.extra or ""):gsub("@EXTRA_PORT@", tostring(p[2]))
    :gsub("@EXTRA_PORT_2@", tostring(p[3]))))
  -- both logs emptied: a retry must not read the last try's "Address already in use"
  write_file(dir .. "/logs/error.log", "")
  write_file(dir .. "/logs/stdout.log", "")
  os.remove(dir .. "/logs/nginx.pid")
  -- the environment goes through a private script, never a command line
  local lines = { "#!/bin/sh" }
  for k, v in pairs(opts.env or {}) do
    assert(k:match("^[%w_]+$"), "nginx_app: bad variable name")
    lines[#lines + 1] = "export " .. k .. "=" .. sh_quote(v)
  end
  lines[#lines + 1] = "exec nginx -p " .. sh_quote(dir) .. " -c " .. sh_quote(dir .. "/nginx.conf")
    .. " -e " .. sh_quote(dir .. "/logs/error.log") .. " </dev/null >" .. sh_quote(dir .. "/logs/stdout.log") .. " 2>&1"
  write_file(dir .. "/run.sh", table.concat(lines, "\n") .. "\n", "700")
  local h = assert(io.popen("sh " .. sh_quote(dir .. "/run.sh") .. " & echo $!"))
  local pid = tonumber(h:read("*l"))
  h:close()
  app.pid, app.port, app.url = pid, port, "http://127.0.0.1:" .. port
  app.extra_port, app.extra_url = p[2], "http://127.0.0.1:" .. p[2]
  app.extra_ports = { p[2], p[3] }
  local why
  for _ = 1, 500 do -- ~10 s: only a hang ends it
    why = read_file(dir .. "/logs/stdout.log") .. read_file(dir .. "/logs/error.log")
    -- nginx retries a lost bind() for 2.5 s by itself: give up on these ports at once
    if ports.lost_race(why) then break end
    -- its pid file appears once every port is bound
    if read_file(dir .. "/logs/nginx.pid") ~= "" then
      local status = app.session:request("GET", app.url .. "/healthz", {}, nil)
      if status == 200 then return true end
    end
    if not alive(pid) then break end
    core.sleep(0.02)
  end
  os.execute("kill -KILL " .. pid .. " 2>/dev/null")
  app.pid = nil
  return false, why
end

function M.start(opts)
  opts = opts or {}
  local p = assert(io.popen("mktemp -d /tmp/mistapi-nginx.XXXXXX"))
  local dir = p:read("*l")
  p:close()
  assert(dir and dir ~= "", "nginx_app: mktemp failed")
  for _, sub in ipairs { "/logs", "/tmp", "/conf.d" } do os.execute("mkdir -p " .. sh_quote(dir .. sub)) end
  local env = {}
  for k, v in pairs(opts.env or {}) do env[k] = v end
  if opts.no_secret then
    env.MISTAPI_APP_SECRET = nil
  elseif not env.MISTAPI_APP_SECRET then
    env.MISTAPI_APP_SECRET = random_secret()
  end
  opts = setmetatable({ env = env }, { __index = opts })
  local app = setmetatable({ dir = dir, session = core.session { allow_http = true, timeout = 30 },
                             secret = env.MISTAPI_APP_SECRET }, App)
  if newproxy then
    local proxy = newproxy(true)
    getmetatable(proxy).__gc = function() app:stop() end
    app._gc = proxy
  end
  local ok, why = ports.retry(3, function(got) return launch(app, opts, got) end)
  if ok then return app end
  app:stop()
  error("nginx_app: nginx did not start: " .. tostring(why), 2)
end

return M
