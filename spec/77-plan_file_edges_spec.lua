-- Saved plans (plan --out, apply FILE) refused when the org changed in ways
-- the plan's steps alone would not show, and the checks of a plan file's
-- own fields: cases a mutation pass over lua/mistapi/lifecycle/plan_file.lua
-- found no spec could see (docs/lifecycle.md lists them).
local fresh_client = require "support.fresh_client"
local shell = require "support.shell"
local main = require "mistapi.cli.main"
local core = require "mistapi.core"
local plan_file = require "mistapi.lifecycle.plan_file"

local READ = { { role = "read", scope = "org" } }

describe("a saved plan refused when the org changed in a way its steps do not show", function()
  local fresh = fresh_client.new { max_retries = 0 }
  local e, tokens, dir, secrets, masked

  setup(function() e = fresh:start() end)
  teardown(function() fresh:stop() end)
  before_each(function()
    tokens = fresh:renew():orgs_api_tokens()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -m 700 " .. shell.quote(dir)))
    secrets = { e.token }
    masked = {}
  end)
  after_each(function() os.execute("rm -rf " .. shell.quote(dir)) end)

  local function no_secret_in(text)
    for _, s in ipairs(secrets) do assert.is_nil(text:find(s, 1, true), "a secret in the output") end
  end

  local function cli(argv, stdin)
    local env = { MIST_BASE_URL = e.url, MIST_APITOKEN = e.token, MIST_ORG_ID = e.org_id }
    local out, err = {}, {}
    local status = main.run(argv, {
      getenv = function(k) return env[k] end,
      stdout = function(s) out[#out + 1] = s end,
      stderr = function(s) err[#err + 1] = s end,
      stdin = function() return stdin end,
      isatty = function() return stdin ~= nil end,
    })
    local r = { status = status, out = table.concat(out), err = table.concat(err) }
    no_secret_in(r.out .. r.err)
    return r
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
