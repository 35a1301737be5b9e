-- The benchmark's static server: its own nginx (foreground, one worker,
-- prefix in a temp dir) on free loopback ports. The fast port answers from
-- files with nginx's static handler; the slow port serves the same files
-- after a 20 ms non-blocking ngx.sleep, so 8 requests can wait at once.
-- The same two again over TLS, each on an HTTP/1.1-only listener and on one
-- that offers HTTP/2 by ALPN; every TLS request is logged with its
-- connection's serial number, so a run's handshakes can be counted. In front
-- of the fast TLS ports, bench/delay adds 80 ms of round trip.
local socket = require "socket"
local sh = require "shell"

local M = {}

local UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
M.RTT_MS = 80

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
  # TLS: one log line per request, "<connection serial> <r if resumed> <protocol>"
  log_format conns '$connection $ssl_session_reused $server_protocol';
  ssl_certificate @P@/tls/cert.pem; ssl_certificate_key @P@/tls/key.pem;
  ssl_session_cache shared:bench:1m;
  http2_max_requests 1000000;
@TLS@
}
]]

-- One TLS server block: slow (20 ms sleep) or not, HTTP/2 offered or not.
local TLS_SERVER = [[
  server {
    listen 127.0.0.1:@PORT@ ssl@H2@;
    access_log @P@/tls.log conns;
    @SLEEP@
    location ~ "^/api/v1/orgs/@UUID@/apitokens/(@UUID@)$" { try_files /token/$1.json =404; }
    location ~ "^/api/v1/orgs/(@UUID@)/apitokens$" { try_files /list/$1.json =404; }
  }
]]

local TLS_PORTS = { "tls_slow", "tls_slow_h2", "tls_fast", "tls_fast_h2" }

-- The tree's one way to get listening ports (below the ephemeral range,
-- probed by bind(), retried when nginx loses a race); bench runs from the root.
local ports = dofile("emulator/lua/ports.lua")
M.ports = ports

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

local function make_cert(dir)
  return sh.run("mkdir -p '" .. dir .. "/tls' && cd '" .. dir .. "/tls' && openssl req -x509 -newkey ec"
    .. " -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key.pem -out cert.pem -days 2"
    .. " -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >openssl.log 2>&1")
end

