-- Real proxies for the specs, from Debian packages (make deps installs them):
-- tinyproxy (an http proxy that CONNECTs), stunnel4 in front of it (so the
-- client speaks TLS to the proxy: an https proxy) and dante-server (socks5).
-- Each runs in its own temp dir and process group, on ports from support.ports.
--
--   local proxies = require "support.proxies"
--   local http  = proxies.tinyproxy()                 -- http.url = "http://127.0.0.1:P"
--   local cert  = proxies.cert{ ca = e, name = "localhost" }   -- signed by emulator e's CA
--   local bad   = proxies.cert{ name = "localhost" }            -- self-signed
--   local https = proxies.stunnel(http.port, cert)    -- https.url = "https://localhost:P"
--   local socks = proxies.dante()                     -- socks.url = "socks5h://127.0.0.1:P"
--   x:log() -> its log so far;  x:stop() (idempotent; the whole process group)
-- Works on Lua 5.1, 5.4 and LuaJIT.
local socket = require "socket"
local ports = require "support.ports"
local shell = require "support.shell"

local M = {}

local quote, read = shell.quote, shell.read_file

local function run(cmd)
  local r = os.execute(cmd)
  return r == true or r == 0
end

local function make_dir(name)
  local p = assert(io.popen("mktemp -d /tmp/mistapi-" .. name .. ".XXXXXX"))
  local dir = p:read("*l")
  p:close()
  assert(dir and dir:match("^/tmp/mistapi%-"), "proxies: mktemp failed")
  return dir
end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local function listening(port)
  local c = socket.tcp()
  c:settimeout(1)
  local ok = c:connect("127.0.0.1", port)
  c:close()
  return ok ~= nil
end

