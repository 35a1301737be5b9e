-- The proxy option for real. An http forward proxy (a second nginx) carries
-- the client's calls to the emulator; an https proxy (stunnel4 in front of
-- tinyproxy: TLS to the proxy, its certificate checked) and a socks5 proxy
-- (dante-server) carry them to the emulator's TLS port, its certificate
-- checked through the tunnel. Proxies with a certificate we must not trust
-- are refused.
local emu = require "support.emulator"
local core = require "mistapi.core"
local mistapi = require "mistapi"
local shell = require "support.shell"
local proxies = require "support.proxies"
local ports = require "support.ports"

local ADMIN = { { role = "admin", scope = "org" } }

local function no_env() return nil end

local CONF = [[
daemon off; master_process off; worker_processes 1;
pid DIR/nginx.pid; error_log DIR/error.log info;
events { worker_connections 64; }
http {
  log_format proxied '$request_method $scheme://$http_host$request_uri $status';
  access_log DIR/access.log proxied;
  client_body_temp_path DIR/tmp/body; proxy_temp_path DIR/tmp/proxy;
  fastcgi_temp_path DIR/tmp/fastcgi; uwsgi_temp_path DIR/tmp/uwsgi; scgi_temp_path DIR/tmp/scgi;
  server {
    listen 127.0.0.1:PORT;
    location = /_proxy_health { return 200 "up"; }
    # targets are loopback IP literals, so no resolver is needed
    location / { proxy_pass http://$http_host$request_uri; proxy_set_header Host $http_host; }
  }
}
]]

local read = shell.read_file

-- os.execute answers true (5.2+) or 0 (5.1) on success
local function alive(pid)
  local r = os.execute("kill -0 " .. pid .. " 2>/dev/null")
  return r == true or r == 0
end

-- One try at starting the proxy nginx on `port`: -> proxy | nil, why (why names a lost race).
local function launch_proxy(dir, port, probe)
  local f = assert(io.open(dir .. "/nginx.conf", "w"))
  f:write((CONF:gsub("DIR", dir):gsub("PORT", tostring(port))))
  f:close()
  os.remove(dir .. "/nginx.pid")
  os.execute(": >" .. dir .. "/error.log")
  local h = assert(io.popen("nginx -p " .. dir .. " -c " .. dir .. "/nginx.conf </dev/null >" .. dir
    .. "/out.log 2>&1 & echo $!"))
  local pid = tonumber(h:read("*l"))
  h:close()
  local url, why = "http://127.0.0.1:" .. port, nil
  for _ = 1, 500 do -- ~10 s: only a hang ends it
    why = read(dir .. "/out.log") .. read(dir .. "/error.log")
    if ports.lost_race(why) then break end -- nginx would retry for 2.5 s: pick another port now
    if read(dir .. "/nginx.pid") ~= "" and probe:request("GET", url .. "/_proxy_health", {}) == 200 then
      return {
        url = url, dir = dir, pid = pid,
        log = function() return read(dir .. "/access.log") end,
        stop = function()
          os.execute("kill " .. pid .. " 2>/dev/null; for i in $(seq 1 100); do kill -0 " .. pid
            .. " 2>/dev/null || break; sleep 0.02; done; rm -rf " .. dir)
        end,
      }
    end
    if not alive(pid) then break end
    core.sleep(0.02)
  end
  os.execute("kill -9 " .. pid .. " 2>/dev/null")
  return nil, why
end

-- Starts the proxy nginx on a free port; returns {url, dir, pid, log(), stop()}.
local function start_proxy()
  local probe = core.session { allow_http = true, timeout = 10, connect_timeout = 5 }
  local dir = assert(io.popen("mktemp -d /tmp/mistapi-proxy.XXXXXX")):read("*l")
  assert(os.execute("mkdir -p " .. dir .. "/tmp"))
  local proxy, why = ports.retry(1, function(p) return launch_proxy(dir, p[1], probe) end)
  probe:close()
  if not proxy then
    os.execute("rm -rf " .. dir)
    error("the proxy nginx did not start: " .. tostring(why))
  end
  return proxy
end

describe("an http forward proxy", function()
  local e, proxy

  setup(function()
    e = emu.start()
    proxy = start_proxy()
  end)
  teardown(function()
    if proxy then proxy.stop() end
    e:stop()
  end)

  it("carries every call to the server, as its access log shows", function()
    -- plain http through a proxy: only when the caller says insecure_http
    local c = assert(mistapi.new { base_url = e.url, token = e.token, proxy = proxy.url, getenv = no_env,
      insecure_http = true })
    local t = c:orgs_api_tokens()
    local made = assert(t:create_org_api_token(e.org_id, { name = "via proxy", privileges = ADMIN }))
    assert(t:get_org_api_token(e.org_id, made.data.id))
    local all = assert(t:list_all_org_api_tokens(e.org_id))
    c:close()
    assert.same(2, #all.data)
    local base = e.url .. "/api/v1/orgs/" .. e.org_id .. "/apitokens"
    -- nginx writes an access-log line just after it answers: wait (bounded) for the last one
    local log, last = proxy.log(), "GET " .. base .. "?limit=100&page=1 200"
    for _ = 1, 200 do
      if log:find(last, 1, true) then break end
      core.sleep(0.05)
      log = proxy.log()
    end
    assert.truthy(log:find("POST " .. base .. " 200", 1, true))
    assert.truthy(log:find("GET " .. base .. "/" .. made.data.id .. " 200", 1, true))
    assert.truthy(log:find("GET " .. base .. "?limit=100&page=1 200", 1, true))
    assert.is_nil(log:find(e.token, 1, true))
  end)

  it("reports a proxy that refuses as a transport failure, without the proxy's password", function()
    local port = ports.dead()
    local c = assert(mistapi.new { base_url = e.url, token = e.token, max_retries = 0, getenv = no_env,
      proxy = "http://user:s3cretpr0xy@127.0.0.1:" .. port, insecure_http = true })
    local res, err = c:orgs_api_tokens():list_org_api_tokens(e.org_id)
    c:close()
    assert.is_nil(res)
    assert.same("transport", err.kind)
    assert.is_nil(tostring(err):find("s3cretpr0xy", 1, true))
  end)
end)

-- One list call through client c, which it then closes. -> res, err
local function calls_list(c, e)
  local t = c:orgs_api_tokens()
  local res, err = t:list_org_api_tokens(e.org_id)
  c:close()
  return res, err
end

describe("an https proxy (stunnel4 in front of tinyproxy)", function()
  local e, tiny, good, https

  setup(function()
    e = emu.start()
    tiny = proxies.tinyproxy()
    good = proxies.cert { ca = e, name = "localhost" }   -- signed by the CA the client trusts
    https = proxies.stunnel(tiny.port, good)
  end)
  teardown(function()
    for _, x in ipairs { https, tiny } do x:stop() end
    good.stop()
    e:stop()
  end)

  local function client(proxy, base)
    return assert(mistapi.new { base_url = base or e.tls_url, token = e.token, ca_file = e.ca_file,
      proxy = proxy, max_retries = 0, getenv = no_env, insecure_http = true })
  end

  it("carries calls to the https server, the proxy's certificate checked against ca_file", function()
    local c = client(https.url)
    local t = c:orgs_api_tokens()
    local made = assert(t:create_org_api_token(e.org_id, { name = "via https proxy", privileges = ADMIN }))
    assert(t:get_org_api_token(e.org_id, made.data.id))
    c:close()
    -- tinyproxy opened the tunnel to the emulator's TLS port: the calls went through it
    local port = e.tls_url:match(":(%d+)$")
    assert.truthy(tiny:log():find("CONNECT localhost:" .. port, 1, true))
    assert.is_nil(tiny:log():find(e.token, 1, true))
    assert.is_nil(tiny:log():find(made.data.key, 1, true))
  end)

  it("carries a plain-http call inside its TLS too", function()
    local res, err = calls_list(client(https.url, e.url), e)
    assert.is_nil(err)
    assert.same(200, res.status)
    assert.truthy(tiny:log():find("GET " .. e.url .. "/api/v1/orgs/" .. e.org_id .. "/apitokens", 1, true))
  end)

  it("refuses a proxy whose certificate no trusted CA signed, before sending anything", function()
    local self_signed = proxies.cert { name = "localhost" }
    local bad = proxies.stunnel(tiny.port, self_signed)
    finally(function() bad:stop() self_signed.stop() end)
    local before = #tiny:log()
    local res, err = calls_list(client(bad.url), e)
    assert.is_nil(res)
    assert.same("transport", err.kind)
    assert.is_false(err.reached)
    assert.matches("certificate", err.message)
    assert.is_nil(tiny:log():sub(before + 1):find("Request (", 1, true), "nothing went past the proxy's TLS")
  end)

  it("refuses a proxy whose certificate names another host", function()
    local wrong = proxies.cert { ca = e, name = "wrong.example" }
    local bad = proxies.stunnel(tiny.port, wrong)
    finally(function() bad:stop() wrong.stop() end)
    local before = #tiny:log()
    local res, err = calls_list(client(bad.url), e)
    assert.is_nil(res)
    assert.same("transport", err.kind)
    assert.is_false(err.reached)
    assert.is_nil(tiny:log():sub(before + 1):find("Request (", 1, true), "nothing went past the proxy's TLS")
  end)

  it("refuses it without ca_file too: the system's trust store knows no test CA", function()
    -- a plain-http server behind it, so only the proxy's certificate is in question
    local c = assert(mistapi.new { base_url = e.url, token = e.token, proxy = https.url,
      max_retries = 0, getenv = no_env, insecure_http = true })
    local before = #tiny:log()
    local res, err = calls_list(c, e)
    assert.is_nil(res)
    assert.same("transport", err.kind)
    assert.is_false(err.reached)
    assert.is_nil(tiny:log():sub(before + 1):find("Request (", 1, true), "nothing went past the proxy's TLS")
  end)
end)

describe("a socks5 proxy (dante-server)", function()
  local e, socks

  setup(function()
    e = emu.start()
    socks = proxies.dante()
  end)
  teardown(function()
    socks:stop()
    e:stop()
  end)

  local function through(url, base)
    return assert(mistapi.new { base_url = base or e.tls_url, token = e.token, ca_file = e.ca_file,
      proxy = url, max_retries = 0, getenv = no_env, insecure_http = true })
  end

  for _, scheme in ipairs { "socks5h", "socks5" } do
    it("carries calls to the https server as " .. scheme .. ", the server's certificate checked", function()
      local url = scheme .. "://127.0.0.1:" .. socks.port
      local before = #socks:log()
      local res, err = calls_list(through(url), e)
      assert.is_nil(err)
      assert.same(200, res.status)
      -- dante logs each connection it passes on: one to the emulator's TLS port
      local port = e.tls_url:match(":(%d+)$")
      assert.truthy(socks:log():sub(before + 1):find("127%.0%.0%.1%." .. port))
    end)
  end

  it("refuses a server whose certificate names another host, through the tunnel", function()
    local res, err = calls_list(through(socks.url, e.tls_wrong_url), e)
    assert.is_nil(res)
    assert.same("transport", err.kind)
    assert.matches("certificate", err.message)
  end)

  it("refuses a server whose certificate no trusted CA signed, through the tunnel", function()
    local c = assert(mistapi.new { base_url = e.tls_url, token = e.token, proxy = socks.url,
      max_retries = 0, getenv = no_env })
    local res, err = calls_list(c, e)
    assert.is_nil(res)
    assert.same("transport", err.kind)
    assert.matches("certificate", err.message)
  end)
end)
