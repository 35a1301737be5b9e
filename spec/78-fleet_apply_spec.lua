-- plan and apply across orgs: one desired state ("each org has one read-only monitoring
-- token") planned for and applied to the 50 orgs of an MSP, keys in DIR/<org_id>/<name>.key,
-- --json with org_id on every step, a failed org said with its org while the others are
-- applied, and nothing changed anywhere when a key file is in the way or nobody confirms.
local emu = require "support.emulator"
local cli = require "support.cli"
local shell = require "support.shell"
local cjson = require "cjson"

local STATE = '{"tokens": {"monitoring": {"privileges": [{"role": "read", "scope": "org"}]}}}'

describe("plan and apply across orgs", function()
  local e, me, dir, state
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function()
    e:reset()
    me = e:make_self_token{ name = "fleet" }
    dir = shell.private_dir()
    state = dir .. "/state.json"
    local f = assert(io.open(state, "w"))
    f:write(STATE)
    f:close()
  end)
  after_each(function() shell.remove_tree(dir) end)

  local function run(argv, opts)
    opts = opts or {}
    opts.token = me.key
    opts.secrets = { me.key, e.token }
    return cli.run(e, argv, opts)
  end

  local function fleet_of(n)
    local msp = e:add_msp{ name = "Acme MSP" }
    local ids = e:add_orgs(n, { msp_id = msp.id, tokens = 1 })
    e:set_user_privileges{ { scope = "msp", role = "admin", msp_id = msp.id } }
    return ids
  end

  local function read(path)
    local f = io.open(path, "r")
    if not f then return nil end
    local s = f:read("*l")
    f:close()
    return s
  end

  -- org_id -> the whole keys of its tokens named `name`
  local function keys_named(name)
    local out = {}
    for _, t in ipairs(e:all_tokens()) do
      if t.name == name and t.org_id then
        out[t.org_id] = out[t.org_id] or {}
        table.insert(out[t.org_id], t.key)
      end
    end
    return out
  end

  local function mode_of(path)
    local p = io.popen("stat -c %a '" .. path .. "'")
    local m = p:read("*l")
    p:close()
    return m
  end

  it("applies one state to 50 orgs, each key in DIR/<org_id>/<name>.key, and then has nothing to do", function()
    local ids = fleet_of(50)
    local keys = dir .. "/keys"
    assert(os.execute("mkdir -m 700 " .. keys))
    local r = run { "apply", state, "--all-orgs", "--key-dir", keys, "--yes" }
    assert.equal(0, r.status)
    assert.matches("Apply complete: 50 created, 0 changed, 0 replaced, 0 destroyed in 50 orgs; 0 orgs failed%.", r.out)
    local made = keys_named("monitoring")
    for _, id in ipairs(ids) do
      assert.equal(1, #made[id])
      local path = keys .. "/" .. id .. "/monitoring.key"
      assert.equal(made[id][1], read(path))
      assert.equal("600", mode_of(path))
      assert.equal("700", mode_of(keys .. "/" .. id))
      assert.matches("org " .. id:gsub("%-", "%%-") .. " %(org%-%d+%): created monitoring: key in ", r.out)
    end
    e:clear_log()
    r = run { "apply", state, "--all-orgs", "--key-dir", keys, "--yes" }
    assert.equal(0, r.status)
    assert.matches("Plan for 50 orgs: 0 to create, 0 to change, 0 to replace, 0 to destroy; 0 orgs with changes", r.out)
    assert.equal(0, #e:requests("POST"))
    assert.equal(50, #e:requests("GET", "/apitokens"))
  end)

  it("on a terminal, draws its bar while planning and again while it carries the plans out", function()
    fleet_of(3)
    local keys = dir .. "/keys"
    assert(os.execute("mkdir -m 700 " .. keys))
    local r = run({ "apply", state, "--all-orgs", "--key-dir", keys, "--yes" }, { terminal = true })
    assert.equal(0, r.status)
    local frames = {}
    for done, changes in r.err:gmatch("\r%[[#.]+%] (%d)/3 orgs, (%d+) changes") do
      frames[#frames + 1] = done .. ":" .. changes
    end
    -- planning: 0..3 orgs read; carrying out: 0..3 orgs applied, a change each
    assert.same({ "0:0", "1:1", "2:2", "3:3", "0:0", "1:1", "2:2", "3:3" }, frames)
    assert.matches("\r[ ]+\r$", r.err)   -- erased at the end
    r = run { "apply", state, "--all-orgs", "--key-dir", keys, "--yes" }
    assert.falsy(r.err:find("orgs, ", 1, true))
  end)

  it("says a failed org with its org, applies the others, and loses no key", function()
    local ids = fleet_of(4)
    local keys = dir .. "/keys"
    assert(os.execute("mkdir -m 700 " .. keys))
    e:fault{ kind = "status", status = 500, count = 50, method = "POST", path = "/api/v1/orgs/" .. ids[2] .. "/" }
    local r = run { "apply", state, "--all-orgs", "--key-dir", keys, "--yes", "--max-retries", "0" }
    assert.equal(5, r.status)   -- the server's failure, as for one org
    assert.matches("mistapi%-tokens: org " .. ids[2]:gsub("%-", "%%-") .. " %(org%-2%): ", r.err)
    assert.matches("3 created, 0 changed, 0 replaced, 0 destroyed in 3 orgs; 1 org failed%.", r.out)
    local made = keys_named("monitoring")
    assert.is_nil(made[ids[2]])
    for _, i in ipairs { 1, 3, 4 } do
      assert.equal(made[ids[i]][1], read(keys .. "/" .. ids[i] .. "/monitoring.key"))
    end
    -- every token the runs made, under any name, has its key in a file: none is lost
    e:clear_faults()
    r = run { "apply", state, "--all-orgs", "--key-dir", keys, "--yes" }
    assert.equal(0, r.status)
    assert.matches("1 created, 0 changed, 0 replaced, 0 destroyed in 1 org; 0 orgs failed", r.out)
    made = keys_named("monitoring")
    for _, id in ipairs(ids) do
      assert.equal(1, #made[id])
      assert.equal(made[id][1], read(keys .. "/" .. id .. "/monitoring.key"))
    end
  end)

  it("changes nothing in any org when a key file is in the way, --key-dir is missing or nobody confirms", function()
    local ids = fleet_of(3)
    local keys = dir .. "/keys"
    assert(os.execute("mkdir -m 700 " .. keys .. " && mkdir -m 700 " .. keys .. "/" .. ids[3]))
    local f = assert(io.open(keys .. "/" .. ids[3] .. "/monitoring.key", "w"))
    f:write("somebody else's key\n")
    f:close()
    local r = run { "apply", state, "--all-orgs", "--key-dir", keys, "--yes" }
    assert.equal(2, r.status)
    assert.matches("monitoring%.key exists; not overwriting it", r.err)
    r = run { "apply", state, "--all-orgs", "--yes" }
    assert.equal(2, r.status)
    assert.matches("pass %-%-key%-dir DIR", r.err)
    os.remove(keys .. "/" .. ids[3] .. "/monitoring.key")
    r = run({ "apply", state, "--all-orgs", "--key-dir", keys }, { answer = "n" })
    assert.equal(1, r.status)
    assert.matches("apply these changes to 3 orgs%?", r.err)
    assert.equal(0, #e:requests("POST"))
    assert.same({}, keys_named("monitoring"))
    -- the org directories a declined run made are gone again; the one that was there stays
    assert.equal("missing", require("mistapi.core").path_kind(keys .. "/" .. ids[1]))
    assert.equal("directory", require("mistapi.core").path_kind(keys .. "/" .. ids[3]))
  end)

  it("plans for several orgs with org_id on every step, and exits 2 for changes with --detailed-exitcode", function()
    local ids = fleet_of(3)
    e:make_token{ org_id = ids[2], name = "monitoring", privileges = { { role = "read", scope = "org" } } }
    local r = run { "plan", state, "--org", ids[1], "--org", ids[2], "--org", ids[3], "--json",
      "--detailed-exitcode" }
    assert.equal(2, r.status)
    local doc = cjson.decode(r.out)
    assert.equal(2, #doc.steps)
    assert.same({ ids[1], ids[3] }, { doc.steps[1].org_id, doc.steps[2].org_id })
    assert.same({ "create", "create" }, { doc.steps[1].action, doc.steps[2].action })
    assert.same({ true, false, true }, { doc.orgs[1].changes, doc.orgs[2].changes, doc.orgs[3].changes })
    assert.equal(2, doc.counts.create)
    r = run { "plan", state, "--org", ids[1], "--org", ids[2], "--out", dir .. "/p.json" }
    assert.equal(2, r.status)
    assert.matches("%-%-out saves the plan of one org", r.err)
    assert.equal(0, #e:requests("POST"))
  end)
end)
