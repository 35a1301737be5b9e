-- The client nginx: a second nginx whose one worker runs the bench's work
-- through mistapi's ngx transport (bench/ngx_run.lua), so the OpenResty
-- figures are measured inside nginx, over the same TLS listeners.
local socket = require "socket"
local http = require "socket.http"
local sh = require "shell"

local M = {}

local CONF = [[
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
env MIST_APITOKEN;
daemon off; master_process off; worker_processes 1;
pid @D@/nginx.pid; error_log @D@/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path @D@/tmp/body; proxy_temp_path @D@/tmp/proxy;
  fastcgi_temp_path @D@/tmp/fastcgi; uwsgi_temp_path @D@/tmp/uwsgi; scgi_temp_path @D@/tmp/scgi;
  lua_package_path "@R@/lua/?.lua;@R@/lua/?/init.lua;@R@/bench/?.lua;@R@/bench/lib/?.lua;;";
  lua_package_cpath "@R@/build/5.1/?.so;;";
  lua_ssl_trusted_certificate @CA@;
  lua_ssl_verify_depth 2;
  server {
    listen 127.0.0.1:@PORT@;
    location = /run { content_by_lua_block { require("ngx_run").handle() } }
  }
}
]]

local ports = dofile("emulator/lua/ports.lua")

-- One try on `port`: -> client | nil, why.
local function launch(dir, ca, port)
  local d = dir .. "/client"
  local root = sh.capture("pwd"):gsub("%s+$", "")
  os.execute("mkdir -p '" .. d .. "/tmp'")
  local conf = CONF:gsub("@D@", d):gsub("@R@", root):gsub("@CA@", ca):gsub("@PORT@", tostring(port))
  local f = assert(io.open(d .. "/nginx.conf", "w"))
  f:write(conf)
  f:close()
  -- nothing of a last try left to read: its pid file, its "Address already in use"
  os.remove(d .. "/nginx.pid")
  for _, log in ipairs({ "/error.log", "/nginx.out" }) do
    assert(io.open(d .. log, "w")):close()
  end
  local p = assert(io.popen(string.format("nginx -p '%s' -c '%s/nginx.conf' >'%s/nginx.out' 2>&1 & echo $!", d, d, d)))
  local c = { pid = tonumber(p:read("l")), url = "http://127.0.0.1:" .. port, dir = dir, ca = ca, port = port }
  p:close()
  local why
  for _ = 1, 500 do -- up to ~10 s
    why = (sh.read(d .. "/error.log") or "") .. (sh.read(d .. "/nginx.out") or "")
    if ports.lost_race(why) then break end
    if not os.execute("kill -0 " .. c.pid .. " 2>/dev/null") then break end
    -- up once its pid file is written (after every bind): a port that merely
    -- answers may be another process's, which took it first
    if (sh.read(d .. "/nginx.pid") or "") ~= "" then
      local s = socket.tcp()
      s:settimeout(0.2)
      local ok = s:connect("127.0.0.1", port)
      s:close()
      if ok then return c end
    end
    socket.sleep(0.02)
  end
  M.stop(c)
  return nil, "client nginx did not start: " .. why
end

-- Starts it under `dir`/client (on `port`, or free ones until one binds);
-- returns { url, pid, ... } or nil, err.
function M.start(dir, ca, port)
  if port then return launch(dir, ca, port) end
  return ports.retry(1, function(p) return launch(dir, ca, p[1]) end)
end

-- A new worker, so nothing is pooled: what a fresh nginx meets. Its port
-- is free for a moment in between: another process may take it, and then
-- the new worker gets other ports.
function M.restart(c)
  M.stop(c)
  local fresh, err = M.start(c.dir, c.ca, c.port)
  if not fresh and ports.lost_race(err) then fresh, err = M.start(c.dir, c.ca) end
  if not fresh then return nil, err end
  c.pid, c.port, c.url = fresh.pid, fresh.port, fresh.url
  return c
end

function M.stop(c)
  if c and c.pid then
    os.execute("kill " .. c.pid .. " 2>/dev/null")
    for _ = 1, 250 do -- up to ~5 s
      if not os.execute("kill -0 " .. c.pid .. " 2>/dev/null") then break end
      socket.sleep(0.02)
    end
    c.pid = nil
  end
end

local function enc(s)
  return (tostring(s):gsub("[^%w%-%._~/]", function(ch) return string.format("%%%02X", ch:byte()) end))
end

-- One run: the checksum it printed and the ms it took inside nginx, or nil, err.
function M.run(c, q)
  local parts = {}
  for _, k in ipairs({ "mode", "base", "org", "id", "count", "ids", "conc" }) do
    if q[k] then parts[#parts + 1] = k .. "=" .. enc(q[k]) end
  end
  http.TIMEOUT = 600
  local body, code = http.request(c.url .. "/run?" .. table.concat(parts, "&"))
  if code ~= 200 or not body then return nil, "client nginx: " .. tostring(code) .. " " .. tostring(body) end
  return body:match("checksum (%d+)"), tonumber(body:match("ms ([%d%.]+)"))
end

return M
