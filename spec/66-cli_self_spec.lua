-- `mistapi-tokens self list|get|create|update|delete` against the emulator: the
-- user's own tokens from a shell. The user's API token reaches the CLI through
-- --token-file - (standard input), never a command line; output that may hold a
-- new key is searched with find() and never printed.
local emulator = require "support.emulator"
local shell = require "support.shell"
local core = require "mistapi.core"

local ROOT = os.getenv("PWD") or "."
local SCRIPT = ROOT .. "/bin/mistapi-tokens"
local UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"

local q = shell.quote

local tmp_path, mode_of = shell.unused_path, shell.mode

local function count_lines(s)
  local n = 0
  for _ in s:gmatch("[^\n]*\n") do n = n + 1 end
  return n
end

describe("mistapi-tokens self", function()
  local e, key_file

  -- Runs the CLI as the built-in user (its own token from key_file), with no org set.
  local function run(argv, token_file)
    return shell.capture(("%sunset MIST_APITOKEN MIST_ORG_ID; %s %s --token-file - <%s"):format(
      shell.client_env(e), q(SCRIPT), argv, q(token_file or key_file)))
  end

  local function masked(key) return key:sub(1, 4) .. "..." .. key:sub(-4) end

  setup(function() e = emulator.start() end)
  teardown(function()
    if key_file then os.remove(key_file) end
    if e then e:stop() end
  end)
  before_each(function()
    e:reset()
    key_file = key_file or tmp_path()
    local f = assert(io.open(key_file, "w"))
    f:write(assert(e:make_self_token { name = "bootstrap" }.key), "\n")
    f:close()
  end)

  it("creates a token of the user's own, shows its key once, then lists, gets, renames and deletes it", function()
    local r = run("self create --name cli_mine")
    assert.equal(0, r.status, r.err)
    assert.equal("", r.err)
    local key = r.out:match("KEY %(shown only now[^\n]*\n(%w+)\n$")
    assert.is_truthy(key and #key >= 20, "the key follows the shown-only-now line")
    assert.truthy(r.out:find("^name        cli_mine\nid          [%x%-]+\ncreated     "))
    assert.is_nil(r.out:find("privileges", 1, true))
    -- the key really works: it is the user's, so it may list the user's tokens
    assert.equal(200, (e:api("GET", e:self_tokens_path(), nil, key)))

    local list = run("self list")
    assert.equal(0, list.status, list.err)
    assert.is_nil(list.out:find(key, 1, true), "list never shows the whole key")
    assert.equal(3, count_lines(list.out))   -- header, bootstrap, the new one
    assert.matches("^NAME%s+ID%s+CREATED%s+LAST USED%s+KEY\n", list.out)
    local row = list.out:match("\n(cli_mine[^\n]*)")
    assert.truthy(row:find(masked(key), 1, true))
    local id = row:match("  ([%x%-]+)  ")

    local got = run("self get " .. id)
    assert.equal(0, got.status, got.err)
    assert.truthy(got.out:find("^name        cli_mine\nid          " .. id:gsub("%-", "%%-")))
    assert.truthy(got.out:find("\nkey         " .. masked(key) .. "\n", 1, true))

    e:clear_log()
    local upd = run("self update " .. id .. " --name renamed")
    assert.equal(0, upd.status, upd.err)
    -- a self token's PUT takes the fields to change: no read of the whole token first
    local calls = {}
    for _, entry in ipairs(e:log()) do calls[#calls + 1] = entry.method end
    assert.same({ "PUT" }, calls)
    assert.truthy(upd.out:find("^name        renamed\n"))
    assert.equal("renamed", select(2, e:api("GET", e:self_tokens_path(id), nil, key)).name)

    local del = run("self delete --yes " .. id)
    assert.equal(0, del.status, del.err)
    assert.equal('deleted "renamed" (' .. id .. ")\n", del.out)
    local gone = run("self get " .. id)
    assert.equal(4, gone.status)
    assert.truthy(gone.err:find("404", 1, true))
  end)

  it("prints JSON for jq with --json, the key whole only in create's answer", function()
    local made = run("self create --name j --json")
    assert.equal(0, made.status, made.err)
    local t = assert(core.decode(made.out))
    assert.equal("j", t.name)
    assert.equal(200, (e:api("GET", e:self_tokens_path(), nil, t.key)), "the JSON holds the whole key")
    assert.truthy(made.err:find("shown only now", 1, true))
    local list = run("self list --json")
    assert.equal(0, list.status)
    local data = assert(core.decode(list.out))
    assert.equal(2, #data)
    local one = run("self get --json " .. t.id)
    assert.equal(t.id, assert(core.decode(one.out)).id)
    assert.is_nil(one.out:find(t.key, 1, true))
  end)

  it("writes the key to a new 0600 --key-file, not to the screen", function()
    local path = tmp_path()
    local r = run("self create --name filed --key-file " .. q(path))
    assert.equal(0, r.status, r.err)
    assert.equal("600", mode_of(path))
    local key = shell.read_file(path):match("^(%S+)\n?$")
    assert.is_truthy(key)
    assert.is_nil(r.out:find(key, 1, true))
    assert.equal(200, (e:api("GET", e:self_tokens_path(), nil, key)))
    os.remove(path)
  end)

  it("pages as asked and filters by name", function()
    e:seed_self(5, "seeded")
    local page = run("self list --limit 2 --page 3")
    assert.equal(0, page.status, page.err)
    assert.equal(3, count_lines(page.out))   -- header and the 5th and 6th tokens
    local some = run("self list --limit 2 --name 'seeded*'")
    assert.equal(0, some.status, some.err)
    assert.equal(6, count_lines(some.out))
  end)

  it("answers an org token with the server's refusal, exit 4", function()
    local org_file = tmp_path()
    local f = assert(io.open(org_file, "w"))
    f:write(e.token, "\n")
    f:close()
    local r = run("self list", org_file)
    os.remove(org_file)
    assert.equal(4, r.status)
    assert.truthy(r.err:find("403", 1, true))
    assert.is_nil(r.err:find(e.token, 1, true))
  end)

  it("refuses bad usage before sending anything: no subcommand, an unknown one, a bad id", function()
    local before = #e:log()
    local r = run("self")
    assert.equal(2, r.status)
    assert.truthy(r.err:find("self needs a subcommand: list, get, create, update, delete", 1, true))
    assert.equal(2, run("self frob").status)
    assert.equal(2, run("self get").status)
    assert.equal(2, run("self update " .. UNKNOWN_ID).status)   -- no --name
    local bad = run("self get 497f6eca-6276-4993-bfeb-53efbbba6f0")   -- a mistyped id, not a name
    assert.equal(3, bad.status)
    assert.truthy(bad.err:find("apitoken_id", 1, true))
    assert.equal(before, #e:log())
  end)

  it("is in the usage and has its own help", function()
    local r = shell.capture(q(SCRIPT) .. " help self")
    assert.equal(0, r.status)
    for _, sub in ipairs { "list", "get ID", "create", "update ID", "delete ID" } do
      assert.truthy(r.out:find("\n  " .. sub, 1, true), sub)
    end
    local usage = shell.capture(q(SCRIPT) .. " --help")
    assert.truthy(usage.out:find("self list|get|create|update|delete", 1, true))
  end)
end)
