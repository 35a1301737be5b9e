-- `mistapi-tokens repl` runs with the client the global options make
-- (--token-file, --base-url, --org), not only the environment's, and nothing
-- it prints or keeps holds a credential: not `client.settings`, not the
-- pipeline's headers or the keys made earlier, not a typed password line.
local emulator = require "support.emulator"
local shell = require "support.shell"
local repl = require "mistapi.cli.repl"

local q = shell.quote

describe("mistapi-tokens repl with global options", function()
  local e, dir

  setup(function()
    e = emulator.start()
    dir = shell.private_dir()
  end)
  teardown(function()
    if e then e:stop() end
    shell.remove_tree(dir)
  end)
  before_each(function() e:reset() end)

  -- Lines on standard input (not a terminal: plain lines, no history), with
  -- nothing of the emulator in the environment: only the options say where.
  local function session(lines, where)
    local token_file = dir .. "/token"
    local f = assert(io.open(token_file, "w"))
    f:write(e.token, "\n")
    f:close()
    local input = dir .. "/input.lua"
    f = assert(io.open(input, "w"))
    f:write(table.concat(lines, "\n"), "\n")
    f:close()
    return shell.capture(("env -u MIST_APITOKEN -u MIST_API_TOKEN -u MIST_HOST -u MIST_BASE_URL -u MIST_ORG_ID "
      .. "-u MIST_ENV_FILE -u CURL_CA_BUNDLE -u SSL_CERT_FILE HOME=%s %s repl --token-file %s %s --org %s < %s")
      :format(q(dir), q(shell.CLI), q(token_file), where or ("--base-url " .. q(e.url)), q(e.org_id), q(input)))
  end

  it("talks to the --base-url with the --token-file token, for the --org", function()
    local r = session {
      "print(client.settings.base_url)",
      "print(org_id)",
      "print(#tokens:list_all_org_api_tokens(org_id).data >= 1)",
    }
    assert.equal(0, r.status, r.err)
    assert.truthy(r.out:find(e.url, 1, true), r.out)
    assert.truthy(r.out:find(e.org_id, 1, true), r.out)
    assert.truthy(r.out:find("\ntrue\n", 1, true), r.out)
    assert.falsy(r.out:find(e.token, 1, true), "no token in the output")
  end)

  it("talks to the --host (https) it is given, trusting the --ca-file", function()
    local hostport = e.tls_url:match("^https://(.+)$")
    local r = session({ "print(client.settings.base_url)", "print(#tokens:list_all_org_api_tokens(org_id).data >= 1)" },
      ("--host %s --ca-file %s"):format(q(hostport), q(e.ca_file)))
    assert.equal(0, r.status, r.err)
    assert.truthy(r.out:find(e.tls_url, 1, true), r.out)
    assert.truthy(r.out:find("\ntrue\n", 1, true), r.out)
    assert.falsy((r.out .. r.err):find(e.token, 1, true), "no token in the output")
  end)

  it("prints settings, the pipeline and a new token without a credential or the new key", function()
    local r = session {
      "res = tokens:create_org_api_token(org_id, { name = 'made-here',"
        .. " privileges = { { role = 'read', scope = 'org' } } })",
      "io.stderr:write('KEY=', res.data.key, '\\n')",
      "client.settings",
      "client.pipeline",
      "res",
      "client.settings.tokens[1]",
    }
    assert.equal(0, r.status, r.err)
    local key = r.err:match("KEY=(%w+)")
    assert.truthy(key, "the new key was made")
    assert.truthy(r.out:find("made-here", 1, true), "the result was printed")
    assert.truthy(r.out:find("tokens = ", 1, true), "the settings were printed")
    assert.falsy(r.out:find(e.token, 1, true), "no API token in what the REPL printed")
    assert.falsy(r.out:find(key, 1, true), "no new key in what the REPL printed")
    assert.truthy(r.out:find("[redacted]", 1, true), "an explicit ask for the token is redacted")
  end)
end)

describe("repl history", function()
  it("keeps out a typed password, a secret or a token assignment, keeps ordinary lines", function()
    assert.is_true(repl.private_line('c = mistapi.new { email = "a@b.c", password = "hunter2" }'))
    assert.is_true(repl.private_line("client_secret = 'x1'"))
    assert.is_true(repl.private_line('mistapi.new { token = "short" }'))
    assert.is_true(repl.private_line('two_factor = "123456"'))
    assert.is_true(repl.private_line("k = 'ABCDEFGHIJKLMNOPQRSTUVWX'"))
    assert.is_true(repl.private_line("x = 'abcdefgh1'", { "abcdefgh1" }))
    assert.is_false(repl.private_line('tokens:list_org_api_tokens(org_id)'))
    assert.is_false(repl.private_line('help("create")'))
    assert.is_false(repl.private_line("password_rules = nil"))
  end)
end)
