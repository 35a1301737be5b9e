-- TLS and plain http: certificates are always verified, with a message that
-- says so when they fail; plain http goes only to loopback unless the caller
-- says insecure_http, and a refused URL is refused before a byte leaves.
local emu = require "support.emulator"
local raw = require "support.raw_server"
local mistapi = require "mistapi"

-- A non-loopback address of this machine, to listen on for the "no byte
-- leaves" checks; nil when there is none.
local function outside_address()
  local p = io.popen("hostname -I 2>/dev/null")
  local text = p and p:read("*a") or ""
  if p then p:close() end
  for a in text:gmatch("%S+") do
    if a:match("^%d+%.%d+%.%d+%.%d+$") and not a:match("^127%.") then return a end
  end
  return nil
end

describe("TLS", function()
  local e

  setup(function()
    e = emu.start()
  end)

  teardown(function()
    e:stop()
  end)

  local function list_via(opts)
    opts.token = e.token
    opts.max_retries = 0
    opts.timeout = 5
    local client = assert(mistapi.new(opts))
    local res, err = client:orgs_api_tokens():list_org_api_tokens(e.org_id)
    client:close()
    return res, err
  end

  -- How many API requests the emulator saw (its log), so a failed handshake
  -- can be shown to have sent nothing.
  local function api_requests()
    local n = 0
    for _, entry in ipairs(e:log()) do
      if entry.path:match("^/api/") then n = n + 1 end
    end
    return n
  end

  it("has a TLS listener and its CA to test against", function()
    assert.truthy(e.tls_url and e.tls_url:match("^https://"))
    assert.truthy(e.ca_file and io.open(e.ca_file, "r"))
  end)

  it("fails verification without the emulator's CA, says it is the certificate, sends nothing", function()
    e:clear_log()
    local res, err = list_via{ base_url = e.tls_url }
    assert.is_nil(res)
    assert.equal("transport", err.kind)
    assert.truthy(err.message:lower():find("certificate", 1, true), err.message)
    assert.is_false(err.reached)
    assert.equal(0, api_requests())
    assert.falsy(tostring(err):find(e.token, 1, true))
  end)

  it("passes with ca_file", function()
    local res, err = list_via{ base_url = e.tls_url, ca_file = e.ca_file }
    assert.is_nil(err)
    assert.equal(200, res.status)
  end)

  it("fails with a CA that did not sign the certificate", function()
    local res, err = list_via{ base_url = e.tls_url, ca_file = "/etc/ssl/certs/ca-certificates.crt" }
    assert.is_nil(res)
    assert.equal("transport", err.kind)
    assert.truthy(err.message:lower():find("certificate", 1, true), err.message)
  end)

  it("fails for a certificate issued to another host name, even with the right CA", function()
    assert.truthy(e.tls_wrong_url, "the emulator offers a wrong-host listener")
    e:clear_log()
    local res, err = list_via{ base_url = e.tls_wrong_url, ca_file = e.ca_file }
    assert.is_nil(res)
    assert.equal("transport", err.kind)
    local m = err.message:lower()
    assert.truthy(m:find("name", 1, true) or m:find("certificate", 1, true), err.message)
    assert.is_false(err.reached)
    assert.equal(0, api_requests())
  end)
end)

describe("plain http", function()
  local function refused(url, extra)
    local opts = { base_url = url, token = "plain-http-test-token-0123456789" }
    for k, v in pairs(extra or {}) do opts[k] = v end
    local client, err = mistapi.new(opts)
    assert.is_nil(client, url .. " must be refused")
    assert.equal("validation", err.kind)
    assert.truthy(err.message:find("base_url", 1, true), err.message)
    return err
  end

  it("to a remote host is refused by mistapi.new", function()
    local err = refused("http://example.com")
    assert.truthy(err.message:find("loopback", 1, true), err.message)
    refused("HTTP://example.com")
  end)

  it("to names and numbers that only look like loopback is refused", function()
    for _, url in ipairs{ "http://127.0.0.1.nip.io", "http://localhost.example.com", "http://0x7f000001",
                          "http://2130706433", "http://127.0.0.1@example.com" } do
      refused(url)
    end
  end)

  it("to loopback is allowed", function()
    for _, url in ipairs{ "http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080" } do
      local client = assert(mistapi.new{ base_url = url, token = "plain-http-test-token-0123456789" })
      client:close()
    end
  end)

  it("to a listening non-loopback address: not one byte reaches it; insecure_http = true reaches it", function()
    local addr = outside_address()
    if not addr then
      pending("this machine has no non-loopback IPv4 address")
      return
    end
    local srv = raw.start{ host = addr, lifetime = 5,
      { chunks = { "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]" } } }
    refused(srv.url)
    assert.same({}, srv:requests())

    srv = raw.start{ host = addr, lifetime = 5,
      { chunks = { "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]" } } }
    local client = assert(mistapi.new{ base_url = srv.url, token = "plain-http-test-token-0123456789",
      insecure_http = true, max_retries = 0, timeout = 2 })
    local res, err = client:orgs_api_tokens():list_org_api_tokens("5d2e9a1c-1111-4c2b-9a2b-1b2c3d4e5f60")
    client:close()
    assert.is_nil(err)
    assert.equal(200, res.status)
    local seen = srv:requests()
    assert.equal(1, #seen)
    assert.truthy(seen[1]:match("^GET /api/v1/orgs/"))
  end)
end)
