-- A tiny nginx + ngx_lua for the core's HTTP specs: endpoints that echo what
-- arrived (method, body, headers) and misbehave on purpose, over plain HTTP,
-- TLS (its own self-signed certificate) and a TLS port whose handshake stalls.
--
--   local static = require "support.static_nginx"
--   local srv = static.start()  -- srv.url, srv.tls_url, srv.stall_url, srv.ca, srv.dir
--   srv:log()                   -- the access log: "METHOD URI conn=N" a request
--   srv:log_after(text)         -- the same, once a line with text is in (bounded wait)
--   srv:settled_log(session)    -- the log once every request session sent before is in
--   srv:stop()
local M = {}
local shell = require "support.shell"
local ports = require "support.ports"

local CONF = [[
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
daemon off; master_process off; worker_processes 1;
pid DIR/nginx.pid; error_log DIR/error.log info;
events { worker_connections 128; }
http {
  log_format plain '$request_method $request_uri conn=$connection';
  access_log DIR/access.log plain;
  client_body_temp_path DIR/tmp/body; proxy_temp_path DIR/tmp/proxy;
  fastcgi_temp_path DIR/tmp/fastcgi; uwsgi_temp_path DIR/tmp/uwsgi; scgi_temp_path DIR/tmp/scgi;
  client_max_body_size 16m;
  default_type text/plain;
  server {
    listen 127.0.0.1:PORT;
    listen 127.0.0.1:TLSPORT ssl http2;
    ssl_certificate DIR/cert.pem; ssl_certificate_key DIR/key.pem;
    location = /ping { return 200 "TOKEN"; }
    # What arrived, as response headers; the request body comes back as the body.
    location = /echo { content_by_lua_block {
      ngx.req.read_body()
      local body = ngx.req.get_body_data()
      if not body and ngx.req.get_body_file() then
        local f = io.open(ngx.req.get_body_file(), "rb"); body = f:read("*a"); f:close()
      end
      ngx.header["X-Echo-Method"] = ngx.req.get_method()
      ngx.header["X-Echo-Body-Length"] = body and #body or 0
      ngx.header["X-Echo-Content-Length"] = ngx.var.http_content_length or "none"
      ngx.header["X-Echo-Content-Type"] = ngx.var.http_content_type or "none"
      ngx.header["X-Echo-User-Agent"] = ngx.var.http_user_agent or "none"
      ngx.header["X-Echo-Accept-Encoding"] = ngx.var.http_accept_encoding or "none"
      ngx.header["X-Echo-Custom"] = ngx.var.http_x_custom or "none"
      ngx.header["X-Echo-Expect"] = ngx.var.http_expect or "none"
      ngx.print(body or "")
    } }
    location = /multi { content_by_lua_block {
      ngx.header["X-Multi"] = { "one", "two", "three" }
      ngx.header["X-MiXeD-CaSe"] = "Kept"
      ngx.header["Content-Type"] = "application/json"
      ngx.print('{"ok":true}')
    } }
    location = /missing { content_by_lua_block {
      ngx.status = 404
      ngx.header["Content-Type"] = "application/json"
      ngx.print('{"detail":"not here"}')
    } }
    location = /slow { content_by_lua_block { ngx.sleep(3); ngx.print("late") } }
    location = /big { content_by_lua_block {
      local n = tonumber(ngx.var.arg_bytes) or 0
      local chunk = string.rep("b", 65536)
      ngx.header["Content-Length"] = ngx.var.arg_nolength and nil or n
      while n > 0 do
        ngx.print(n >= #chunk and chunk or chunk:sub(1, n)); ngx.flush(true)
        n = n - #chunk
      end
    } }
    location = /huge-headers { content_by_lua_block {
      local v = string.rep("h", 1000)
      for i = 1, 300 do ngx.header["X-Pad-" .. i] = v end
      ngx.print("ok")
    } }
    location = /huge-header-line { content_by_lua_block {
      ngx.header["X-Big"] = string.rep("h", 200000)
      ngx.print("ok")
    } }
    location = /gzip { gzip on; gzip_types text/plain; gzip_min_length 1; content_by_lua_block {
      ngx.print(string.rep("compress me ", 2000))
    } }
    # An interim 103 with headers of its own, then the real answer, raw.
    location = /interim { content_by_lua_block {
      local sock = assert(ngx.req.socket(true))
      sock:send("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\nX-Interim: yes\r\n\r\n"
        .. "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Final: yes\r\nX-Folded: first\r\n  second\r\n"
        .. "Connection: close\r\n\r\nok")
    } }
    location = /redirect { return 302 http://127.0.0.1:PORT/landed; }
    location = /landed { return 200 "landed"; }
  }
  server {
    # The TLS handshake never finishes: the certificate phase sleeps.
    listen 127.0.0.1:STALLPORT ssl;
    ssl_certificate DIR/cert.pem; ssl_certificate_key DIR/key.pem;
    ssl_certificate_by_lua_block { ngx.sleep(5) }
    location / { return 200 "unreachable"; }
  }
}
]]

local function run(cmd)
  local ok = os.execute(cmd)
  return ok == true or ok == 0
end

local read = shell.try_read

local function pid_alive(pid)
  return run("kill -0 " .. pid .. " 2>/dev/null")
end

local function sleep(s)
  run("sleep " .. s)
end

local Server = {}
Server.__index = Server

function Server:log()
  return read(self.dir .. "/access.log") or ""
end

-- nginx logs a request after the client has its answer: wait (bounded) until
-- the log shows `text`, then return the log.
function Server:log_after(text)
  local log = self:log()
  for _ = 1, 100 do
    if log:find(text, 1, true) then break end
    sleep(0.02)
    log = self:log()
  end
  return log
end

-- The access log once every earlier request is in it: a marker request goes
-- last and is waited for (nginx logs after answering).
local marker = 0
function Server:settled_log(session)
  marker = marker + 1
  local tag = "settled-" .. marker
  assert(session:request("GET", self.url .. "/ping?" .. tag))
  return self:log_after(tag)
end

function Server:stop()
  if self.pid then
    run("kill " .. self.pid .. " 2>/dev/null")
    for _ = 1, 100 do
      if not pid_alive(self.pid) then break end
      sleep(0.02)
    end
    self.pid = nil
  end
  if self.dir and self.dir:match("^/tmp/mistapi%-static%.") then
    run("rm -rf '" .. self.dir .. "'")
  end
end

local function make_dir()
  local p = assert(io.popen("mktemp -d /tmp/mistapi-static.XXXXXX"))
  local dir = p:read("*l")
  p:close()
  assert(dir and dir:match("^/tmp/mistapi%-static%."), "static_nginx: mktemp failed")
  assert(run("mkdir -p '" .. dir .. "/tmp'"))
  return dir
end

local function make_cert(dir)
  assert(run("cd '" .. dir .. "' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
    .. " -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=127.0.0.1"
    .. " -addext subjectAltName=IP:127.0.0.1 >openssl.log 2>&1"), "static_nginx: openssl failed")
end

-- Polls /ping over bash's /dev/tcp until this instance answers with its token.
local function answers(port, token)
  local p = io.popen("bash -c 'exec 3<>/dev/tcp/127.0.0.1/" .. port .. " &&"
    .. " printf \"GET /ping HTTP/1.0\\r\\n\\r\\n\" >&3 && timeout 1 cat <&3' 2>/dev/null")
  local out = p:read("*a") or ""
  p:close()
  return out:find(token, 1, true) ~= nil
end

-- One try on ports {http, tls, stall}: -> server | nil, why (why names a lost port race).
local function launch(dir, token, p)
  local conf = CONF:gsub("STALLPORT", tostring(p[3])):gsub("TLSPORT", tostring(p[2]))
    :gsub("PORT", tostring(p[1])):gsub("DIR", dir):gsub("TOKEN", token)
  local f = assert(io.open(dir .. "/nginx.conf", "w"))
  f:write(conf)
  f:close()
  os.remove(dir .. "/nginx.pid")
  -- both logs emptied: a retry must not read the last try's "Address already in use"
  run(": >'" .. dir .. "/error.log'; : >'" .. dir .. "/nginx.out'")
  local h = assert(io.popen("nginx -p '" .. dir .. "' -c '" .. dir .. "/nginx.conf'"
    .. " >'" .. dir .. "/nginx.out' 2>&1 & echo $!"))
  local pid = h:read("*l")
  h:close()
  local why
  for _ = 1, 500 do -- ~10 s: only a hang ends it
    why = (read(dir .. "/error.log") or "") .. (read(dir .. "/nginx.out") or "")
    -- nginx retries a lost bind() for 2.5 s by itself: give up on these ports at once
    if ports.lost_race(why) then break end
    -- its pid file appears once every port is bound
    if read(dir .. "/nginx.pid") and answers(p[1], token) then
      return setmetatable({
        dir = dir, pid = pid, port = p[1], ca = dir .. "/cert.pem",
        url = "http://127.0.0.1:" .. p[1],
        tls_url = "https://127.0.0.1:" .. p[2],
        stall_url = "https://127.0.0.1:" .. p[3],
      }, Server)
    end
    if not pid_alive(pid) then break end
    sleep(0.02)
  end
  run("kill -9 " .. pid .. " 2>/dev/null")
  return nil, why
end

function M.start()
  local dir = make_dir()
  make_cert(dir)
  local token = "static-" .. dir:match("[^.]*$") -- mktemp made it random
  local srv, why = ports.retry(3, function(p) return launch(dir, token, p) end)
  if srv then return srv end
  run("rm -rf '" .. dir .. "'")
  error("static_nginx: nginx did not start: " .. tostring(why):sub(-500))
end

return M
