-- The CLI says where it talks and as whom (`whoami`), and trusts a private CA
-- when told to (`--ca-file`, or CURL_CA_BUNDLE / SSL_CERT_FILE as curl does),
-- against the emulator's TLS port, whose certificate no system bundle trusts.
local emulator = require "support.emulator"
local shell = require "support.shell"
local cjson = require "cjson"

local q = shell.quote

describe("mistapi-tokens whoami and --ca-file", function()
  local e

  setup(function() e = emulator.start() end)
  teardown(function() if e then e:stop() end end)
  before_each(function() e:reset() end)

  -- the emulator's environment, with MIST_BASE_URL pointed at its TLS port
  -- and no CA variable inherited from the machine
  local function run(argv, extra_env)
    return shell.run_cli(e, argv, " unset CURL_CA_BUNDLE SSL_CERT_FILE; export MIST_BASE_URL=$MIST_EMU_TLS_URL; "
      .. (extra_env or ""))
  end

  it("over TLS with a private CA: refused without the CA, works with --ca-file or the curl variables", function()
    local r = run("list")
    assert.are_not.equal(0, r.status)
    assert.truthy(r.err:lower():find("certificate"), r.err)

    r = run("list --ca-file " .. q(e.ca_file))
    assert.equal(0, r.status, r.err)
    assert.truthy(r.out:lower():find("name", 1, true), r.out)

    for _, var in ipairs({ "CURL_CA_BUNDLE", "SSL_CERT_FILE" }) do
      r = run("list", ("export %s=%s;"):format(var, q(e.ca_file)))
      assert.equal(0, r.status, var .. ": " .. r.err)
    end
    -- a CA file that can't be read is a usage error naming where it came from, before any request
    e:clear_log()
    r = run("list --ca-file /nonexistent/ca.pem")
    assert.equal(2, r.status)
    assert.truthy(r.err:find("--ca-file /nonexistent/ca.pem: no such file", 1, true), r.err)
    r = run("list", "export SSL_CERT_FILE=/nonexistent/ca.pem;")
    assert.equal(2, r.status)
    assert.truthy(r.err:find("$SSL_CERT_FILE /nonexistent/ca.pem", 1, true), r.err)
    assert.same({}, e:log())
    -- --ca-file wins over the environment
    r = run("list --ca-file /etc/ssl/certs/ca-certificates.crt", ("export CURL_CA_BUNDLE=%s;"):format(q(e.ca_file)))
    assert.are_not.equal(0, r.status)
  end)

  it("whoami names the host, the identity and its privileges, and never the token", function()
    local r = run("whoami --ca-file " .. q(e.ca_file))
    assert.equal(0, r.status, r.err)
    assert.truthy(r.out:find("host:%s+" .. e.tls_url:gsub("%p", "%%%0")), r.out)
    assert.truthy(r.out:find("identity:%s+API token"), r.out)
    assert.truthy(r.out:find("org:%s+" .. e.org_id:gsub("%-", "%%-")), r.out)
    assert.truthy(r.out:find("admin%s+org"), r.out)
    assert.falsy(r.out:find(e.token, 1, true))
    assert.falsy(r.err:find(e.token, 1, true))

    r = run("whoami --json --ca-file " .. q(e.ca_file))
    assert.equal(0, r.status, r.err)
    local doc = cjson.decode(r.out)
    assert.equal(e.tls_url, doc.host)
    assert.equal(e.org_id, doc.org_id)
    assert.equal("admin", doc.self.privileges[1].role)
  end)

  it("whoami with a user's credentials names the user", function()
    local r = shell.run_cli(e, "whoami", (" unset CURL_CA_BUNDLE SSL_CERT_FILE MIST_APITOKEN; "
      .. "export MIST_USER=%s MIST_PASSWORD=%s;"):format(q(e.email), q(e.password)))
    assert.equal(0, r.status, r.err)
    assert.truthy(r.out:find("identity:%s+user " .. e.email:gsub("%p", "%%%0")), r.out)
    assert.falsy(r.out:find(e.password, 1, true))
  end)

  it("-v lines name the host as well as the path", function()
    local r = run("-v whoami --ca-file " .. q(e.ca_file))
    assert.equal(0, r.status, r.err)
    assert.truthy(r.err:find("debug: GET " .. e.tls_url:gsub("%p", "%%%0") .. "/api/v1/self %-> 200"), r.err)
  end)

  it("whoami with a token the API refuses fails with the client-error status", function()
    local r = shell.run_cli(e, "whoami", (" export MIST_APITOKEN=%s;"):format(string.rep("x", 40)))
    assert.equal(4, r.status, r.out .. r.err)
    assert.truthy(r.err:find("401", 1, true), r.err)
  end)
end)
