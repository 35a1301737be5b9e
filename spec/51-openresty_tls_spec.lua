-- HTTPS from inside nginx: verified against lua_ssl_trusted_certificate,
-- failing clearly without it or when the name does not match.
-- nginx runs LuaJIT itself, so these run once, in the Lua 5.4 run.
if jit then
  pending("nginx specs run in the Lua 5.4 run only")
  return
end

local cjson = require "cjson"
local emulator = require "support.emulator"
local nginx_app = require "support.nginx_app"

describe("examples/openresty over TLS", function()
  local e

  setup(function()
    e = emulator.start()
  end)

  teardown(function()
    if e then e:stop() end
  end)

  local function list_with(base_url, ca_file)
    local app = nginx_app.start {
      env = { MIST_APITOKEN = e.token, MIST_ORG_ID = e.org_id, MIST_BASE_URL = base_url },
      ca_file = ca_file,
    }
    local status, info, body = app:request("GET", "/tokens")
    local log = app:error_log():gsub("[^\n]*%[notice%][^\n]*\n", "")
    app:stop()
    if status == nil then error("nginx did not answer: " .. tostring(info and info.message), 2) end
    local ok, doc = pcall(cjson.decode, body)
    if not ok then error("not JSON: " .. tostring(status) .. "; nginx's log: " .. log, 2) end
    return status, doc
  end

  it("lists tokens when lua_ssl_trusted_certificate holds the server's CA", function()
    local status, doc = list_with(e.tls_url, e.ca_file)
    assert.equal(200, status)
    assert.is_true(#doc >= 1)
    assert.equal(e.org_id, doc[1].org_id)
  end)

  it("fails with a clear error when nginx does not trust the CA", function()
    local status, doc = list_with(e.tls_url, nil)   -- the system bundle only
    assert.equal(502, status)
    assert.equal("transport", doc.error)
    assert.matches("TLS handshake with localhost:%d+ failed", doc.message)
    assert.matches("lua_ssl_trusted_certificate", doc.message, 1, true)
  end)

  it("never hands a TLS connection verified under one trust to a server block with another", function()
    -- one nginx, one worker: the http level trusts the emulator's CA, a
    -- second server block only the system bundle. A pooled connection to
    -- the emulator made by the first must not serve the second.
    local probe = [[
      content_by_lua_block {
        local T = require "mistapi.transport.ngx"
        local resp, info = assert(T.new { timeout = 5 }):request {
          method = "GET", url = ngx.unescape_uri(ngx.var.arg_url), headers = {} }
        ngx.print(resp and ("status " .. resp.status) or info.message)
      }]]
    local app = nginx_app.start {
      ca_file = e.ca_file,
      extra = "server { listen 127.0.0.1:@EXTRA_PORT@; location = /call {" .. probe .. "} }\n"
        .. "server { listen 127.0.0.1:@EXTRA_PORT_2@;\n"
        .. "  lua_ssl_trusted_certificate " .. nginx_app.SYSTEM_CA .. ";\n"
        .. "  location = /call {" .. probe .. "} }\n",
    }
    local function call(port)
      local _, _, body = app.session:request("GET", ("http://127.0.0.1:%d/call?url=%s"):format(port,
        (e.tls_url .. "/api/v1/self"):gsub("[^%w]", function(c) return ("%%%02X"):format(c:byte()) end)), {}, nil)
      return body
    end
    local trusting, system_only = app.extra_ports[1], app.extra_ports[2]
    local first = call(trusting)
    local other = call(system_only)
    local again = call(trusting)
    app:stop()
    assert.equal("status 401", first)
    assert.matches("TLS handshake with localhost:%d+ failed", other)
    assert.equal("status 401", again)
  end)

  it("refuses a certificate for another name, even from a trusted CA", function()
    local status, doc = list_with(e.tls_wrong_url, e.ca_file)
    assert.equal(502, status)
    assert.equal("transport", doc.error)
    assert.matches("TLS handshake with localhost:%d+ failed", doc.message)
  end)
end)
