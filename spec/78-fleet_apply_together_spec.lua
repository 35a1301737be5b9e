-- apply across orgs runs the orgs side by side (tokens:apply_orgs_api_tokens, and the CLI
-- through it): while one org's create is held in the emulator, another org's is answered
-- (seen without timing: the emulator counts the requests that arrived, and logs each as it
-- is answered), at most `concurrency` orgs at a time, each org's steps in their order and
-- its key stored, a failed org its own outcome, one login for a session client, and the
-- CLI's lines grouped by org in the order of the orgs.
local emu = require "support.emulator"
local cli = require "support.cli"
local shell = require "support.shell"
local mistapi = require "mistapi"

local STATE = { tokens = { monitoring = { privileges = { { role = "read", scope = "org" } } } } }
local STATE_JSON = '{"tokens": {"monitoring": {"privileges": [{"role": "read", "scope": "org"}]}}}'
local HELD_MS = 3000   -- far longer than the other org's few calls take

local function no_env() return nil end

describe("apply across orgs, side by side", function()
  local e, me
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function()
    e:reset()
    me = e:make_self_token{ name = "fleet" }
  end)

  local function orgs(n)
    local msp = e:add_msp{ name = "Acme MSP" }
    local ids = e:add_orgs(n, { msp_id = msp.id, tokens = 1 })
    e:set_user_privileges{ { scope = "msp", role = "admin", msp_id = msp.id } }
    return ids
  end

  local function client(opts)
    local o = { base_url = e.url, token = me.key, getenv = no_env, max_retries = 0 }
    for k, v in pairs(opts or {}) do o[k] = v end
    return assert(mistapi.new(o))
  end

  local function creates_of(org_id, log)
    local n = 0
    for _, entry in ipairs(log or e:log()) do
      if entry.method == "POST" and entry.path == "/api/v1/orgs/" .. org_id .. "/apitokens" then n = n + 1 end
    end
    return n
  end

  -- a client whose log hook looks at the emulator when `org`'s create is answered:
  -- requests arrived and not yet answered, and whether `held`'s create was answered
  local function watching(org, held, opts)
    local seen
    local o = opts or {}
    o.log = function(entry)
      if not seen and entry.method == "POST" and entry.status and entry.path:find(org, 1, true) then
        local log = e:log()
        seen = { unanswered = e:inflight().arrived - #log, held_answered = creates_of(held, log) }
      end
    end
    return client(o), function() return seen end
  end

  local function keeping()
    local keys = {}
    return keys, function(org_id)
      return { store = function(key) keys[org_id] = key; return true end }
    end
  end

  it("answers one org's create while another org's is held, and stores every key", function()
    local ids = orgs(2)
    e:fault{ kind = "latency", ms = HELD_MS, method = "POST", path = "/api/v1/orgs/" .. ids[1] .. "/apitokens" }
    local c, seen = watching(ids[2], ids[1])
    local keys, org_opts = keeping()
    local out = c:orgs_api_tokens():apply_orgs_api_tokens(ids, STATE, { concurrency = 2, org_opts = org_opts })
    c:close()
    local s = assert(seen(), "the second org's create was answered")
    assert.equal(0, s.held_answered)     -- the first org's create was still held...
    assert.is_true(s.unanswered >= 1)    -- ...in the emulator, at that moment
    for i, id in ipairs(ids) do
      assert.equal(id, out[i].org_id)
      assert.is_nil(out[i].err)
      assert.same({ "create" }, { out[i].result.done[1].action })
      assert.equal(1, creates_of(id))
      local made
      for _, t in ipairs(e:all_tokens()) do
        if t.org_id == id and t.name == "monitoring" then made = t end
      end
      assert.equal(made.key, keys[id])
    end
  end)

  it("runs no more than `concurrency` orgs at a time", function()
    local ids = orgs(2)
    e:fault{ kind = "latency", ms = 300, method = "POST", path = "/api/v1/orgs/" .. ids[1] .. "/apitokens" }
    local c, seen = watching(ids[2], ids[1])
    local _, org_opts = keeping()
    local out = c:orgs_api_tokens():apply_orgs_api_tokens(ids, STATE, { concurrency = 1, org_opts = org_opts })
    c:close()
    assert.equal(1, assert(seen()).held_answered)
    assert.is_nil(out[1].err)
    assert.is_nil(out[2].err)
  end)

  it("keeps a failed org's failure its own while the others are applied, in the order of the orgs", function()
    local ids = orgs(3)
    e:fault{ kind = "status", status = 403, method = "POST", path = "/api/v1/orgs/" .. ids[2] .. "/apitokens" }
    local ended = {}
    local keys, org_opts = keeping()
    local c = client()
    local out = c:orgs_api_tokens():apply_orgs_api_tokens(ids, STATE, {
      concurrency = 3, org_opts = org_opts, on_org = function(o, i) ended[#ended + 1] = { i, o.org_id } end,
    })
    c:close()
    assert.equal(3, #ended)
    for _, x in ipairs(ended) do assert.equal(ids[x[1]], x[2]) end
    assert.is_nil(out[1].err)
    assert.is_nil(out[3].err)
    assert.equal(403, out[2].err.status)
    assert.is_nil(keys[ids[2]])
    assert.truthy(keys[ids[1]] and keys[ids[3]])
  end)

  it("takes plans, one an org, and says a wrong one", function()
    local ids = orgs(2)
    local c = client()
    local tokens = c:orgs_api_tokens()
    local plans = {}
    for i, id in ipairs(ids) do plans[i] = assert(tokens:plan_org_api_tokens(id, STATE)) end
    local _, org_opts = keeping()
    local out = tokens:apply_orgs_api_tokens(ids, plans, { org_opts = org_opts })
    assert.is_nil(out[1].err)
    assert.is_nil(out[2].err)
    assert.has_error(function() tokens:apply_orgs_api_tokens(ids, { plans[1], {} }, {}) end)
    c:close()
  end)

  it("logs a session client in once for orgs that start together", function()
    local ids = orgs(3)
    local _, org_opts = keeping()
    -- the plans made elsewhere: the session's first call is the orgs' applies', all at once
    local planner = client()
    local plans = {}
    for i, id in ipairs(ids) do plans[i] = assert(planner:orgs_api_tokens():plan_org_api_tokens(id, STATE)) end
    planner:close()
    local c = assert(mistapi.new { base_url = e.url, email = e.email, password = e.password, getenv = no_env })
    local out = c:orgs_api_tokens():apply_orgs_api_tokens(ids, plans, { concurrency = 3, org_opts = org_opts })
    c:close()
    for i = 1, 3 do assert.is_nil(out[i].err) end
    assert.equal(1, #e:requests("POST", "/api/v1/login"))
  end)

  describe("the CLI", function()
    local dir
    before_each(function() dir = shell.private_dir() end)
    after_each(function() shell.remove_tree(dir) end)

    it("answers an org while another is held, and says each org's lines together in the order of the orgs",
      function()
      local ids = orgs(2)
      local state = dir .. "/state.json"
      local f = assert(io.open(state, "w"))
      f:write(STATE_JSON)
      f:close()
      assert(os.execute("mkdir -m 700 " .. dir .. "/keys"))
      e:fault{ kind = "latency", ms = HELD_MS, method = "POST", path = "/api/v1/orgs/" .. ids[1] .. "/apitokens" }
      local r = cli.run(e, { "apply", state, "--org", ids[1], "--org", ids[2], "--key-dir", dir .. "/keys",
        "--yes", "--concurrency", "2" }, { token = me.key, secrets = { me.key, e.token } })
      assert.equal(0, r.status)
      -- the second org's create was answered before the first's, held, was
      local order = {}
      for _, entry in ipairs(e:log()) do
        if entry.method == "POST" and entry.path:match("/apitokens$") then order[#order + 1] = entry.path end
      end
      assert.same({ "/api/v1/orgs/" .. ids[2] .. "/apitokens", "/api/v1/orgs/" .. ids[1] .. "/apitokens" }, order)
      local first = assert(r.out:find("org " .. ids[1] .. ": created monitoring", 1, true))
      local second = assert(r.out:find("org " .. ids[2] .. ": created monitoring", 1, true))
      assert.is_true(first < second)
      assert.matches("Apply complete: 2 created, 0 changed, 0 replaced, 0 destroyed in 2 orgs; 0 orgs failed%.", r.out)
    end)
  end)
end)