-- Running, not a zombie nobody has reaped yet (the group's leader).
local function alive(pid)
  local f = io.open("/proc/" .. pid .. "/stat", "r")
  if not f then return false end
  local stat = f:read("*a") or ""
  f:close()
  return stat:match("%) (%a)") ~= "Z"
end

-- A signal to every process of the group `pid` leads (dante forks helpers).
-- (dash's kill takes "-PID" for a group, not "-- -PID")
local function signal_group(sig, pid)
  run("kill -" .. sig .. " -" .. pid .. " 2>/dev/null")
end

local Proxy = {}
Proxy.__index = Proxy

function Proxy:log()
  return read(self.log_path)
end

function Proxy:stop()
  if self.stopped then return end
  self.stopped = true
  -- the whole group goes: asked first, then (bounded) by force
  signal_group("TERM", self.pid)
  for _ = 1, 250 do
    if not alive(self.pid) then break end
    socket.sleep(0.02)
  end
  signal_group("KILL", self.pid)
  run("rm -rf " .. quote(self.dir))
end
Proxy.__gc = Proxy.stop

-- Starts `program` on a fresh port, retried when it loses the port to
-- another process. conf(port) writes its config and returns its arguments.
-- Ready once its pid file is there and the port answers.
local function start(name, program, conf)
  local dir = make_dir(name)
  local proxy, why = ports.retry(1, function(p)
    local port = p[1]
    local args = conf(dir, port)
    os.remove(dir .. "/pid")
    write(dir .. "/log", "") -- both emptied: a retry must not read the last try's bind failure
    write(dir .. "/out", "")
    local h = assert(io.popen("setsid " .. program .. " " .. args .. " </dev/null >" .. quote(dir .. "/out")
      .. " 2>&1 & echo $!"))
    local pid = tonumber(h:read("*l"))
    h:close()
    local text
    for _ = 1, 500 do -- ~10 s: only a hang ends it
      text = read(dir .. "/out") .. read(dir .. "/log")
      -- a bind that fails on a port a bind() accepted a moment ago lost a race
      -- (tinyproxy says only that it could not listen)
      if ports.lost_race(text) or text:find("Could not create listening sockets", 1, true) then
        text = text .. "\n(Address already in use)"
        break
      end
      if read(dir .. "/pid") ~= "" and listening(port) and alive(pid) then
        local x = setmetatable({ dir = dir, pid = pid, port = port, log_path = dir .. "/log" }, Proxy)
        if newproxy then -- Lua 5.1/LuaJIT run __gc on userdata only
          x._gc = newproxy(true)
          getmetatable(x._gc).__gc = function() x:stop() end
        end
        return x
      end
      if not alive(pid) then break end
      socket.sleep(0.02)
    end
    signal_group("KILL", pid)
    return nil, text
  end)
  if not proxy then
    run("rm -rf " .. quote(dir))
    error(name .. " did not start: " .. tostring(why):sub(-800), 2)
  end
  return proxy
end

--- tinyproxy: a forward http proxy (plain GETs and CONNECT), loopback clients only.
function M.tinyproxy()
  local x = start("tinyproxy", "tinyproxy", function(dir, port)
    write(dir .. "/tinyproxy.conf", table.concat({
      "Port " .. port, "Listen 127.0.0.1", "Timeout 60", "MaxClients 32", "Allow 127.0.0.1",
      "DisableViaHeader Yes", 'LogFile "' .. dir .. '/log"', "LogLevel Connect",
      'PidFile "' .. dir .. '/pid"', "",
    }, "\n"))
    return "-d -c " .. quote(dir .. "/tinyproxy.conf")
  end)
  x.url = "http://127.0.0.1:" .. x.port
  return x
end

--- stunnel4: TLS on its own port with `cert` ({pem, key}), passed on in
-- plain to 127.0.0.1:`to` (a tinyproxy): together, an https proxy.
function M.stunnel(to, cert)
  local x = start("stunnel", "stunnel4", function(dir, port)
    write(dir .. "/stunnel.conf", table.concat({
      "foreground = yes", "pid = " .. dir .. "/pid", "output = " .. dir .. "/log", "debug = notice",
      "[proxy]", "accept = 127.0.0.1:" .. port, "connect = 127.0.0.1:" .. to,
      "cert = " .. cert.pem, "key = " .. cert.key, "",
    }, "\n"))
    return quote(dir .. "/stunnel.conf")
  end)
  x.url = "https://localhost:" .. x.port
  return x
end

--- dante-server: a socks5 proxy, no authentication, loopback clients only.
function M.dante()
  local x = start("dante", "danted", function(dir, port)
    write(dir .. "/danted.conf", table.concat({
      "logoutput: " .. dir .. "/log",
      "internal: 127.0.0.1 port = " .. port,
      "external: 127.0.0.1",
      "socksmethod: none", "clientmethod: none",
      "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 log: connect error }",
      "socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 log: connect error }", "",
    }, "\n"))
    return "-N 1 -f " .. quote(dir .. "/danted.conf") .. " -p " .. quote(dir .. "/pid")
  end)
  x.url = "socks5h://127.0.0.1:" .. x.port
  return x
end

--- A key and certificate for `name` (and 127.0.0.1 when name is localhost),
-- signed by the CA of emulator `ca` (its tls/ca.pem and ca.key), or
-- self-signed when no ca is given. -> { pem =, key =, dir = }; the files live
-- in their own temp dir, which `stop` of the cert removes.
function M.cert(opts)
  local dir = make_dir("cert")
  local san = "DNS:" .. opts.name .. (opts.name == "localhost" and ",IP:127.0.0.1" or "")
  local ext = dir .. "/ext"
  write(ext, "subjectAltName=" .. san .. "\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
  local key, pem = dir .. "/key.pem", dir .. "/cert.pem"
  local cmd
  if opts.ca then
    local ca = opts.ca.dir .. "/tls"
    cmd = ("openssl ecparam -name prime256v1 -genkey -noout -out %s && openssl req -new -key %s -subj %s"
      .. " -out %s/csr && openssl x509 -req -in %s/csr -CA %s -CAkey %s -set_serial 0x$(openssl rand -hex 8)"
      .. " -days 2 -extfile %s"
      .. " -out %s"):format(quote(key), quote(key), quote("/CN=" .. opts.name), quote(dir), quote(dir),
      quote(ca .. "/ca.pem"), quote(ca .. "/ca.key"), quote(ext), quote(pem))
  else
    cmd = ("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout %s -out %s"
      .. " -days 2 -subj %s -addext %s"):format(quote(key), quote(pem), quote("/CN=" .. opts.name),
      quote("subjectAltName=" .. san))
  end
  assert(run("(" .. cmd .. ") >" .. quote(dir .. "/openssl.log") .. " 2>&1"),
    "proxies: openssl failed: " .. read(dir .. "/openssl.log"))
  return { pem = pem, key = key, dir = dir, stop = function() run("rm -rf " .. quote(dir)) end }
end

return M
