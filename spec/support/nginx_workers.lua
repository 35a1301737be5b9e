-- An nginx with a master and several workers (default 2), for specs of what
-- workers share: shared dicts, a budget over them.
--   local nginx_workers = require "support.nginx_workers"
--   local app = nginx_workers.start{
--     workers = 2,
--     http = "...",        -- http-level config: lua_shared_dict, init_worker_by_lua_block
--     locations = "...",   -- inside the one server (listening on app.url)
--   }
--   app:request(method, path, body) -> status, body | nil, info
--   app:error_log() -> text;  app:stop() (idempotent, also on collection)
-- Lua paths: the tree's lua/ and spec/ (so `require "support.x"` works inside
-- nginx), the core built for LuaJIT (build/5.1). Works on Lua 5.1, 5.4, LuaJIT.
local core = require "mistapi.core"
local shell = require "support.shell"
local ports = require "support.ports"

local M = {}

local function project_root()
  local src = debug.getinfo(1, "S").source
  local root = src:match("^@(.*)/spec/support/[^/]*$") or "."
  if root:sub(1, 1) ~= "/" then
    root = assert(io.popen("pwd")):read("*l") .. (root == "." and "" or "/" .. root)
  end
  return root
end

local ROOT = project_root()
local sh_quote, read_file = shell.quote, shell.read_file

local TEMPLATE = [[
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
daemon off;
master_process on;
worker_processes @WORKERS@;
@USER@
pid @PREFIX@/logs/nginx.pid;
error_log @PREFIX@/logs/error.log info;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path @PREFIX@/tmp/body;
  proxy_temp_path @PREFIX@/tmp/proxy;
  fastcgi_temp_path @PREFIX@/tmp/fastcgi;
  uwsgi_temp_path @PREFIX@/tmp/uwsgi;
  scgi_temp_path @PREFIX@/tmp/scgi;
  lua_package_path "@ROOT@/lua/?.lua;@ROOT@/lua/?/init.lua;@ROOT@/spec/?.lua;;";
  lua_package_cpath "@ROOT@/build/5.1/?.so;;";
  lua_socket_log_errors off;
  resolver 127.0.0.1 ipv6=off;
@HTTP@
  server {
    listen 127.0.0.1:@PORT@;
    default_type application/json;
    location = /healthz { return 200 '{"ok":true}'; }
@LOCATIONS@
  }
}
]]

local function write_file(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local function alive(pid)
  local r = os.execute("kill -0 " .. pid .. " 2>/dev/null")
  return r == true or r == 0
end

local function is_root()
  local h = assert(io.popen("id -u"))
  local uid = h:read("*l")
  h:close()
  return uid == "0"
end

local App = {}
App.__index = App

function App:request(method, path, body)
  local status, headers, text = self.session:request(method, self.url .. path,
    { ["Content-Type"] = "application/json" }, body)
  if not status then return nil, headers end
  return status, text
end

function App:error_log()
  return read_file(self.dir .. "/logs/error.log")
end

function App:stop()
  if self.stopped then return end
  self.stopped = true
  if self.pid then
    -- the master this helper started; it stops its workers before it exits
    os.execute("kill -TERM " .. self.pid .. " 2>/dev/null; for i in $(seq 1 150); do kill -0 " .. self.pid
      .. " 2>/dev/null || break; sleep 0.02; done; kill -KILL " .. self.pid .. " 2>/dev/null")
  end
  if self.session then self.session:close() end
  if self.dir and self.dir:match("^/tmp/mistapi%-workers%.") then
    os.execute("rm -rf " .. sh_quote(self.dir))
  end
end
App.__gc = App.stop

local function launch(app, opts, port)
  local dir = app.dir
  local vars = {
    WORKERS = tostring(opts.workers or 2), PREFIX = dir, ROOT = ROOT, PORT = tostring(port),
    -- as root the workers would run as nobody, who can't reach a private temp dir
    USER = is_root() and "user root root;" or "",
    HTTP = opts.http or "", LOCATIONS = opts.locations or "",
  }
  local conf = TEMPLATE:gsub("@([%u_]+)@", function(name) return vars[name] end)
  write_file(dir .. "/nginx.conf", conf)
  write_file(dir .. "/logs/error.log", "")
  write_file(dir .. "/logs/stdout.log", "")
  os.remove(dir .. "/logs/nginx.pid")
  local h = assert(io.popen("exec nginx -p " .. sh_quote(dir) .. " -c " .. sh_quote(dir .. "/nginx.conf")
    .. " -e " .. sh_quote(dir .. "/logs/error.log") .. " </dev/null >" .. sh_quote(dir .. "/logs/stdout.log")
    .. " 2>&1 & echo $!"))
  local pid = tonumber(h:read("*l"))
  h:close()
  app.pid, app.port, app.url = pid, port, "http://127.0.0.1:" .. port
  local why
  for _ = 1, 500 do -- ~10 s: only a hang ends it
    why = read_file(dir .. "/logs/stdout.log") .. read_file(dir .. "/logs/error.log")
    if ports.lost_race(why) then break end
    if read_file(dir .. "/logs/nginx.pid") ~= "" then
      local status = app.session:request("GET", app.url .. "/healthz", {}, nil)
      if status == 200 then return true end
    end
    if not alive(pid) then break end
    core.sleep(0.02)
  end
  os.execute("kill -KILL " .. pid .. " 2>/dev/null")
  app.pid = nil
  return nil, why
end

function M.start(opts)
  opts = opts or {}
  local p = assert(io.popen("mktemp -d /tmp/mistapi-workers.XXXXXX"))
  local dir = p:read("*l")
  p:close()
  assert(dir and dir ~= "", "nginx_workers: mktemp failed")
  os.execute("mkdir -p " .. sh_quote(dir .. "/logs") .. " " .. sh_quote(dir .. "/tmp"))
  local app = setmetatable({ dir = dir, session = core.session { allow_http = true, timeout = 60 } }, App)
  if newproxy then
    local proxy = newproxy(true)
    getmetatable(proxy).__gc = function() app:stop() end
    app._gc = proxy
  end
  local ok, why = ports.retry(1, function(got) return launch(app, opts, got[1]) end)
  if ok then return app end
  app:stop()
  error("nginx_workers: nginx did not start: " .. tostring(why), 2)
end

return M
