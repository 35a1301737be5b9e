-- Jobs across orgs under one token's budget: the progress bar says the calls left in it
-- (read, never taken; shared through Redis, so a second run sees what the first spent),
-- and an `audit --all-orgs` over an MSP's 300 orgs and an `apply` to 50 orgs, two
-- processes at once sharing a Redis budget smaller than their calls, wait for room and
-- finish without one 429 from the emulator.
local emu = require "support.emulator"
local cli = require "support.cli"
local redis_server = require "support.redis_server"
local shell = require "support.shell"
local mistapi = require "mistapi"
local memory = require "mistapi.budget.memory"
local redis_backend = require "mistapi.budget.redis"
local fake_clock = require("support.fake_clock").new

local STATE = '{"tokens": {"monitoring": {"privileges": [{"role": "read", "scope": "org"}]}}}'

local function no_env() return nil end

describe("jobs across orgs and the token's budget", function()
  local e, rs, me
  setup(function()
    e = emu.start()
    rs = redis_server.start()
  end)
  teardown(function()
    if rs then rs:stop() end
    if e then e:stop() end
  end)
  before_each(function()
    e:reset()
    if rs:command { "PING" } ~= "PONG" then rs:restart() end
    rs:flush()
    me = e:make_self_token{ name = "fleet" }
  end)

  local function run(argv, opts)
    opts = opts or {}
    opts.token = me.key
    opts.secrets = { me.key, e.token }
    return cli.run(e, argv, opts)
  end

  -- The numbers of "N calls left in the budget" in a progress bar's text, in order.
  local function lefts(text)
    local out = {}
    for n in text:gmatch("(%d+) calls? left in the budget") do out[#out + 1] = tonumber(n) end
    return out
  end

  local function two_orgs()
    local ids = e:add_orgs(2, { tokens = 1 })
    e:set_user_privileges{ { scope = "org", role = "admin", org_id = ids[1] },
      { scope = "org", role = "admin", org_id = ids[2] } }
    return ids
  end

  it("client:budget_left() says the calls left and takes none, in memory and in Redis", function()
    for _, spec in ipairs { "memory:", rs.url } do
      rs:flush()
      local c = assert(mistapi.new{ base_url = e.url, token = e.token, getenv = no_env, budget = spec,
        budget_limit = 5, budget_window = 60 })
      assert.equal(5, c:budget_left())
      assert.equal(5, c:budget_left())   -- asking takes nothing
      assert(c:orgs_api_tokens():list_org_api_tokens(e.org_id))
      assert(c:orgs_api_tokens():list_org_api_tokens(e.org_id))
      assert.equal(3, c:budget_left(), spec)
      for _ = 1, 3 do assert(c:orgs_api_tokens():list_org_api_tokens(e.org_id)) end
      assert.equal(0, c:budget_left(), spec)
      c:close()
    end
  end)

  it("client:budget_left() is 0 while a 429's Retry-After holds the token, in memory and in Redis", function()
    for _, spec in ipairs { "memory:", rs.url } do
      rs:flush()
      e:clear_faults()
      local c = assert(mistapi.new{ base_url = e.url, token = e.token, getenv = no_env, budget = spec,
        budget_limit = 50, budget_window = 60, max_retries = 0 })
      e:fault { kind = "status", status = 429, retry_after = 30, count = 1, method = "GET" }
      local _, err = c:orgs_api_tokens():list_org_api_tokens(e.org_id)
      assert.equal(429, err.status)
      assert.equal(0, c:budget_left(), spec)
      c:close()
    end
  end)

  it("left counts the takes of the last window only, never below 0, and none while held", function()
    local clock = fake_clock()
    local m = assert(memory.new("memory:", { clock = clock }))
    assert.equal(3, m:left(1, 3, 60))                    -- nothing taken yet
    assert.equal(0, m:take(1, 3, 60))
    clock.t = clock.t + 30
    assert.equal(0, m:take(1, 3, 60))
    assert.equal(1, m:left(1, 3, 60))
    assert.equal(3, m:left(2, 3, 60))                    -- another key counts alone
    clock.t = clock.t + 30                               -- the first take is a window old: out
    assert.equal(2, m:left(1, 3, 60))
    m:hold(1, 5)
    assert.equal(0, m:left(1, 3, 60))
    clock.t = clock.t + 5
    assert.equal(2, m:left(1, 3, 60))
    -- a taker (the pipeline's form) and take count in the same rings, and left reads them
    local t = m:taker(3, 60)
    assert.equal(0, t(1))
    assert.equal(1, m:left(1, 3, 60))
    assert.equal(0, m:take(1, 3, 60))
    assert.equal(0, m:left(1, 3, 60))
    assert.is_true(t(1) > 0)
    local r = assert(redis_backend.new(rs.url, {}))
    for _ = 1, 5 do assert.equal(0, r:take("k", 5, 60)) end
    assert.equal(0, r:left("k", 5, 60))
    assert.equal(0, r:left("k", 3, 60))                  -- a smaller allowance, spent past it: 0, not -2
    assert.equal(5, r:left("other", 5, 60))
    assert.is_true(r:hold("other", 30))
    assert.equal(0, r:left("other", 5, 60))
    -- takes older than the window count no more, though no take has cleared them yet
    for _ = 1, 2 do assert.equal(0, r:take("short", 5, 0.3)) end
    assert.equal(3, r:left("short", 5, 0.3))
    assert(os.execute("sleep 0.5"))
    assert.equal(5, r:left("short", 5, 0.3))
  end)

  it("client:budget_left() sums the client's tokens, and counts alone with a warning while Redis is down",
    function()
    local warnings = {}
    local c = assert(mistapi.new{ base_url = e.url, tokens = { e.token, me.key }, getenv = no_env, budget = rs.url,
      budget_limit = 4, budget_window = 60, log = function(entry) warnings[#warnings + 1] = entry.warning end })
    assert.equal(8, c:budget_left())
    assert(c:orgs_api_tokens():list_org_api_tokens(e.org_id))
    assert.equal(7, c:budget_left())
    rs:halt()
    assert.equal(7, c:budget_left())                     -- this client's own count meanwhile
    assert.equal(1, #warnings)
    assert.matches("counts alone", warnings[1], 1, true)
    rs:restart()
    c:close()
  end)

  it("the bar says the calls left in the token's budget as the orgs are done", function()
    two_orgs()
    local r = run({ "audit", "--all-orgs", "--fail-on", "never", "--budget-limit", "10" }, { terminal = true })
    assert.equal(0, r.status)
    -- GET /self, then the two orgs' lists
    local seen = lefts(r.err)
    assert.equal(9, seen[1])
    assert.equal(7, seen[#seen])
    assert.matches("\r%[#+%] 2/2 orgs, 4 findings, 7 calls left in the budget", r.err)
  end)

  it("the bar of a run sharing a Redis budget starts from what the other runs spent", function()
    two_orgs()
    local argv = { "audit", "--all-orgs", "--fail-on", "never", "--budget", rs.url, "--budget-limit", "100",
      "--budget-window", "600" }
    local r = run(argv, { terminal = true })
    assert.equal(0, r.status)
    assert.equal(97, lefts(r.err)[#lefts(r.err)])
    r = run(argv, { terminal = true })
    assert.equal(0, r.status)
    local seen = lefts(r.err)
    assert.equal(96, seen[1])
    assert.equal(94, seen[#seen])
    -- a run alone (memory:) knows nothing of them
    r = run({ "audit", "--all-orgs", "--fail-on", "never", "--budget-limit", "100" }, { terminal = true })
    assert.equal(97, lefts(r.err)[#lefts(r.err)])
  end)

  it("audit --all-orgs over 300 orgs and apply to 50, at once under one Redis budget smaller than their calls:"
    .. " they wait for room and finish, a failed org said while the rest go on, and the emulator answers no 429",
    function()
    local LIMIT, WINDOW = 120, 1
    -- the budget's window a second longer than the emulator's fixed ones: a call a busy
    -- machine delays can't land in the next window
    e:config { rate_limit = LIMIT, rate_window = WINDOW }
    local msp = e:add_msp{ name = "Acme MSP" }
    local in_msp = e:add_orgs(300, { msp_id = msp.id, tokens = 2 })
    e:fault{ kind = "status", status = 500, count = 1000, path = "/api/v1/orgs/" .. in_msp[150] .. "/apitokens" }
    local targets = e:add_orgs(50, { tokens = 1, name_prefix = "target-" })
    local privileges = { { scope = "msp", role = "admin", msp_id = msp.id } }
    for _, id in ipairs(targets) do privileges[#privileges + 1] = { scope = "org", role = "admin", org_id = id } end
    e:set_user_privileges(privileges)
    local dir = shell.private_dir()
    local state, orgs_file, keys = dir .. "/state.json", dir .. "/orgs", dir .. "/keys"
    local f = assert(io.open(state, "w"))
    f:write(STATE)
    f:close()
    f = assert(io.open(orgs_file, "w"))
    f:write(table.concat(targets, "\n"), "\n")
    f:close()
    assert(os.execute("mkdir -m 700 " .. shell.quote(keys)))
    f = assert(io.open(dir .. "/token", "w"))
    f:write(me.key, "\n")
    f:close()
    e:clear_log()

    local shared = ("--token-file %s --budget %s --budget-limit %d --budget-window %d"):format(
      shell.quote(dir .. "/token"), rs.url, LIMIT, WINDOW + 1)
    -- the audit on a terminal (script(1) gives it a pty): its progress bar
    local jobs = {
      audit = "script -qec " .. shell.quote(shell.client_env(e) .. shell.quote(shell.CLI)
        .. " audit --all-orgs --skip no_src_ips --fail-on never --max-retries 0 " .. shared) .. " /dev/null </dev/null",
      apply = ("apply %s --orgs-file %s --key-dir %s --yes %s"):format(shell.quote(state), shell.quote(orgs_file),
        shell.quote(keys), shared),
    }
    local procs, outs = {}, {}
    for name, argv in pairs(jobs) do
      outs[name] = dir .. "/" .. name .. ".out"
      local command = name == "audit" and argv or (shell.client_env(e) .. shell.quote(shell.CLI) .. " " .. argv)
      procs[name] = assert(io.popen(("%s >%s 2>&1; echo $?"):format(command, shell.quote(outs[name]))))
    end
    local status, out = {}, {}
    for name, p in pairs(procs) do
      status[name] = tonumber(p:read("*a"):match("(%d+)%s*$"))
      p:close()
      out[name] = shell.read_file(outs[name])
    end
    assert.equal(5, status.audit, out.audit)   -- the failed org's server error, as for one org
    assert.equal(0, status.apply, out.apply)
    -- (the apply adds read-only tokens meanwhile: more tokens, no more findings)
    assert.matches("648 findings %(648 high, 0 medium, 0 low%) in %d+ tokens of 350 orgs; 1 org failed", out.audit)
    assert.matches("org " .. in_msp[150]:gsub("%-", "%%-") .. " %(org%-150%): 500", out.audit)
    assert.matches("org " .. in_msp[300]:gsub("%-", "%%-") .. " %(org%-300%): 2 findings in 2 tokens", out.audit)
    assert.matches("%] 350/350 orgs, 648 findings, %d+ calls? left in the budget", out.audit)
    assert.matches("Apply complete: 50 created, 0 changed, 0 replaced, 0 destroyed in 50 orgs; 0 orgs failed%.",
      out.apply)
    for _, text in pairs(out) do
      assert.is_nil(text:find(me.key, 1, true))
      assert.is_nil(text:find("warning", 1, true), text)   -- Redis answered all along
    end

    -- more calls with the runs' token than one window allows: the budget had to hold them back
    local log = e:log()
    local n = 0
    for _, entry in ipairs(log) do
      assert.is_true(entry.status ~= 429, "a 429 from the emulator")
      if entry.token_id == me.id then n = n + 1 end
    end
    assert.is_true(n > 3 * LIMIT, tostring(n))
    shell.remove_tree(dir)
  end)
end)
