-- Tokens by name: every command that takes an ID takes the token's name too
-- (unique in the org, or among your own tokens); two tokens of one name are an
-- error that lists their ids; delete names the token it asks about and refuses
-- the token the command runs with unless --allow-self.
local emulator = require "support.emulator"
local shell = require "support.shell"
local core = require "mistapi.core"

local q = shell.quote

describe("mistapi-tokens with a token's name for its id", function()
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

  local function run(argv, extra_env) return shell.run_cli(e, argv, extra_env) end

  local function exists(id)
    return (e:api("GET", e:tokens_path(id))) == 200
  end

  it("get, update and delete take a unique name", function()
    local made = e:make_token { name = "by-name", privileges = { { role = "read", scope = "org" } } }
    e:make_token { name = "other", privileges = { { role = "read", scope = "org" } } }
    local got = run("get --json by-name")
    assert.equal(0, got.status, got.err)
    assert.equal(made.id, assert(core.decode(got.out)).id)

    local upd = run("update by-name --name renamed")
    assert.equal(0, upd.status, upd.err)
    assert.equal("renamed", select(2, e:api("GET", e:tokens_path(made.id))).name)

    local del = run("delete --yes renamed")
    assert.equal(0, del.status, del.err)
    assert.equal('deleted "renamed" (' .. made.id .. ")\n", del.out)
    assert.is_false(exists(made.id))
  end)

  it("a name two tokens share is refused with both ids, and nothing changes", function()
    local a = e:make_token { name = "twin", privileges = { { role = "read", scope = "org" } } }
    local b = e:make_token { name = "twin", privileges = { { role = "read", scope = "org" } } }
    e:clear_log()
    local r = run("delete --yes twin")
    assert.equal(3, r.status)
    assert.truthy(r.err:find('2 tokens are named "twin"', 1, true), r.err)
    assert.truthy(r.err:find(a.id, 1, true) and r.err:find(b.id, 1, true), r.err)
    assert.is_true(exists(a.id) and exists(b.id))
    for _, entry in ipairs(e:log()) do assert.equal("GET", entry.method) end
  end)

  it("a name no token has is a not-found (exit 4), saying where it looked", function()
    local r = run("get no-such-token")
    assert.equal(4, r.status)
    assert.truthy(r.err:find('no token named "no-such-token" in org ' .. e.org_id, 1, true), r.err)
  end)

  it("a mistyped id (hex digits and dashes) is a validation error, not a name to look up", function()
    e:clear_log()
    local r = run("get 497f6eca-6276-4993-bfeb-53efbbba6f0")
    assert.equal(3, r.status, r.err)
    assert.same({}, e:log())
  end)

  it("an id is used as it is, whatever the names", function()
    local made = e:make_token { name = "plain", privileges = { { role = "read", scope = "org" } } }
    e:make_token { name = made.id, privileges = { { role = "read", scope = "org" } } }
    local r = run("get --json " .. made.id)
    assert.equal(0, r.status, r.err)
    assert.equal("plain", assert(core.decode(r.out)).name)
  end)

  it("rotate by name, and --finish by the same name after --keep-old", function()
    local made = e:make_token { name = "rotated", privileges = { { role = "read", scope = "org" } } }
    local key_file = dir .. "/rotated.key"
    os.remove(key_file)
    local r = run("rotate rotated --keep-old --no-verify --key-file " .. q(key_file))
    assert.equal(0, r.status, r.err)
    assert.truthy(exists(made.id), "the old token is kept")
    r = run("rotate rotated --finish")
    assert.equal(0, r.status, r.err)
    assert.is_false(exists(made.id), "--finish NAME deleted the kept old token")
    local list = select(2, e:api("GET", e:tokens_path()))
    local named = 0
    for _, t in ipairs(list) do if t.name == "rotated" then named = named + 1 end end
    assert.equal(1, named, "the new token has the name")
    os.remove(key_file)
  end)

  it("--finish NAME looks only at kept old tokens, not at an unfinished rotation's new one", function()
    local READ = { { role = "read", scope = "org" } }
    local new = e:make_token { name = "ci", privileges = READ }
    local kept = e:make_token { name = "ci [replaced by " .. new.id .. "]", privileges = READ }
    local pending = e:make_token { name = "ci [rotation of 00000000-0000-4000-8000-000000000000]", privileges = READ }
    local r = run("rotate ci --finish")
    assert.equal(0, r.status, r.err)
    assert.is_false(exists(kept.id), "--finish NAME deleted the kept old token")
    assert.is_true(exists(new.id) and exists(pending.id))
    -- no kept token is left: the name stands for the token of that very name, which no rotation kept
    r = run("rotate ci --finish")
    assert.equal(3, r.status, r.err)
    assert.truthy(r.err:find("token " .. new.id .. " is not one a rotation kept", 1, true), r.err)
    assert.is_true(exists(new.id) and exists(pending.id))
  end)

  it("delete refuses the token the command runs with, unless --allow-self", function()
    -- the bootstrap token, which the CLI calls with here: the one whose masked key is e.token's
    local own_id
    for _, t in ipairs(select(2, e:api("GET", e:tokens_path()))) do
      if t.key == e.token:sub(1, 4) .. "..." .. e.token:sub(-4) then own_id = t.id end
    end
    assert.truthy(own_id)
    local r = run("delete --yes " .. own_id)
    assert.equal(3, r.status)
    assert.truthy(r.err:find("the token this command runs with", 1, true), r.err)
    assert.truthy(r.err:find("--allow-self", 1, true), r.err)
    assert.is_true(exists(own_id))
    -- with another token to call with, so the deletion can be seen
    local admin = e:make_token { name = "admin2", privileges = { { role = "admin", scope = "org" } } }
    r = run("delete --yes --allow-self " .. own_id)
    assert.equal(0, r.status, r.err)
    local status = e:api("GET", e:tokens_path(own_id), nil, admin.key)
    assert.equal(404, status)
  end)

  it("self commands take your own token's name", function()
    local mine = e:make_self_token { name = "mine-by-name" }
    local env = ("unset MIST_APITOKEN; export MIST_USER=%s MIST_PASSWORD=%s;"):format(q(e.email), q(e.password))
    local r = run("self get --json mine-by-name", env)
    assert.equal(0, r.status, r.err)
    assert.equal(mine.id, assert(core.decode(r.out)).id)
    r = run("self delete --yes mine-by-name", env)
    assert.equal(0, r.status, r.err)
    assert.equal('deleted "mine-by-name" (' .. mine.id .. ")\n", r.out)
  end)
end)

describe("mistapi-tokens did you mean", function()
  local args = require "mistapi.cli.args"

  it("suggests the command, subcommand or option a typo meant, and nothing for a word far from all", function()
    local _, err = args.parse { "lsit" }
    assert.truthy(err:find('unknown command "lsit" (did you mean list?)', 1, true), err)
    _, err = args.parse { "self", "rotat" }
    assert.truthy(err:find("(did you mean rotate?)", 1, true), err)
    _, err = args.parse { "rotate", "x", "--keep-ol" }
    assert.truthy(err:find("unknown option --keep-ol (did you mean --keep-old?)", 1, true), err)
    _, err = args.parse { "--tokn-file", "f", "list" }
    assert.truthy(err:find("(did you mean --token-file?)", 1, true), err)
    _, err = args.parse { "frobnicate" }
    assert.falsy(err:find("did you mean", 1, true), err)
    _, err = args.parse { "list", "--zzzzzzzz" }
    assert.falsy(err:find("did you mean", 1, true), err)
  end)
end)
