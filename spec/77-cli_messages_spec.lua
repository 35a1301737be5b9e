-- The lifecycle's messages as the CLI prints them: in the command line's
-- words (--allow-self, --restart, --no-verify, "run the same command again
-- with the same --key-file"), never the library's (allow_self, load,
-- restart, verify = false), and never cut before their advice.
local fresh_client = require "support.fresh_client"
local shell = require "support.shell"
local cli_run = require("support.cli").run

local READ = { { role = "read", scope = "org" } }
local ADMIN = { { role = "admin", scope = "org" } }
local LIBRARY_WORDS = { "allow_self", "keep_old", "give load", "with load", "load gave", "verify = false",
  "or restart", "with restart", "the CLI:" }

describe("the lifecycle's messages in the CLI's words", function()
  local fresh = fresh_client.new { max_retries = 0 }
  local e, tokens, dir, secrets

  setup(function() e = fresh:start() end)
  teardown(function() fresh:stop() end)
  before_each(function()
    tokens, dir = fresh:renew_in_dir()
    secrets = { e.token }
  end)
  after_each(function() fresh:remove_dir() end)

  local function cli(argv, token)
    table.insert(argv, 1, "--max-retries")
    table.insert(argv, 2, "0")
    return cli_run(e, argv, { token = token, secrets = secrets })
  end

  local function in_cli_words(text)
    for _, w in ipairs(LIBRARY_WORDS) do
      assert.is_nil(text:find(w, 1, true), ("%q in: %s"):format(w, text))
    end
  end

  local function make(name, extra)
    local body = { name = name, privileges = READ }
    for k, v in pairs(extra or {}) do body[k] = v end
    local t = assert(tokens:create_org_api_token(e.org_id, body)).data
    secrets[#secrets + 1] = t.key
    return t
  end

  local function ends_with(text, tail)
    text = text:gsub("%s+$", "")
    assert.equal(tail, text:sub(-#tail), text)
  end

  it("rotating the token the command runs with names --allow-self", function()
    local me = make("me", { privileges = ADMIN })
    local r = cli({ "rotate", me.id, "--key-file", dir .. "/me.key" }, me.key)
    assert.equal(3, r.status, r.err)
    in_cli_words(r.err)
    assert.matches("pass --allow-self", r.err, 1, true)
    r = cli({ "delete", me.id, "--yes" }, me.key)
    in_cli_words(r.err)
  end)

  it("an unfinished rotation: the whole advice, --restart last and not cut; --restart then works", function()
    local old = make("ci")
    local pending = make("ci [rotation of " .. old.id .. "]")
    local path = dir .. "/ci.key"
    -- a key file with another token's key in it: the run can't tell whose the
    -- unfinished token's key is, so it asks (a key file with nothing for it
    -- would have the keyless token cleared by the run itself)
    local other = make("other")
    local f = assert(io.open(dir .. "/other.key", "w"))
    f:write(other.key, "\n")
    f:close()
    local r = cli { "rotate", "ci", "--key-file", dir .. "/other.key" }
    assert.equal(6, r.status, r.err)
    in_cli_words(r.err)
    assert.matches("the key in the --key-file is not that token's", r.err, 1, true)
    ends_with(r.err, "or --restart to delete it and rotate again")
    -- as the message says
    r = cli { "rotate", "ci", "--key-file", path, "--restart" }
    assert.equal(0, r.status, r.err)
    secrets[#secrets + 1] = shell.read_file(path):match("%S+")
    assert.equal(404, (e:api("GET", e:tokens_path(pending.id))))
  end)

  it("an old token that could not be deleted: run the same command again, which finishes it", function()
    local old = make("ci")
    local path = dir .. "/ci.key"
    e:fault { kind = "status", status = 500, method = "DELETE", path = e:tokens_path(old.id), count = 1 }
    local r = cli { "rotate", "ci", "--key-file", path }
    assert.equal(5, r.status, r.err)
    secrets[#secrets + 1] = shell.read_file(path):match("%S+")
    in_cli_words(r.err)
    assert.matches("running the same command again with the same --key-file finishes the rotation", r.err, 1, true)
    -- the same command again
    r = cli { "rotate", old.id, "--key-file", path }
    assert.equal(0, r.status, r.err)
    assert.matches("finishing an interrupted rotation", r.out, 1, true)
    assert.equal(404, (e:api("GET", e:tokens_path(old.id))))
  end)

  it("apply: an unfinished create names the same --key-dir and --restart, in plan's notes too", function()
    make("app-a [being created]")
    local state, keys = dir .. "/s.json", dir .. "/keys"
    assert(os.execute("mkdir -m 700 " .. shell.quote(keys)))
    -- the key dir holds another token's key under that name: apply can't tell, so it asks
    local other = make("other")
    local f = assert(io.open(keys .. "/app-a.key", "w"))
    f:write(other.key, "\n")
    f:close()
    f = assert(io.open(state, "w"))
    f:write('{"tokens":{"app-a":{"privileges":[{"role":"read","scope":"org"}]}}}')
    f:close()
    local r = cli { "plan", state }
    in_cli_words(r.out)
    assert.matches("or deletes it with --restart", r.out, 1, true)
    r = cli { "apply", state, "--key-dir", keys, "--yes" }
    assert.equal(6, r.status, r.err)
    in_cli_words(r.out .. r.err)
    assert.matches("run the same command again with the same --key-dir", r.err, 1, true)
    ends_with(r.err, "or --restart to delete it and create again; nothing was done before it")
    -- --restart never overwrites a key file it did not make: the other key goes first
    r = cli { "apply", state, "--key-dir", keys, "--yes", "--restart" }
    assert.equal(6, r.status, r.err)
    assert.matches("not overwriting it", r.err, 1, true)
    os.remove(keys .. "/app-a.key")
    r = cli { "apply", state, "--key-dir", keys, "--yes", "--restart" }
    assert.equal(0, r.status, r.err)
    secrets[#secrets + 1] = shell.read_file(keys .. "/app-a.key"):match("%S+")
  end)

  it("a lifecycle error longer than an error's own cut is shown whole, its advice last", function()
    local name = "app-" .. ("l"):rep(200)
    make(name .. " [being created]")
    local state, keys = dir .. "/s.json", dir .. "/keys"
    assert(os.execute("mkdir -m 700 " .. shell.quote(keys)))
    local other = make("other")
    local kf = assert(io.open(keys .. "/" .. name .. ".key", "w"))
    kf:write(other.key, "\n")
    kf:close()
    local f = assert(io.open(state, "w"))
    f:write('{"tokens":{"' .. name .. '":{"privileges":[{"role":"read","scope":"org"}]}}}')
    f:close()
    local r = cli { "apply", state, "--key-dir", keys, "--yes" }
    assert.equal(6, r.status, r.err)
    assert.matches("an unfinished create of " .. name .. " exists", r.err, 1, true)
    ends_with(r.err, "or --restart to delete it and create again; nothing was done before it")
  end)

  it("a key refused from this host names --no-verify", function()
    make("ci")
    local r = cli { "rotate", "ci", "--key-file", dir .. "/ci.key", "--src-ip", "203.0.113.0/24" }
    assert.equal(4, r.status, r.err)
    in_cli_words(r.err)
    assert.matches("--no-verify checks the token without using its key", r.err, 1, true)
  end)

  it("a long message loses its middle, never its advice", function()
    local words = require "mistapi.cli.words"
    local text = "rotate: verify failed: " .. ("x"):rep(5000) .. "; or restart to delete it and rotate again"
    local line = words.line(words.cli(text, "rotate"), {})
    assert.is_true(#line <= words.MAX_LINE + 5)
    ends_with(line, "or --restart to delete it and rotate again")
  end)
end)
