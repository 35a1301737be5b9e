-- The benchmark's static server: its own nginx (foreground, one worker,
-- prefix in a temp dir) on two free loopback ports. The fast port answers
-- from files with nginx's static handler; the slow port serves the same files
-- after a 20 ms non-blocking ngx.sleep, so 8 requests can wait at once.
local socket = require "socket"

local M = {}

local UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

local CONF = [[
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
daemon off; master_process off; worker_processes 1;
pid @P@/nginx.pid; error_log @P@/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path @P@/tmp/body; proxy_temp_path @P@/tmp/proxy;
  fastcgi_temp_path @P@/tmp/fastcgi; uwsgi_temp_path @P@/tmp/uwsgi; scgi_temp_path @P@/tmp/scgi;
  lua_package_path ";;";
  types { application/json json; }
  default_type application/json;
  # one client connection serves a whole run (2,000 GETs)
  keepalive_requests 1000000; keepalive_timeout 120s;
  root @P@/www;
  server {
    listen 127.0.0.1:@FAST@;
    location ~ "^/api/v1/orgs/@UUID@/apitokens/(@UUID@)$" { try_files /token/$1.json =404; }
    location ~ "^/api/v1/orgs/(@UUID@)/apitokens$" { try_files /list/$1.json =404; }
  }
  server {
    listen 127.0.0.1:@SLOW@;
    access_by_lua_block { ngx.sleep(0.02) }
    location ~ "^/api/v1/orgs/@UUID@/apitokens/(@UUID@)$" { try_files /token/$1.json =404; }
    location ~ "^/api/v1/orgs/(@UUID@)/apitokens$" { try_files /list/$1.json =404; }
  }
}
]]

-- The tree's one way to get listening ports (below the ephemeral range,
-- probed by bind(), retried when nginx loses a race); bench runs from the root.
local ports = dofile("emulator/lua/ports.lua")

local function can_connect(port)
  local c = socket.tcp()
  c:settimeout(0.2)
  local ok = c:connect("127.0.0.1", port)
  c:close()
  return ok ~= nil
end

local function read(path)
  local f = io.open(path)
  if not f then return "" end
  local text = f:read("a")
  f:close()
  return text
end

-- One try on ports {fast, slow}: -> server | nil, why (why names a lost port race).
local function launch(dir, fast, slow)
  local conf = CONF:gsub("@UUID@", UUID):gsub("@P@", dir)
    :gsub("@FAST@", tostring(fast)):gsub("@SLOW@", tostring(slow))
  local f = assert(io.open(dir .. "/nginx.conf", "w"))
  f:write(conf)
  f:close()
  os.remove(dir .. "/nginx.pid")
  os.remove(dir .. "/error.log")
  local p = assert(io.popen(string.format(
    "nginx -p '%s' -c '%s/nginx.conf' >'%s/nginx.out' 2>&1 & echo $!", dir, dir, dir)))
  local pid = tonumber(p:read("l"))
  p:close()
  local srv = { pid = pid, dir = dir,
    fast = "http://127.0.0.1:" .. fast, slow = "http://127.0.0.1:" .. slow }
  local why
  for _ = 1, 100 do -- up to ~10 s
    why = read(dir .. "/error.log") .. read(dir .. "/nginx.out")
    if ports.lost_race(why) then break end -- nginx would retry for 2.5 s itself
    if read(dir .. "/nginx.pid") ~= "" and can_connect(fast) and can_connect(slow) then return srv end
    socket.sleep(0.1)
  end
  M.stop(srv)
  return nil, why
end

-- Starts nginx with prefix `dir` (which holds www/). Returns a server table
-- { fast = url, slow = url, pid = n, dir = dir } or nil, err.
function M.start(dir)
  os.execute("mkdir -p '" .. dir .. "/tmp'")
  local srv, why = ports.retry(2, function(p) return launch(dir, p[1], p[2]) end)
  if srv then return srv end
  return nil, "nginx did not start: " .. (why ~= "" and why or "no log")
end

function M.stop(srv)
  if srv and srv.pid then
    os.execute("kill " .. srv.pid .. " 2>/dev/null")
    for _ = 1, 50 do -- wait up to ~5 s for it to exit
      if not os.execute("kill -0 " .. srv.pid .. " 2>/dev/null") then break end
      socket.sleep(0.1)
    end
    srv.pid = nil
  end
end

return M
