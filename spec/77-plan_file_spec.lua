-- plan and apply as terraform's: `plan --detailed-exitcode` (0 nothing to
-- change, 2 changes, 1 an error), `plan --out FILE` and `apply FILE`
-- (exactly that plan, or nothing when the org changed since), src_ips
-- compared by what they allow, and the managed tokens prune would delete
-- named. Each loop runs twice in a row against the emulator, as cron runs it.
local fresh_client = require "support.fresh_client"
local shell = require "support.shell"
local cli_run = require("support.cli").run
local core = require "mistapi.core"
local plan_file = require "mistapi.lifecycle.plan_file"

local READ = { { role = "read", scope = "org" } }
local WRITE = { { role = "write", scope = "org" } }

describe("saved plans, detailed exit codes, src_ips spellings", function()
  local fresh = fresh_client.new { max_retries = 0 }
  local e, tokens, dir, secrets, masked

  setup(function() e = fresh:start() end)
  teardown(function() fresh:stop() end)
  before_each(function()
    tokens, dir = fresh:renew_in_dir()
    secrets = { e.token }
    masked = {}
  end)
  after_each(function() fresh:remove_dir() end)

  local function no_secret_in(text)
    for _, s in ipairs(secrets) do assert.is_nil(text:find(s, 1, true), "a secret in the output") end
  end

  local function cli(argv, stdin)
    return cli_run(e, argv, { answer = stdin, secrets = secrets })
  end

  local function make(name, extra)
    local body = { name = name, privileges = READ }
    for k, v in pairs(extra or {}) do body[k] = v end
    local t = assert(tokens:create_org_api_token(e.org_id, body)).data
    secrets[#secrets + 1] = t.key
    masked[#masked + 1] = t.key:sub(1, 4) .. "..." .. t.key:sub(-4)
    return t
  end

  local function write(path, text)
    local f = assert(io.open(path, "w"))
    f:write(text)
    f:close()
  end

  local function state_json(b_privilege)
    return '{"prefix":"app-","tokens":{"app-a":{"privileges":[{"role":"read","scope":"org"}]},'
      .. '"app-b":{"privileges":[{"role":"' .. (b_privilege or "read") .. '","scope":"org"}]}}}'
  end

  local function changes()   -- the requests that change something, since the log was cleared
    local n = 0
    for _, r in ipairs(e:log()) do
      if r.method == "POST" or r.method == "PUT" or r.method == "DELETE" then n = n + 1 end
    end
    return n
  end

  local function names()
    local out = {}
    for _, t in ipairs(assert(tokens:list_all_org_api_tokens(e.org_id)).data) do out[#out + 1] = t.name end
    table.sort(out)
    return table.concat(out, ",")
  end

  it("plan --out, apply FILE, twice in a row: the second plan is empty (exit 0), its apply changes nothing",
    function()
      local state, planfile, keys = dir .. "/tokens.json", dir .. "/tokens.plan", dir .. "/keys"
      assert(os.execute("mkdir -m 700 " .. shell.quote(keys)))
      write(state, state_json())
      make("app-b", { privileges = WRITE })
      make("app-gone")
      make("manual")
      for round = 1, 2 do
        local r = cli { "plan", state, "--prune", "--out", planfile, "--detailed-exitcode" }
        assert.equal(round == 1 and 2 or 0, r.status, r.err)
        assert.matches("Saved the plan to " .. planfile, r.out, 1, true)
        local text = shell.read_file(planfile)
        no_secret_in(text)
        for _, m in ipairs(masked) do assert.is_nil(text:find(m, 1, true), "a masked key in the plan file") end
        local doc = assert(core.decode(text))
        assert.equal(1, doc.mistapi_plan)
        e:clear_log()
        -- no terminal, no --yes: a saved plan is applied as terraform applies one, without asking
        r = cli { "apply", planfile, "--key-dir", keys }
        assert.equal(0, r.status, r.err)
        if round == 1 then
          assert.matches("Apply complete: 1 created, 1 changed, 0 replaced, 1 destroyed.", r.out, 1, true)
          secrets[#secrets + 1] = shell.read_file(keys .. "/app-a.key"):match("%S+")
        else
          assert.matches("No changes.", r.out, 1, true)
          assert.equal(0, changes())
        end
        assert.equal("app-a,app-b,emulator bootstrap token,manual", names())
      end
    end)

  it("refuses a saved plan when a token it depends on changed (exit 7), and changes nothing", function()
    local state, planfile, keys = dir .. "/tokens.json", dir .. "/tokens.plan", dir .. "/keys"
    assert(os.execute("mkdir -m 700 " .. shell.quote(keys)))
    write(state, state_json())
    local b = make("app-b", { privileges = WRITE })
    local gone = make("app-gone")
    make("manual")
    assert.equal(0, cli({ "plan", state, "--prune", "--out", planfile }).status)
    -- a token nobody manages changes: the plan still holds
    local other = make("other")
    assert(tokens:delete_org_api_token(e.org_id, other.id))
    -- a managed one changes: stale
    assert(tokens:update_org_api_token(e.org_id, b.id, { name = "app-b", privileges = { { role = "admin",
      scope = "org" } } }))
    e:clear_log()
    local r = cli { "apply", planfile, "--key-dir", keys, "--yes" }
    assert.equal(7, r.status, r.err)
    assert.matches("the org changed since the plan was made", r.err, 1, true)
    assert.matches("app-b (" .. b.id .. ") changed its privileges", r.err, 1, true)
    assert.matches("nothing was changed", r.err, 1, true)
    assert.equal(0, changes())
    assert.is_nil(shell.try_read(keys .. "/app-a.key"))
    -- a managed token gone, and a new one of a managed name: both named
    assert.equal(0, cli({ "plan", state, "--prune", "--out", planfile }).status)
    assert(tokens:delete_org_api_token(e.org_id, gone.id))
    local new = make("app-new")
    e:clear_log()
    r = cli { "apply", planfile, "--key-dir", keys }
    assert.equal(7, r.status, r.err)
    assert.matches("app-gone (" .. gone.id .. ") is gone", r.err, 1, true)
    assert.matches("app-new (" .. new.id .. ") is new", r.err, 1, true)
    assert.equal(0, changes())
    -- made again, it applies
    assert.equal(0, cli({ "plan", state, "--prune", "--out", planfile }).status)
    r = cli { "apply", planfile, "--key-dir", keys }
    assert.equal(0, r.status, r.err)
    secrets[#secrets + 1] = shell.read_file(keys .. "/app-a.key"):match("%S+")
    assert.equal("app-a,app-b,emulator bootstrap token,manual", names())
  end)

  it("tells a plan file from a desired state by its content, and never overwrites a desired state", function()
    local state, keys = dir .. "/state.plan", dir .. "/keys"   -- a desired state, whatever its name
    assert(os.execute("mkdir -m 700 " .. shell.quote(keys)))
    write(state, state_json())
    local planfile = dir .. "/saved.json"                     -- a saved plan, whatever its name
    local r = cli { "plan", state, "--out", planfile }
    assert.equal(0, r.status, r.err)
    r = cli { "plan", planfile }
    assert.equal(2, r.status)
    assert.matches("is a saved plan", r.err, 1, true)
    r = cli { "plan", state, "--out", state }
    assert.equal(2, r.status)
    assert.matches("is no saved plan; not overwriting it", r.err, 1, true)
    assert.equal(state_json(), shell.read_file(state))
    assert.equal(2, cli({ "apply", planfile, "--key-dir", keys, "--prune" }).status)
    r = cli { "apply", planfile, "--key-dir", keys }
    assert.equal(0, r.status, r.err)
    secrets[#secrets + 1] = shell.read_file(keys .. "/app-a.key"):match("%S+")
    secrets[#secrets + 1] = shell.read_file(keys .. "/app-b.key"):match("%S+")
    assert.equal("app-a,app-b,emulator bootstrap token", names())
    -- the desired state with a .plan name is planned as one: nothing left to do
    assert.equal(0, cli({ "plan", state, "--detailed-exitcode" }).status)
  end)

  it("--detailed-exitcode: 1 for any error, a usage error included; without it the plain statuses", function()
    assert.equal(1, cli({ "plan", dir .. "/none.json", "--detailed-exitcode" }).status)
    assert.equal(3, cli({ "plan", dir .. "/none.json" }).status)
    assert.equal(1, cli({ "plan", "--detailed-exitcode" }).status)
    assert.equal(1, cli({ "plan", dir .. "/x.json", "--detailed-exitcode", "--bogus" }).status)
    write(dir .. "/s.json", state_json())
    assert.equal(2, cli({ "plan", dir .. "/s.json", "--detailed-exitcode" }).status)
    assert.equal(0, cli({ "plan", dir .. "/s.json" }).status)
  end)

  it("compares src_ips by what they allow: /32, IPv6 spellings, letter case, host bits", function()
    make("app-v4", { src_ips = { "127.0.0.1" } })
    make("app-v6", { src_ips = { "2001:db8::1", "fe80::/64" } })
    make("app-net", { src_ips = { "10.0.0.0/24" } })
    local state = { prefix = "app-", tokens = {
      ["app-v4"] = { privileges = READ, src_ips = { "127.0.0.1/32" } },
      ["app-v6"] = { privileges = READ, src_ips = { "FE80:0:0:0::/64", "2001:DB8:0:0:0:0:0:1/128" } },
      ["app-net"] = { privileges = READ, src_ips = { "10.0.0.5/24" } },
    } }
    local p = assert(tokens:plan_org_api_tokens(e.org_id, state))
    assert.is_true(p:is_empty(), tostring(p))
    -- a real difference is still one
    state.tokens["app-net"].src_ips = { "10.0.1.0/24" }
    p = assert(tokens:plan_org_api_tokens(e.org_id, state))
    assert.equal(1, p.counts.replace)
    assert.matches("10.0.0.0/24 -> 10.0.1.0/24   # forces replacement", tostring(p), 1, true)
  end)

  it("names each managed token prune would delete", function()
    local one, two = make("app-one"), make("app-two")
    local p = assert(tokens:plan_org_api_tokens(e.org_id, { prefix = "app-", tokens = {} }))
    local text = tostring(p)
    assert.matches("app-one (" .. one.id .. ") is managed but not in the desired state; prune would delete it",
      text, 1, true)
    assert.matches("app-two (" .. two.id .. ") is managed but not in the desired state", text, 1, true)
    local r = cli { "plan", dir .. "/s.json" }
    assert.equal(3, r.status)
  end)

  -- the org changed in ways the plan's steps alone would not show (found by a mutation pass
  -- over lifecycle/plan_file.lua; docs/lifecycle.md lists them)
  local function read_json(path) return assert(core.decode(shell.read_file(path))) end

  it("a token followed by id, renamed again since the plan: exit 7, it names the change", function()
    local t = make("legacy-1")
    local state, planfile, keys = dir .. "/tokens.json", dir .. "/tokens.plan", dir .. "/keys"
    assert(os.execute("mkdir -m 700 " .. shell.quote(keys)))
    write(state, '{"prefix":"app-","tokens":{"app-x":{"id":"' .. t.id
      .. '","privileges":[{"role":"read","scope":"org"}]}}}')
    assert.equal(0, cli({ "plan", state, "--out", planfile }).status)
    assert(tokens:update_org_api_token(e.org_id, t.id, { name = "legacy-2", privileges = READ }))
    e:clear_log()
    local r = cli { "apply", planfile, "--key-dir", keys, "--yes" }
    assert.equal(7, r.status, r.err)
    assert.matches("legacy-1 (" .. t.id .. ") changed its name", r.err, 1, true)
    assert.equal(0, changes())
  end)

  it("an unfinished create of a planned name that appeared since the plan: exit 7, it is named", function()
    local state, planfile, keys = dir .. "/tokens.json", dir .. "/tokens.plan", dir .. "/keys"
    assert(os.execute("mkdir -m 700 " .. shell.quote(keys)))
    write(state, state_json())
    assert.equal(0, cli({ "plan", state, "--out", planfile }).status)
    local left = make("app-a [being created]")
    e:clear_log()
    local r = cli { "apply", planfile, "--key-dir", keys, "--yes" }
    assert.equal(7, r.status, r.err)
    assert.matches("app-a [being created] (" .. left.id .. ") is new", r.err, 1, true)
    assert.equal(0, changes())
  end)

  it("a saved plan whose steps were edited: exit 7, nothing done", function()
    local state, planfile, keys = dir .. "/tokens.json", dir .. "/tokens.plan", dir .. "/keys"
    assert(os.execute("mkdir -m 700 " .. shell.quote(keys)))
    write(state, state_json())
    assert.equal(0, cli({ "plan", state, "--out", planfile }).status)
    local doc = read_json(planfile)
    assert.equal(2, #doc.steps)
    doc.steps[2] = nil
    write(planfile, core.encode(doc))
    e:clear_log()
    local r = cli { "apply", planfile, "--key-dir", keys, "--yes" }
    assert.equal(7, r.status, r.err)
    assert.matches("the same desired state now plans other steps", r.err, 1, true)
    assert.equal(0, changes())
    assert.equal("emulator bootstrap token", names())
  end)
end)

describe("a plan file's own checks", function()
  it("reads only a JSON object from a file, and names the file when its text is wrong", function()
    local desired = require "mistapi.lifecycle.desired"
    local path = os.tmpname()
    for _, text in ipairs { "42", '"tokens"', "true", "null", "{bad", "" } do
      local f = assert(io.open(path, "w"))
      f:write(text)
      f:close()
      local doc, err = plan_file.read(path)
      assert.is_nil(doc, text)
      assert.equal("validation", err.kind)
      assert.truthy(err.message:find(path, 1, true), err.message)
      doc, err = desired.load(path)
      assert.is_nil(doc, text)
      assert.truthy(err.message:find(path, 1, true), err.message)
    end
    os.remove(path)
    local doc, err = plan_file.read(path)   -- gone
    assert.is_nil(doc)
    assert.equal("validation", err.kind)
  end)

  it("writes its lists and a plan's --json lists as JSON arrays even when empty, as copies", function()
    local json = require "mistapi.cli.json"
    local plan_json = require "mistapi.cli.plan_json"
    local list = { "a" }
    local copy = plan_file.array(list)
    assert.is_not.equal(list, copy)
    assert.same(list, copy)
    assert.equal("[]", json.encode(plan_file.array({})))
    assert.equal("[]", json.encode(plan_file.array(nil)))
    local text = plan_json.encode { steps = {}, notes = {}, counts = { create = 0 } }
    assert.truthy(text:find('"steps":[]', 1, true), text)
    assert.truthy(text:find('"notes":[]', 1, true), text)
    text = plan_json.encode { counts = { update = 1 }, notes = {}, steps = {
      { action = "update", name = "a", id = "x", changes = {}, from = { name = "a", privileges = READ },
        to = { name = "a", privileges = READ } } } }
    assert.truthy(text:find('"changes":[]', 1, true), text)
    assert.truthy(text:find('"src_ips":[]', 1, true), text)
  end)

  it("is told by its marker, even with its steps missing, and then says what it lacks", function()
    local damaged = { mistapi_plan = 1, desired = { prefix = "app-", tokens = {} } }
    assert.is_true(plan_file.is_plan(damaged))
    local ok, err = plan_file.valid(damaged, nil)
    assert.is_nil(ok)
    assert.matches("a saved plan without its desired state, steps or fingerprint", err.message, 1, true)
    assert.is_false(plan_file.is_plan({ prefix = "app-", tokens = {}, steps = {} }))
  end)

  it("refuses another version and another org, and takes the org's id in any letter case", function()
    local doc = { mistapi_plan = 2, desired = {}, steps = {}, depends_on = {}, org_id = "abc" }
    local ok, err = plan_file.valid(doc, "abc")
    assert.is_nil(ok)
    assert.matches("a saved plan of version 2: this mistapi reads version 1", err.message, 1, true)
    doc.mistapi_plan = 1
    ok, err = plan_file.valid(doc, "abd")
    assert.is_nil(ok)
    assert.matches("the plan was made for org abc, not abd", err.message, 1, true)
    assert.is_true(plan_file.valid(doc, "ABC"))
  end)
end)
