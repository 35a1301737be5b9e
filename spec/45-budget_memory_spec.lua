-- The call budget of each token, counted in memory (the default): the
-- backend's sliding log and holds on a clock the spec moves, then every kind
-- of call of a client against the emulator, on a fake clock (spec 30's), so
-- a wait is read off clock.waits instead of timed.
local memory = require "mistapi.budget.memory"
local mistapi = require "mistapi"
local fake_clock = require("support.fake_clock").new
local fresh_client = require "support.fresh_client"

local function no_env() return nil end

describe("the memory budget backend", function()
  local t, b
  before_each(function()
    t = 100
    b = memory.new("memory:", { now = function() return t end })
  end)

  it("takes `limit` calls in a window, then says when the oldest leaves it", function()
    for _ = 1, 3 do assert.same(0, b:take(1, 3, 10)) end
    t = 104
    assert.same(6, b:take(1, 3, 10))     -- the first three were at 100: room at 110
    t = 110
    assert.same(0, b:take(1, 3, 10))
  end)

  it("slides: room comes back one call at a time, as each leaves the window", function()
    for i = 1, 3 do
      t = 100 + i
      assert.same(0, b:take("k", 3, 10))
    end
    t = 111
    assert.same(0, b:take("k", 3, 10))   -- the call at 101 has left
    assert.same(1, b:take("k", 3, 10))   -- the one at 102 leaves at 112
    t = 112.5
    assert.same(0, b:take("k", 3, 10))
  end)

  it("counts each key alone", function()
    assert.same(0, b:take(1, 1, 10))
    assert.same(0, b:take(2, 1, 10))
    assert.same(10, b:take(1, 1, 10))
  end)

  it("takes nothing while a hold lasts, and the longer of two holds wins", function()
    assert.is_true(b:hold(1, 5))
    assert.is_true(b:hold(1, 2))
    assert.same(5, b:take(1, 100, 10))
    t = 103
    assert.same(2, b:take(1, 100, 10))
    t = 104.75                           -- to its last moment
    assert.same(0.25, b:take(1, 100, 10))
    t = 105
    assert.same(0, b:take(1, 100, 10))
    assert.same(0, b:take(2, 100, 10))   -- another key was never held
  end)

  it("refuses another backend's option", function()
    assert.is_nil(memory.new("redis://127.0.0.1:1", { now = os.time }))
    assert.has_error(function() memory.new("memory:", {}) end)
  end)
end)

describe("the budget options", function()
  local function new(opts)
    opts.base_url = opts.base_url or "http://127.0.0.1:1"
    opts.token = opts.token or "t0123456789"
    opts.getenv = opts.getenv or no_env
    return mistapi.new(opts)
  end

  it("default to memory:, 5000 calls in 3600 s, waiting as long as retry_cap", function()
    local c = assert(new { retry_cap = 7 })
    assert.same("memory:", c.settings.budget)
    assert.same(5000, c.settings.budget_limit)
    assert.same(3600, c.settings.budget_window)
    assert.same(7, c.settings.budget_wait)
    c:close()
  end)

  it("read MIST_BUDGET, and the option wins over it", function()
    local env = { MIST_BUDGET = "shm:nowhere" }
    local function getenv(name) return env[name] end
    local c, err = new { getenv = getenv, budget = "memory:" }
    assert.is_nil(err)
    c:close()
    env.MIST_BUDGET = "bogus"
    c, err = new { getenv = getenv }
    assert.is_nil(c)
    assert.same("validation", err.kind)
    assert.matches('budget: "bogus" is not memory:, shm:NAME or redis://HOST:PORT[/DB]', err.message, 1, true)
  end)

  it("refuse a limit, a window or a wait that can't work", function()
    for _, bad in ipairs { { budget_limit = 0 }, { budget_limit = 2.5 }, { budget_window = 0 },
                           { budget_wait = -1 }, { budget_wait = 0 / 0 }, { budget_wait = math.huge },
                           { budget_window = 86400 * 31 + 1 }, { budget_limit = 1e9 + 1 },
                           { budget = "memcache://x" } } do
      local c, err = new(bad)
      assert.is_nil(c)
      assert.same("validation", err.kind)
    end
    local c = assert(new { budget_wait = 0 })
    assert.same(0, c.settings.budget_wait)
    c:close()
  end)
end)

describe("a client's calls under its memory budget", function()
  local fresh = fresh_client.new { retry_base = 0.05 }
  local e, clock, made

  setup(function() e = fresh:start() end)
  teardown(function() fresh:stop() end)
  before_each(function()
    fresh:renew()
    clock = fake_clock()
  end)
  after_each(function()
    if made then made:close() end
    made = nil
  end)

  -- the test's client (the emulator as the test left it): 3 calls in 10 s
  local function client(opts)
    local base = { clock = clock, budget_limit = 3, budget_window = 10 }
    for k, v in pairs(opts or {}) do base[k] = v end
    made = fresh:client(base)
    return made
  end

  it("waits for room before the call past the limit, then sends it (one GET each)", function()
    local tokens = client():orgs_api_tokens()
    for _ = 1, 5 do assert(tokens:list_org_api_tokens(e.org_id)) end
    assert.same({ 10 }, clock.waits)
    assert.same(5, #e:requests("GET"))
  end)

  it("with budget_wait = 0 fails the call past the limit with kind budget and when room comes back", function()
    local tokens = client({ budget_wait = 0 }):orgs_api_tokens()
    for _ = 1, 3 do assert(tokens:list_org_api_tokens(e.org_id)) end
    clock.t = clock.t + 4
    local res, err = tokens:list_org_api_tokens(e.org_id)
    assert.is_nil(res)
    assert.same("budget", err.kind)
    assert.same(6, err.retry_after)
    assert.same("GET", err.method)
    assert.matches("^mistapi: budget GET /api/v1/orgs/[^ ]+/apitokens: no room in the budget", tostring(err))
    assert.same({}, clock.waits)
    assert.same(3, #e:requests("GET"))    -- the refused call was never sent
  end)

  it("fails when the room comes later than budget_wait, having waited nothing", function()
    local tokens = client({ budget_wait = 9 }):orgs_api_tokens()
    for _ = 1, 3 do assert(tokens:list_org_api_tokens(e.org_id)) end
    local _, err = tokens:list_org_api_tokens(e.org_id)
    assert.same("budget", err.kind)
    assert.same(10, err.retry_after)
    assert.same({}, clock.waits)
  end)

  it("never waits past the deadline: a wait for room that would end after it fails at once", function()
    local tokens = client({ deadline = 5 }):orgs_api_tokens()
    for _ = 1, 3 do assert(tokens:list_org_api_tokens(e.org_id)) end
    local _, err = tokens:list_org_api_tokens(e.org_id)
    assert.same("budget", err.kind)
    assert.same(10, err.retry_after)
    assert.same({}, clock.waits)
  end)

  it("counts every attempt: a retry takes from the budget too", function()
    local tokens = client({ budget_wait = 0 }):orgs_api_tokens()
    e:fault { kind = "status", status = 503, count = 2, method = "GET" }
    local res = assert(tokens:list_org_api_tokens(e.org_id))
    assert.same(3, res.attempts)
    local _, err = tokens:list_org_api_tokens(e.org_id)
    assert.same("budget", err.kind)
  end)

  it("holds the token's budget for a 429's Retry-After: the next call waits for it", function()
    local tokens = client({ budget_limit = 100, max_retries = 0 }):orgs_api_tokens()
    e:fault { kind = "status", status = 429, retry_after = 7, count = 1, method = "GET" }
    local _, err = tokens:list_org_api_tokens(e.org_id)
    assert.same(429, err.status)
    assert(tokens:list_org_api_tokens(e.org_id))
    assert.same({ 7 }, clock.waits)
  end)

  it("a held budget and budget_wait = 0: kind budget, with the Retry-After left", function()
    local tokens = client({ budget_limit = 100, max_retries = 0, budget_wait = 0 }):orgs_api_tokens()
    e:fault { kind = "status", status = 429, retry_after = 7, count = 1, method = "GET" }
    assert.is_nil(tokens:list_org_api_tokens(e.org_id))
    clock.t = clock.t + 2
    local _, err = tokens:get_org_api_token(e.org_id, e:seed(1)[1])
    assert.same("budget", err.kind)
    assert.same(5, err.retry_after)
  end)

  it("takes from another token's budget when the first has no room (rotation per token)", function()
    local second = e:make_token { name = "second", privileges = { { role = "admin", scope = "org" } } }
    local seen = {}
    local c = client { tokens = { e.token, second.key }, budget_limit = 2,
                       log = function(entry) seen[#seen + 1] = entry.token_index end }
    local tokens = c:orgs_api_tokens()
    for _ = 1, 4 do assert(tokens:list_org_api_tokens(e.org_id)) end
    assert.same({ 1, 1, 2, 2 }, seen)
    assert.same({}, clock.waits)
    assert(tokens:list_org_api_tokens(e.org_id))
    assert.same({ 10 }, clock.waits)
  end)

  it("a single GET on the fast path (no log hook) waits like the others", function()
    local id = e:seed(1)[1]
    local tokens = client():orgs_api_tokens()
    for _ = 1, 4 do assert(tokens:get_org_api_token(e.org_id, id)) end
    assert.same({ 10 }, clock.waits)
  end)

  it("each page of a walk takes one call", function()
    e:seed(4)
    local tokens = client({ budget_wait = 0 }):orgs_api_tokens()
    local ok, err = pcall(function()
      for _ in tokens:each_org_api_token(e.org_id, { limit = 1 }) do end
    end)
    assert.is_false(ok)
    assert.same("budget", err.kind)
    assert.same(3, #e:requests("GET"))
  end)

  it("a bulk call sends what the budget has room for, and the rest fail with kind budget", function()
    local ids = e:seed(5)
    local tokens = client({ budget_wait = 0 }):orgs_api_tokens()
    local res = assert(tokens:get_org_api_tokens(e.org_id, ids))
    local done, refused = 0, 0
    for i = 1, 5 do
      if res.data[i] then done = done + 1 end
      if res.errors[i] and res.errors[i].kind == "budget" then refused = refused + 1 end
    end
    assert.same({ 3, 2 }, { done, refused })
    assert.same(2, res.failed)
    assert.same(3, #e:requests("GET"))
  end)

  it("a bulk call waits for room, round after round", function()
    local ids = e:seed(5)
    local tokens = client():orgs_api_tokens()
    local res = assert(tokens:get_org_api_tokens(e.org_id, ids))
    for i = 1, 5 do assert.truthy(res.data[i]) end
    assert.same({ 10 }, clock.waits)
    assert.same(5, #e:requests("GET"))
  end)

  it("a bulk call takes from the budget as each item starts: a 429 holds the items not started yet", function()
    local ids = e:seed(8)
    local tokens = client({ budget_limit = 100, budget_wait = 0, max_retries = 0 }):orgs_api_tokens()
    e:fault { kind = "status", status = 429, retry_after = 7, count = 1, method = "GET" }
    -- one at a time, so which item meets the 429 is known: the first
    local res = assert(tokens:get_org_api_tokens(e.org_id, ids, { concurrency = 1 }))
    local kinds = {}
    for i = 1, 8 do
      local err = res.errors[i]
      kinds[i] = err and (err.kind == "budget" and "budget" or err.status) or "ok"
    end
    -- the first went out and met the 429; the seven after it were held, never sent
    -- (a round that took for all its items up front sent all eight)
    assert.same({ 429, "budget", "budget", "budget", "budget", "budget", "budget", "budget" }, kinds)
    assert.same(1, #e:requests("GET"))
  end)

  it("a bulk call waits budget_wait in all, not each round: an item past it fails with kind budget", function()
    local ids = e:seed(7)
    local tokens = client({ budget_wait = 15 }):orgs_api_tokens()
    local res = assert(tokens:get_org_api_tokens(e.org_id, ids))
    local done, refused = 0, 0
    for i = 1, 7 do
      if res.data[i] then done = done + 1 end
      if res.errors[i] and res.errors[i].kind == "budget" then refused = refused + 1 end
    end
    -- 3 at once, 3 after 10 s; the last would wait 20 s in all, and has
    -- room 10 s after it is refused
    assert.same({ 6, 1 }, { done, refused })
    assert.same(10, res.errors[7].retry_after)
    assert.same({ 10 }, clock.waits)
    assert.same(6, #e:requests("GET"))
  end)

  it("with several tokens and no room, says when the first of them has room", function()
    local second = e:make_token { name = "second", privileges = { { role = "admin", scope = "org" } } }
    local tokens = client({ tokens = { e.token, second.key }, budget_limit = 2, budget_window = 60,
                            budget_wait = 0 }):orgs_api_tokens()
    local function at(t) clock.t = t; return tokens:list_org_api_tokens(e.org_id) end
    assert(at(1000)); assert(at(1001))        -- the first token's two
    assert(at(1002)); assert(at(1002))        -- the second's
    assert(at(1060.5)); assert(at(1061))      -- the first's again, as its takes leave the window
    -- now the first has room in 59 s, the second in 0.5 s
    local _, err = at(1061.5)
    assert.same("budget", err.kind)
    assert.same(0.5, err.retry_after)
  end)

  it("waits at least 10 ms for room: a budget that answers slivers costs rounds, not a busy loop", function()
    -- a clock that never moves: the memory budget answers the same sliver each time
    local sleeps, t = {}, 1000
    local stuck = { now = function() return t end, sleep = function(s) sleeps[#sleeps + 1] = s end }
    local c = client { clock = stuck, budget_limit = 1, budget_wait = 0.5 }
    local tokens = c:orgs_api_tokens()
    -- the one call of the window, taken 10 s before "now" less a microsecond
    assert(tokens:list_org_api_tokens(e.org_id))
    t = 1009.999999
    local _, err = tokens:list_org_api_tokens(e.org_id)
    assert.same("budget", err.kind)
    assert.is_true(#sleeps <= 50, #sleeps .. " sleeps")
    for _, s in ipairs(sleeps) do assert.is_true(s >= 0.01, tostring(s)) end
  end)

  it("client:request takes from the budget too", function()
    local c = client { budget_wait = 0 }
    for _ = 1, 3 do assert(c:request("GET", "/api/v1/self")) end
    local res, err = c:request("GET", "/api/v1/self")
    assert.is_nil(res)
    assert.same("budget", err.kind)
  end)
end)
