-- The call budget shared through Redis: the backend against a real
-- redis-server (Debian's), three processes sharing one budget against the
-- emulator, Redis stopped mid-run, and a 429 that every client waits for.
local emu = require "support.emulator"
local redis_server = require "support.redis_server"
local shell = require "support.shell"
local ports = require "support.ports"
local cli = require "support.cli"
local fake_clock = require("support.fake_clock").new
local mistapi = require "mistapi"
local backend = require "mistapi.budget.redis"

local function no_env() return nil end

describe("the Redis budget", function()
  local e, rs
  local made = {}

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
  end)
  after_each(function()
    for _, c in ipairs(made) do c:close() end
    made = {}
  end)

  local function client(opts)
    local o = { base_url = e.url, token = e.token, getenv = no_env, budget = rs.url, max_retries = 0 }
    for k, v in pairs(opts or {}) do o[k] = v end
    local c = assert(mistapi.new(o))
    made[#made + 1] = c
    return c
  end

  describe("backend", function()
    it("takes `limit` calls in a window, then says when there is room, on the server's clock", function()
      local b = assert(backend.new(rs.url, {}))
      for _ = 1, 3 do assert.same(0, b:take("k1", 3, 60)) end
      local wait = b:take("k1", 3, 60)
      assert.is_true(wait > 0 and wait <= 60, tostring(wait))
      assert.same(0, b:take("k2", 3, 60))   -- another key counts alone
    end)

    it("holds a key: nothing taken while the hold lasts, the longer hold wins", function()
      local b = assert(backend.new(rs.url, {}))
      assert.is_true(b:hold("k", 30))
      assert.is_true(b:hold("k", 1))
      local wait = b:take("k", 100, 60)
      assert.is_true(wait > 1 and wait <= 30, tostring(wait))
      assert.same(0, b:take("other", 100, 60))
    end)

    it("says why when Redis is not there, and refuses a URL it can't read", function()
      local b = assert(backend.new("redis://127.0.0.1:" .. ports.dead(), {}))
      local wait, err = b:take("k", 1, 1)
      assert.is_nil(wait)
      assert.matches("^redis: ", err)
      local none, why = backend.new("redis://user:pw@127.0.0.1:1", {})
      assert.is_nil(none)
      assert.matches("^budget: redis: ", why)
      assert.falsy(why:find("pw", 1, true))
    end)
  end)

  it("keys a token by its keyed digest: Redis never holds the token", function()
    assert(client():orgs_api_tokens():list_org_api_tokens(e.org_id))
    local keys = assert(rs:command { "KEYS", "*" })
    assert.is_true(#keys > 0)
    for _, k in ipairs(keys) do
      assert.matches("^mistapi:budget:{%x+}:%a+$", k)
      assert.same(64, #k:match("{(%x+)}"))
      assert.falsy(k:find(e.token, 1, true))
    end
  end)

  -- Three processes of the fleet at once (support/budget_worker.lua), each
  -- with its own client: -> the lines of each.
  local function fleet(limit, window, wait, calls)
    local interpreter = rawget(_G, "jit") and "luajit" or "lua5.4"
    local cpath = rawget(_G, "jit") and "./build/5.1/?.so" or "./build/5.4/?.so"
    local procs, outs = {}, {}
    for i = 1, 3 do
      outs[i] = os.tmpname()
      procs[i] = assert(io.popen(("%s%s spec/support/budget_worker.lua %s %s %s %s %d %s %s %d >%s 2>&1"):format(
        shell.client_env(e), interpreter, cpath, e.url, e.org_id, rs.url, limit, window, wait, calls,
        shell.quote(outs[i]))))
    end
    local lines = {}
    for i = 1, 3 do
      procs[i]:close()
      for line in shell.read_file(outs[i]):gmatch("[^\n]+") do lines[#lines + 1] = line end
      os.remove(outs[i])
    end
    return lines
  end

  local function tally(lines)
    local n = { ok = 0, budget = 0, other = {} }
    for _, line in ipairs(lines) do
      if line == "ok" then
        n.ok = n.ok + 1
      elseif line:match("^budget ") then
        n.budget = n.budget + 1
        local after = tonumber(line:match("^budget (%S+)"))
        assert.is_true(after > 0 and after <= 60, line)
      else
        n.other[#n.other + 1] = line
      end
    end
    return n
  end

  it("three processes sharing a budget of 4 a window make 9 calls: no 429, at most 4 in any window", function()
    -- the emulator's window is 2 s; the budget's 2.5 s keeps a call that
    -- arrives late out of the next window
    e:config { rate_limit = 4, rate_window = 2 }
    local n = tally(fleet(4, 2.5, 30, 3))
    assert.same({ ok = 9, budget = 0, other = {} }, n)
    local gets = e:requests("GET", "/apitokens")
    assert.same(9, #gets)
    for _, r in ipairs(gets) do assert.same(200, r.status) end
  end)

  it("with budget_wait = 0, the calls past the shared budget fail with kind budget and when room comes", function()
    e:config { rate_limit = 4, rate_window = 3600 }
    local n = tally(fleet(4, 60, 0, 3))
    assert.same({ ok = 4, budget = 5, other = {} }, n)
    assert.same(4, #e:requests("GET", "/apitokens"))
  end)

  it("Redis stopped mid-run: the calls go on under the local budget, and the log hook says so, twice", function()
    local warnings = {}
    local clock = fake_clock()
    local c = client { budget_limit = 3, budget_window = 60, budget_wait = 0, clock = clock,
                       log = function(entry) warnings[#warnings + 1] = entry.warning end }
    local tokens = c:orgs_api_tokens()
    for _ = 1, 2 do assert(tokens:list_org_api_tokens(e.org_id)) end
    assert.same({}, warnings)
    rs:halt()
    assert(tokens:list_org_api_tokens(e.org_id))   -- the local budget has a third call
    assert.same(1, #warnings)
    assert.matches("budget: " .. rs.url .. " failed (redis: ", warnings[1], 1, true)
    assert.matches("this client counts alone (memory:)", warnings[1], 1, true)
    local _, err = tokens:list_org_api_tokens(e.org_id)
    assert.same("budget", err.kind)                 -- and no fourth in 60 s
    assert.same(1, #warnings)
    clock.t = clock.t + 11                           -- Redis is tried again, and fails again
    _, err = tokens:list_org_api_tokens(e.org_id)
    assert.same("budget", err.kind)
    assert.same(1, #warnings)                       -- one warning an outage
    rs:restart()
    clock.t = clock.t + 61                           -- past the retry and the local window
    assert(tokens:list_org_api_tokens(e.org_id))
    assert.same(2, #warnings)
    assert.matches("answers again", warnings[2], 1, true)
    assert.same(1, #assert(rs:command { "KEYS", "*:log" }))   -- counted in Redis again
    assert.same(4, #e:requests("GET", "/apitokens"))
    for _, w in ipairs(warnings) do assert.falsy(w:find(e.token, 1, true)) end
  end)

  it("a 429 from outside holds the shared budget: another client waits for its Retry-After", function()
    local a = client { budget_limit = 100, budget_window = 60 }
    local b = client { budget_limit = 100, budget_window = 60, budget_wait = 0 }
    e:fault { kind = "status", status = 429, retry_after = 30, count = 1, method = "GET" }
    local _, aerr = a:orgs_api_tokens():list_org_api_tokens(e.org_id)
    assert.same(429, aerr.status)
    local _, berr = b:orgs_api_tokens():list_org_api_tokens(e.org_id)
    assert.same("budget", berr.kind)
    assert.is_true(berr.retry_after > 20 and berr.retry_after <= 30, tostring(berr.retry_after))
    assert.same(1, #e:requests("GET", "/apitokens"))
  end)

  it("a URL it can't read is a validation error of mistapi.new", function()
    local c, err = mistapi.new { base_url = e.url, token = e.token, getenv = no_env, budget = "redis://h:0" }
    assert.is_nil(c)
    assert.same("validation", err.kind)
  end)

  it("the CLI's --budget: a Redis that is not there is a warning on stderr, and the command works", function()
    local url = "redis://127.0.0.1:" .. ports.dead()
    local r = cli.run(e, { "list", "--budget", url })
    assert.same(0, r.status)
    assert.matches("mistapi-tokens: warning: budget: " .. url .. " failed", r.err, 1, true)
    r = cli.run(e, { "list", "--budget", "memcache://x" })
    assert.same(2, r.status)
  end)
end)