-- Starts bench/delay on `own`, in front of `port`: -> pid | nil, why.
local function start_delay(dir, own, port)
  local out = string.format("%s/delay-%d.out", dir, own)
  local p = assert(io.popen(string.format("build/bench/delay %d %d %d >'%s' 2>&1 & echo $!",
    own, port, M.RTT_MS // 2, out)))
  local pid = tonumber(p:read("l"))
  p:close()
  local f = assert(io.open(dir .. "/delay.pids", "a"))
  f:write(pid, "\n")
  f:close()
  for _ = 1, 100 do
    local text = read(out)
    if text:find("ready", 1, true) then return pid end
    if text:find("Address already in use", 1, true) then return nil, text end
    socket.sleep(0.02)
  end
  return nil, "bench/delay did not start: " .. read(out)
end
M.start_delay = start_delay

-- One try on ports p = {fast, slow, tls_slow, tls_slow_h2, tls_fast, tls_fast_h2,
-- rtt, rtt_h2}: -> server | nil, why (why names a lost port race).
local function launch(dir, p)
  local fast, slow = p[1], p[2]
  local tls, tls_blocks = {}, {}
  for i, name in ipairs(TLS_PORTS) do
    local port = p[2 + i]
    tls[name] = port
    tls_blocks[i] = TLS_SERVER:gsub("@PORT@", tostring(port)):gsub("@H2@", name:match("_h2$") and " http2" or "")
      :gsub("@SLEEP@", name:match("slow") and "access_by_lua_block { ngx.sleep(0.02) }" or "")
  end
  local conf = CONF:gsub("@TLS@", function() return table.concat(tls_blocks) end)
    :gsub("@UUID@", UUID):gsub("@P@", dir)
    :gsub("@FAST@", tostring(fast)):gsub("@SLOW@", tostring(slow))
  local f = assert(io.open(dir .. "/nginx.conf", "w"))
  f:write(conf)
  f:close()
  os.remove(dir .. "/nginx.pid")
  os.remove(dir .. "/error.log")
  os.remove(dir .. "/nginx.out") -- a retry must not read the last try's bind failure
  local pp = assert(io.popen(string.format(
    "nginx -p '%s' -c '%s/nginx.conf' >'%s/nginx.out' 2>&1 & echo $!", dir, dir, dir)))
  local pid = tonumber(pp:read("l"))
  pp:close()
  local url = function(port) return "https://127.0.0.1:" .. port end
  local srv = { pid = pid, dir = dir, ca = dir .. "/tls/cert.pem", log = dir .. "/tls.log", delays = {},
    fast = "http://127.0.0.1:" .. fast, slow = "http://127.0.0.1:" .. slow,
    tls = { slow = url(tls.tls_slow), slow_h2 = url(tls.tls_slow_h2), fast = url(tls.tls_fast),
      fast_h2 = url(tls.tls_fast_h2), rtt = url(p[7]), rtt_h2 = url(p[8]) } }
  local why
  for _ = 1, 100 do -- up to ~10 s
    why = read(dir .. "/error.log") .. read(dir .. "/nginx.out")
    if ports.lost_race(why) then break end -- nginx would retry for 2.5 s itself
    local up = read(dir .. "/nginx.pid") ~= ""
    for i = 1, 2 + #TLS_PORTS do up = up and can_connect(p[i]) end
    if up then
      for k, target in ipairs({ tls.tls_fast, tls.tls_fast_h2 }) do
        local d
        d, why = start_delay(dir, p[6 + k], target)
        if not d then
          M.stop(srv)
          return nil, why
        end
        srv.delays[k] = d
      end
      return srv
    end
    socket.sleep(0.1)
  end
  M.stop(srv)
  return nil, why
end

-- Starts nginx with prefix `dir` (which holds www/) and the delay proxies.
-- Returns a server table { fast, slow, tls = { slow, slow_h2, fast, fast_h2,
-- rtt, rtt_h2 } (URLs), ca = the certificate to trust, pid, dir } or nil, err.
function M.start(dir)
  os.execute("mkdir -p '" .. dir .. "/tmp'")
  if not make_cert(dir) then return nil, "openssl failed: " .. read(dir .. "/tls/openssl.log") end
  local srv, why = ports.retry(2 + #TLS_PORTS + 2, function(p) return launch(dir, p) end)
  if srv then return srv end
  return nil, "nginx did not start: " .. (why ~= "" and why or "no log")
end

-- The TLS log's lines so far; `since` (a count from an earlier call) skips those.
function M.tls_lines(srv)
  local n = 0
  for _ in (sh.read(srv.log) or ""):gmatch("[^\n]+") do n = n + 1 end
  return n
end

-- Handshakes (connections first seen after the log's first `since` lines),
-- how many of them resumed a TLS session, and their protocol.
function M.tls_since(srv, since)
  local before, conns, n, resumed, proto, i = {}, {}, 0, 0, nil, 0
  for line in (sh.read(srv.log) or ""):gmatch("[^\n]+") do
    i = i + 1
    local c, r, p = line:match("^(%d+) (%S+) (%S+)")
    if c and i <= since then
      before[c] = true
    elseif c and not before[c] and not conns[c] then
      conns[c], n = true, n + 1
      if r == "r" then resumed = resumed + 1 end
      proto = proto or p
    end
  end
  return { handshakes = n, resumed = resumed, proto = proto }
end

function M.stop(srv)
  for _, pid in ipairs(srv and srv.delays or {}) do os.execute("kill " .. pid .. " 2>/dev/null") end
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
