-- What the Redis budget promises, checked against a real redis-server:
-- processes racing on one key never take more than the limit between them;
-- the wait it answers is when the oldest take leaves the window; its keys
-- live as long as the window and a hold as long as its seconds; a take whose
-- answer was lost is counted once; and no token ever reaches Redis, in a
-- command (MONITOR) or in a key or value.
local emu = require "support.emulator"
local redis_server = require "support.redis_server"
local shell = require "support.shell"
local fake_clock = require("support.fake_clock").new
local core = require "mistapi.core"
local mistapi = require "mistapi"
local backend = require "mistapi.budget.redis"

local function no_env() return nil end

local INTERPRETER = rawget(_G, "jit") and "luajit" or "lua5.4"
local CPATH = rawget(_G, "jit") and "./build/5.1/?.so" or "./build/5.4/?.so"

-- The keys of the backend's key `k` (the layout the backend writes).
local function key_of(k, what) return "mistapi:budget:{" .. k .. "}:" .. what end

-- Polls `f` until it answers `want` (at most ~5 s): -> its last answer.
local function until_equal(want, f)
  local got
  for _ = 1, 200 do
    got = f()
    if got == want then break end
    core.sleep(0.025)
  end
  return got
end

describe("the Redis budget's guarantees", function()
  local rs

  setup(function()
    rs = redis_server.start()
  end)
  teardown(function()
    if rs then rs:stop() end
  end)
  before_each(function()
    if rs:command { "PING" } ~= "PONG" then rs:restart() end
    rs:flush()
  end)

  local function server_now()
    local t = assert(rs:command { "TIME" })
    return tonumber(t[1]) + tonumber(t[2]) / 1e6
  end

  it("four processes racing on one key take exactly the limit between them, never more", function()
    local procs, outs = {}, {}
    for i = 1, 4 do
      outs[i] = os.tmpname()
      -- a window of an hour: the whole race lies inside one
      procs[i] = assert(io.popen(("%s spec/support/budget_racer.lua %s %s race 25 3600 40 >%s 2>&1")
        :format(INTERPRETER, CPATH, rs.url, shell.quote(outs[i]))))
    end
    local taken, errors = 0, {}
    for i = 1, 4 do
      procs[i]:close()
      for line in shell.read_file(outs[i]):gmatch("[^\n]+") do
        local n = tonumber(line:match("^taken (%d+)$"))
        if n then taken = taken + n else errors[#errors + 1] = line end
      end
      os.remove(outs[i])
    end
    assert.same({}, errors)
    assert.same(25, taken)
    assert.same(25, rs:command { "ZCARD", key_of("race", "log") })
  end)

  it("answers the seconds until the oldest take leaves the window, on the server's clock", function()
    local b = assert(backend.new(rs.url, {}))
    -- a take 3000 s ago, as the server counts time: still in the window,
    -- which has room again in 600 s
    assert(rs:command { "ZADD", key_of("k", "log"), ("%.6f"):format(server_now() - 3000), "old" })
    assert.same(0, b:take("k", 2, 3600))
    local wait = b:take("k", 2, 3600)
    assert.is_true(wait > 500 and wait <= 600, tostring(wait))
    -- a hold answers what is left of it
    assert.is_true(b:hold("h", 30))
    wait = b:take("h", 10, 3600)
    assert.is_true(wait > 20 and wait <= 30, tostring(wait))
  end)

  it("keeps a key's log as long as its window, and a hold as long as its seconds", function()
    local b = assert(backend.new(rs.url, {}))
    assert.same(0, b:take("k", 5, 60))
    for _, what in ipairs { "log", "seq" } do
      local ttl = rs:command { "PTTL", key_of("k", what) }
      assert.is_true(ttl > 59000 and ttl <= 61000, what .. " " .. tostring(ttl))
    end
    assert.is_true(b:hold("k", 30))
    local ttl = rs:command { "PTTL", key_of("k", "hold") }
    assert.is_true(ttl > 29000 and ttl <= 31000, tostring(ttl))
    -- to the microsecond, not the second: a hold cut short lets a call
    -- through before the Retry-After ends
    local before = server_now()
    assert.is_true(b:hold("f", 30.75))
    local till = tonumber(rs:command { "GET", key_of("f", "hold") })
    assert.is_true(till >= before + 30.75 - 1e-6, ("%.6f < %.6f"):format(till, before + 30.75))
  end)

  it("a wait the script prints as 0.000000 is still a wait, never a take; another answer is an error", function()
    local b = assert(backend.new(rs.url, {}))
    local script = backend.SCRIPT
    finally(function() backend.SCRIPT = script end)
    backend.SCRIPT = 'return "0.000000"'
    local wait = b:take("k", 1, 60)
    assert.is_true(wait > 0 and wait < 0.001, tostring(wait))
    backend.SCRIPT = 'return "soon"'
    local none, err = b:take("k", 1, 60)
    assert.is_nil(none)
    assert.matches("^redis: ", err)
  end)

  it("says why a hold failed: a 429 that Redis could not be told of is no success", function()
    rs:halt()
    local b = assert(backend.new(rs.url, {}))
    local ok, err = b:hold("k", 30)
    assert.is_nil(ok)
    assert.matches("^redis: ", err)
  end)

  it("names a token's keys by HMAC-SHA256 keyed \"mistapi budget v1\": every host and version agrees", function()
    local b = assert(require("mistapi.budget").open({ budget = rs.url, tokens = { "an-example-token" } },
      { now = function() return 0 end }))
    assert.same(0, b:take(1, 5, 60))
    -- printf %s an-example-token | openssl dgst -sha256 -hmac 'mistapi budget v1'
    local digest = "faf2d3dd43a514909cefa7fb3d77b67c8f41422a8bbb0c01ca2d58de7f059991"
    assert.same(1, rs:command { "EXISTS", key_of(digest, "log") })
  end)

  describe("with a client", function()
    local e
    local made = {}

    setup(function()
      e = emu.start()
    end)
    teardown(function()
      if e then e:stop() end
    end)
    before_each(function()
      e:reset()
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

    -- The one key's log in Redis (one token).
    local function logged()
      local keys = assert(rs:command { "KEYS", "*:log" })
      if #keys ~= 1 then return #keys == 0 and 0 or nil end
      return rs:command { "ZCARD", keys[1] }
    end

    it("a take whose answer was lost (Redis paused past the timeout) is counted once, the call sent once", function()
      local warnings = {}
      local clock = fake_clock()
      local c = client { timeout = 0.3, clock = clock, budget_limit = 100, budget_window = 3600,
                         log = function(entry) warnings[#warnings + 1] = entry.warning end }
      local tokens = c:orgs_api_tokens()
      assert(tokens:list_org_api_tokens(e.org_id))     -- connected, one take
      rs:pause()
      assert(tokens:list_org_api_tokens(e.org_id))     -- the take's answer never comes: the call goes on
      rs:resume()
      assert.same(1, #warnings)
      -- the client's timeout bounds Redis too (below the default second)
      assert.matches("no answer within 0.3 seconds", warnings[1], 1, true)
      -- Redis runs the take it had read before it stopped answering: once, not once a try
      assert.same(2, until_equal(2, logged))
      clock.t = clock.t + 11                          -- Redis is asked again, and answers
      assert(tokens:list_org_api_tokens(e.org_id))
      assert.same(3, logged())
      assert.same(2, #warnings)
      assert.same(3, #e:requests("GET", "/apitokens"))
    end)

    it("warns once an outage: \"answers again\" once, and a second outage is told again", function()
      local warnings = {}
      local clock = fake_clock()
      local c = client { clock = clock, budget_limit = 100, budget_window = 3600,
                         log = function(entry) warnings[#warnings + 1] = entry.warning end }
      local tokens = c:orgs_api_tokens()
      assert(tokens:list_org_api_tokens(e.org_id))
      rs:halt()
      assert(tokens:list_org_api_tokens(e.org_id))
      rs:restart()
      clock.t = clock.t + 11
      for _ = 1, 2 do assert(tokens:list_org_api_tokens(e.org_id)) end
      assert.same(2, #warnings)
      assert.matches("answers again", warnings[2], 1, true)
      rs:halt()
      assert(tokens:list_org_api_tokens(e.org_id))
      assert.same(3, #warnings)
      assert.matches("budget: " .. rs.url .. " failed (redis: ", warnings[3], 1, true)
    end)

    it("counts locally only the calls Redis let through: refused ones leave the local budget's room", function()
      local full = client { budget_limit = 2, budget_window = 3600 }
      for _ = 1, 2 do assert(full:orgs_api_tokens():list_org_api_tokens(e.org_id)) end
      local c = client { budget_limit = 2, budget_window = 3600, budget_wait = 0, log = function() end }
      local tokens = c:orgs_api_tokens()
      for _ = 1, 2 do
        assert.same("budget", select(2, tokens:list_org_api_tokens(e.org_id)).kind)
      end
      rs:halt()
      -- alone now: this client has sent nothing, so its own budget has room
      for _ = 1, 2 do assert(tokens:list_org_api_tokens(e.org_id)) end
      assert.same(4, #e:requests("GET", "/apitokens"))
    end)

    it("a 429 met while Redis answers holds the local budget too: Redis gone, the calls still wait", function()
      local c = client { budget_limit = 100, budget_window = 3600, budget_wait = 0, log = function() end }
      local tokens = c:orgs_api_tokens()
      e:fault { kind = "status", status = 429, retry_after = 30, count = 1, method = "GET" }
      assert.same(429, select(2, tokens:list_org_api_tokens(e.org_id)).status)
      rs:halt()
      local _, err = tokens:list_org_api_tokens(e.org_id)
      assert.same("budget", err and err.kind)
      assert.is_true(err.retry_after > 20 and err.retry_after <= 30, tostring(err.retry_after))
      assert.same(1, #e:requests("GET", "/apitokens"))
    end)

    it("no token reaches Redis: not in a command MONITOR sees, not in a key or a value", function()
      local second = e:make_token { name = "second", privileges = { { role = "admin", scope = "org" } } }
      local out = os.tmpname()
      local p = assert(io.popen(("redis-cli -h 127.0.0.1 -p %d monitor >%s 2>&1 & echo $!")
        :format(rs.port, shell.quote(out))))
      local pid = assert(tonumber(p:read("*l")))
      p:close()
      finally(function()
        os.execute("kill " .. pid .. " 2>/dev/null")
        os.remove(out)
      end)
      assert.same("OK", until_equal("OK", function() return (shell.try_read(out) or ""):match("^(OK)") end))
      -- takes for both tokens (the first has room for one call), the script
      -- loaded (EVAL) and run by its SHA, and a 429's hold
      local c = client { tokens = { e.token, second.key }, budget_limit = 1, budget_window = 3600 }
      local tokens = c:orgs_api_tokens()
      assert(tokens:list_org_api_tokens(e.org_id))
      assert(tokens:list_org_api_tokens(e.org_id))
      e:fault { kind = "status", status = 429, retry_after = 30, count = 1, method = "GET" }
      local other = client { token = second.key, budget_limit = 100, budget_window = 3600 }
      assert.same(429, select(2, other:orgs_api_tokens():list_org_api_tokens(e.org_id)).status)
      assert(rs:command { "ECHO", "the end" })
      local seen = until_equal(true, function()
        return (shell.try_read(out) or ""):find('"ECHO" "the end"', 1, true) ~= nil
      end)
      assert.is_true(seen)
      local monitored = shell.read_file(out)
      assert.truthy(monitored:find('"EVAL"', 1, true))
      assert.truthy(monitored:find('"EVALSHA"', 1, true))
      assert.truthy(monitored:find('"hold" "30"', 1, true))
      -- three keys a token, both tokens' and the hold
      local keys = assert(rs:command { "KEYS", "*" })
      assert.same(5, #keys)
      local stored = { table.concat(keys, " ") }
      for _, k in ipairs(keys) do
        local kind = rs:command { "TYPE", k }
        if kind == "zset" then
          stored[#stored + 1] = table.concat(assert(rs:command { "ZRANGE", k, "0", "-1", "WITHSCORES" }), " ")
        else
          stored[#stored + 1] = assert(rs:command { "GET", k })
        end
      end
      for _, text in ipairs { monitored, table.concat(stored, "\n") } do
        for _, token in ipairs { e.token, second.key } do
          assert.falsy(text:find(token, 1, true), "a token reached Redis")
          -- nor a part of one long enough to matter
          assert.falsy(text:find(token:sub(1, 16), 1, true), "a part of a token reached Redis")
          assert.falsy(text:find(token:sub(-16), 1, true), "a part of a token reached Redis")
        end
      end
    end)
  end)
end)
