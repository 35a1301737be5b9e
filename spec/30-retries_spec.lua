-- Retries, rate limits, token rotation, the deadline and the logging hook,
-- against the emulator's faults over real HTTP.
local emu = require "support.emulator"
local core = require "mistapi.core"
local mistapi = require "mistapi"
local ports = require "support.ports"
local fake_clock = require("support.fake_clock").new
local fresh_client = require "support.fresh_client"

local ADMIN = { { role = "admin", scope = "org" } }

local function no_env() return nil end

describe("retries against the emulator", function()
  local fresh = fresh_client.new { retry_base = 0.05 }
  local e, tokens

  setup(function() e = fresh:start() end)
  teardown(function() fresh:stop() end)
  before_each(function() tokens = fresh:renew():orgs_api_tokens() end)

  it("retries a GET past two 503s and counts three attempts", function()
    e:fault { kind = "status", status = 503, count = 2, method = "GET" }
    local res, err = tokens:list_org_api_tokens(e.org_id)
    assert.is_nil(err)
    assert.same(200, res.status)
    assert.same(3, res.attempts)
    assert.same(3, #e:requests("GET"))
  end)

  it("retries PUT and DELETE on 502 and 504 too", function()
    local made = assert(tokens:create_org_api_token(e.org_id, { name = "to-update", privileges = ADMIN }))
    e:fault { kind = "status", status = 502, count = 1, method = "PUT" }
    local res = assert(tokens:update_org_api_token(e.org_id, made.data.id, { name = "updated" }))
    assert.same(2, res.attempts)
    e:fault { kind = "status", status = 504, count = 1, method = "DELETE" }
    res = assert(tokens:delete_org_api_token(e.org_id, made.data.id))
    assert.same(2, res.attempts)
  end)

  it("never retries a POST that met a 500: one attempt, one arrival", function()
    e:fault { kind = "status", status = 500, count = 1, method = "POST" }
    local res, err = tokens:create_org_api_token(e.org_id, { name = "once", privileges = ADMIN })
    assert.is_nil(res)
    assert.same("http", err.kind)
    assert.same(500, err.status)
    assert.same(1, err.attempts)
    assert.is_true(err:is_retryable())
    assert.same(1, #e:requests("POST"))
  end)

  it("retries a POST refused with 429 (refused, not done): one token made", function()
    e:fault { kind = "status", status = 429, retry_after = 1, count = 1, method = "POST" }
    local res, err = tokens:create_org_api_token(e.org_id, { name = "after 429", privileges = ADMIN })
    assert.is_nil(err)
    assert.same(2, res.attempts)
    local all = assert(tokens:list_all_org_api_tokens(e.org_id))
    local named = 0
    for _, t in ipairs(all.data) do
      if t.name == "after 429" then named = named + 1 end
    end
    assert.same(1, named)
  end)

  it("retries a POST whose connection was refused, since it never arrived", function()
    local port = ports.dead()
    local c = assert(mistapi.new { base_url = "http://127.0.0.1:" .. port, token = e.token,
      max_retries = 2, retry_base = 0.01, getenv = no_env })
    local res, err = c:orgs_api_tokens():create_org_api_token(e.org_id, { name = "x", privileges = ADMIN })
    c:close()
    assert.is_nil(res)
    assert.same("transport", err.kind)
    assert.is_false(err.reached)
    assert.same(3, err.attempts)
  end)

  it("does not retry a POST that timed out (the server may have made the token)", function()
    local c = assert(mistapi.new { base_url = e.url, token = e.token, timeout = 1, getenv = no_env })
    e:fault { kind = "latency", ms = 1500, count = 1, method = "POST" }
    local res, err = c:orgs_api_tokens():create_org_api_token(e.org_id, { name = "slow", privileges = ADMIN })
    c:close()
    assert.is_nil(res)
    assert.same("timeout", err.kind)
    assert.same(1, err.attempts)
    -- the emulator logs the POST once its latency has passed; a retry (which
    -- has no latency) would have been logged before it: wait (bounded) for it
    for _ = 1, 300 do
      if #e:requests("POST") > 0 then break end
      core.sleep(0.1)
    end
    assert.same(1, #e:requests("POST"))
  end)

  it("retries a GET that timed out", function()
    local c = assert(mistapi.new { base_url = e.url, token = e.token, timeout = 1, retry_base = 0.01,
      getenv = no_env })
    e:fault { kind = "latency", ms = 1500, count = 1, method = "GET" }
    local res, err = c:orgs_api_tokens():list_org_api_tokens(e.org_id)
    c:close()
    assert.is_nil(err)
    assert.same(2, res.attempts)
  end)

  it("waits as long as Retry-After: 2 says, then succeeds", function()
    local clock = fake_clock()
    local c = assert(mistapi.new { base_url = e.url, token = e.token, clock = clock, getenv = no_env })
    e:fault { kind = "status", status = 429, retry_after = 2, count = 1, method = "GET" }
    local res, err = c:orgs_api_tokens():list_org_api_tokens(e.org_id)
    c:close()
    assert.is_nil(err)
    assert.same(2, res.attempts)
    assert.same({ 2 }, clock.waits)
  end)

  it("honours Retry-After as an HTTP-date", function()
    local clock = fake_clock()
    local c = assert(mistapi.new { base_url = e.url, token = e.token, clock = clock, getenv = no_env })
    local date = os.date("!%a, %d %b %Y %H:%M:%S GMT", os.time() + 30)
    e:fault { kind = "status", status = 429, count = 1, method = "GET", headers = { ["Retry-After"] = date } }
    local res, err = c:orgs_api_tokens():list_org_api_tokens(e.org_id)
    c:close()
    assert.is_nil(err)
    assert.same(2, res.attempts)
    assert.same(1, #clock.waits)
    -- 30 s from when the date was written, less the (whole) seconds since
    assert.is_true(clock.waits[1] > 20 and clock.waits[1] <= 30, "waited " .. clock.waits[1])
  end)

  it("waits a back-off within retry_base * 2^n before each retry", function()
    local clock = fake_clock()
    local c = assert(mistapi.new { base_url = e.url, token = e.token, clock = clock, retry_base = 4,
      retry_cap = 10, max_retries = 3, getenv = no_env })
    e:fault { kind = "status", status = 503, count = 3, method = "GET" }
    local res, err = c:orgs_api_tokens():list_org_api_tokens(e.org_id)
    c:close()
    assert.is_nil(err)
    assert.same(4, res.attempts)
    assert.same(3, #clock.waits)
    for n, ceiling in ipairs { 4, 8, 10 } do
      assert.is_true(clock.waits[n] >= 0 and clock.waits[n] <= ceiling, "wait " .. n .. ": " .. clock.waits[n])
    end
  end)

  it("waits out the emulator's own hourly budget when it answers with an HTTP-date", function()
    e:config { rate_limit = 1, rate_window = 2, retry_after = "http-date" }
    assert(tokens:list_org_api_tokens(e.org_id))
    local res, err = tokens:list_org_api_tokens(e.org_id)
    assert.is_nil(err)
    assert.is_true(res.attempts >= 2)
    local statuses = {}
    for _, entry in ipairs(e:requests("GET")) do statuses[#statuses + 1] = entry.status end
    assert.same(429, statuses[2])
    assert.same(200, statuses[#statuses])
  end)

  it("rotates to a second token at once on a 429 and reports its index", function()
    local second = assert(tokens:create_org_api_token(e.org_id, { name = "second admin", privileges = ADMIN }))
    local clock = fake_clock()
    local c = assert(mistapi.new { base_url = e.url, tokens = { e.token, second.data.key }, clock = clock,
      getenv = no_env })
    e:clear_log()
    e:fault { kind = "status", status = 429, retry_after = 30, count = 1, method = "GET" }
    local res, err = c:orgs_api_tokens():list_org_api_tokens(e.org_id)
    c:close()
    assert.is_nil(err)
    assert.same(2, res.token_index)
    assert.same(2, res.attempts)
    assert.same({}, clock.waits)  -- no wait at all before the second token
    local gets = e:requests("GET")
    assert.same(second.data.id, gets[2].token_id)
  end)

  it("rotates on the emulator's real per-token budget", function()
    local second = assert(tokens:create_org_api_token(e.org_id, { name = "second admin", privileges = ADMIN }))
    local c = assert(mistapi.new { base_url = e.url, tokens = { e.token, second.data.key }, getenv = no_env })
    e:config { rate_limit = 2 }  -- the create above spent one call of the first token
    local t = c:orgs_api_tokens()
    assert.same(1, assert(t:list_org_api_tokens(e.org_id)).token_index)
    local res = assert(t:list_org_api_tokens(e.org_id))
    c:close()
    assert.same(2, res.token_index)
    assert.same(2, res.attempts)
  end)

  it("does not sleep a Retry-After longer than retry_cap: the error carries it", function()
    local clock = fake_clock()
    local c = assert(mistapi.new { base_url = e.url, token = e.token, retry_cap = 5, clock = clock,
      getenv = no_env })
    e:fault { kind = "status", status = 429, retry_after = 120, count = 1, method = "GET" }
    local res, err = c:orgs_api_tokens():list_org_api_tokens(e.org_id)
    c:close()
    assert.is_nil(res)
    assert.is_true(err:is_rate_limited())
    assert.same(120, err.retry_after)
    assert.same(1, err.attempts)
    assert.same({}, clock.waits)
    assert.matches("^mistapi: 429 GET /api/v1/orgs/.+/apitokens", tostring(err))
  end)

  it("stops retrying at the deadline", function()
    local clock = fake_clock()
    local c = assert(mistapi.new { base_url = e.url, token = e.token, max_retries = 10, deadline = 2.5,
      clock = clock, getenv = no_env })
    e:fault { kind = "status", status = 503, retry_after = 1, count = 20, method = "GET" }
    local res, err = c:orgs_api_tokens():list_org_api_tokens(e.org_id)
    c:close()
    assert.is_nil(res)
    assert.same(503, err.status)
    assert.same(3, err.attempts)  -- at 0 s, 1 s, 2 s; a third wait would end past 2.5 s
    assert.same({ 1, 1 }, clock.waits)
  end)

  it("gives up after max_retries", function()
    local c = assert(mistapi.new { base_url = e.url, token = e.token, max_retries = 2, retry_base = 0.01,
      getenv = no_env })
    e:fault { kind = "status", status = 503, count = 10, method = "GET" }
    local res, err = c:orgs_api_tokens():list_org_api_tokens(e.org_id)
    c:close()
    assert.is_nil(res)
    assert.same(3, err.attempts)
    assert.same(3, #e:requests("GET"))
  end)

  it("does not retry a 404 or a 400", function()
    local res, err = tokens:get_org_api_token(e.org_id, "497f6eca-6276-4993-bfeb-53efbbba6f08")
    assert.is_nil(res)
    assert.is_true(err:is_not_found())
    assert.same(1, err.attempts)
  end)
end)

describe("the logging hook", function()
  local e
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)

  it("sees every attempt's method, path, status, duration, attempt and token index, and no secret", function()
    local log = {}
    local c = assert(mistapi.new { base_url = e.url, token = e.token, retry_base = 0.01, getenv = no_env,
      log = function(entry) log[#log + 1] = entry end })
    local t = c:orgs_api_tokens()
    e:fault { kind = "status", status = 503, count = 1, method = "GET" }
    assert(t:list_org_api_tokens(e.org_id))
    local made = assert(t:create_org_api_token(e.org_id, { name = "logged", privileges = ADMIN }))
    local key = made.data.key
    assert(t:get_org_api_token(e.org_id, made.data.id))
    assert.is_nil(t:get_org_api_token(e.org_id, "497f6eca-6276-4993-bfeb-53efbbba6f08"))
    c:close()

    assert.same(5, #log)
    assert.same({ "GET", 503, 1 }, { log[1].method, log[1].status, log[1].attempt })
    assert.same({ "GET", 200, 2 }, { log[2].method, log[2].status, log[2].attempt })
    assert.same("POST", log[3].method)
    assert.same("/api/v1/orgs/" .. e.org_id .. "/apitokens", log[3].path)
    assert.same(404, log[5].status)
    for i, entry in ipairs(log) do
      assert.is_number(entry.duration, i)
      assert.is_true(entry.duration >= 0)
      assert.same(1, entry.token_index)
      for name, v in pairs(entry) do
        local text = tostring(v)
        assert.is_nil(text:find(e.token, 1, true), "entry " .. i .. " field " .. name .. " shows the token")
        assert.is_nil(text:find(key, 1, true), "entry " .. i .. " field " .. name .. " shows the new key")
      end
    end
  end)

  it("names a transport failure in the entry", function()
    local log = {}
    local c = assert(mistapi.new { base_url = "http://127.0.0.1:" .. ports.dead(), token = e.token,
      max_retries = 0, getenv = no_env, log = function(entry) log[#log + 1] = entry end })
    assert.is_nil(c:orgs_api_tokens():list_org_api_tokens(e.org_id))
    c:close()
    assert.same(1, #log)
    assert.same("transport", log[1].error)
    assert.is_nil(log[1].status)
  end)
end)
