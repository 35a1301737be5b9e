-- A report that goes nowhere is no success: when what a command prints can't
-- be written (standard output on a full disk, or closed), it says so on
-- standard error and exits 74, not 0 (the failure simulation found `audit
-- --json` and `plan --json` across orgs exiting 0 with their report lost; a
-- cron job would take that for "no findings"). A status that already says
-- something else (audit's 1 for findings, a failure's) stays.
local emu = require "support.emulator"
local shell = require "support.shell"

local STATE = '{"tokens": {"monitoring": {"privileges": [{"role": "read", "scope": "org"}]}}}'

describe("a standard output that can't be written", function()
  local e, me, dir, state, ids
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function()
    e:reset()
    me = e:make_self_token { name = "fleet" }
    ids = e:add_orgs(2, { tokens = 1 })
    e:set_user_privileges { { scope = "org", role = "admin", org_id = ids[1] },
      { scope = "org", role = "admin", org_id = ids[2] } }
    dir = shell.private_dir()
    state = dir .. "/state.json"
    local f = assert(io.open(state, "w"))
    f:write(STATE)
    f:close()
  end)
  after_each(function() shell.remove_tree(dir) end)

  -- the CLI as its own process, its standard output redirected by `redirect`
  local function run(argv, redirect)
    local env = ("MIST_BASE_URL=%s MIST_APITOKEN=%s MIST_ORG_ID=%s "):format(shell.quote(e.url),
      shell.quote(me.key), shell.quote(e.org_id))
    local words = {}
    for i, a in ipairs(argv) do words[i] = shell.quote(a) end
    return shell.capture(("(env %s%s %s %s)"):format(env, shell.quote(shell.CLI), table.concat(words, " "),
      redirect))
  end

  local function audit_argv()
    return { "audit", "--json", "--fail-on", "never", "--org", ids[1], "--org", ids[2] }
  end

  it("audit --json across orgs: exit 0 with the report delivered", function()
    local out = dir .. "/report.json"
    local r = run(audit_argv(), ">" .. shell.quote(out))
    assert.equal(0, r.status, r.err)
    assert.truthy(shell.read_file(out):find(ids[2], 1, true))
  end)

  it("audit --json across orgs to /dev/full: exit 74 and says the report is lost", function()
    local r = run(audit_argv(), ">/dev/full")
    assert.equal(74, r.status, r.err)
    assert.truthy(r.err:find("standard output", 1, true), r.err)
    assert.truthy(r.err:find("lost", 1, true), r.err)
    assert.falsy(r.err:find(me.key, 1, true))
  end)

  it("plan --json across orgs with standard output closed: exit 74", function()
    local r = run({ "plan", state, "--json", "--org", ids[1], "--org", ids[2] }, ">&-")
    assert.equal(74, r.status, r.err)
    assert.truthy(r.err:find("standard output", 1, true), r.err)
  end)

  it("one org's list to /dev/full: exit 74 too", function()
    local r = run({ "list", "--org", ids[1] }, ">/dev/full")
    assert.equal(74, r.status, r.err)
  end)

  it("audit's 1 for findings stays 1 when the report is lost", function()
    local r = run({ "audit", "--json", "--org", ids[1], "--org", ids[2] }, ">/dev/full")
    assert.equal(1, r.status, r.err)
  end)
end)
