-- What a bulk call waits between its rounds, read off the client's clock
-- option (nothing really sleeps): the back-off of a retry, the longest
-- Retry-After of a round, and no round past the deadline.
local mistapi = require "mistapi"
local fake_clock = require("support.fake_clock").new
local fresh_client = require "support.fresh_client"

local function no_env() return nil end

describe("bulk calls wait through the client's clock", function()
  local fresh = fresh_client.new()
  local e

  setup(function() e = fresh:start() end)
  teardown(function() fresh:stop() end)
  before_each(function() e:reset() end)

  local function client_with(clock, extra)
    local c = fresh:client({ clock = clock }, extra)
    return c, c:orgs_api_tokens()
  end

  it("waits a back-off within retry_base * 2^n before each retry round", function()
    local clock = fake_clock()
    local c, tokens = client_with(clock, { retry_base = 4, retry_cap = 60 })
    local ids = e:seed(5)
    -- the first item fails twice, so there are two rounds of retries
    e:fault { kind = "status", status = 503, count = 2, method = "GET", path = e:tokens_path(ids[1]) }
    local res = assert(tokens:get_org_api_tokens(e.org_id, ids, { concurrency = 5 }))
    c:close()
    assert.same(0, res.failed)
    assert.same(7, res.attempts)
    assert.same(2, #clock.waits)
    assert.is_true(clock.waits[1] >= 0 and clock.waits[1] <= 4, "first wait " .. clock.waits[1])
    assert.is_true(clock.waits[2] >= 0 and clock.waits[2] <= 8, "second wait " .. clock.waits[2])
  end)

  it("waits the longest Retry-After of a round, once", function()
    local clock = fake_clock()
    local c, tokens = client_with(clock)
    local ids = e:seed(6)
    e:fault {
      { kind = "status", status = 429, retry_after = 3, count = 1, method = "GET" },
      { kind = "status", status = 429, retry_after = 7, count = 1, method = "GET" },
    }
    local res = assert(tokens:get_org_api_tokens(e.org_id, ids, { concurrency = 6 }))
    c:close()
    assert.same(0, res.failed)
    assert.same(8, res.attempts)
    assert.same({ 7 }, clock.waits)
  end)

  it("starts no round that would end past the deadline", function()
    local clock = fake_clock()
    local c, tokens = client_with(clock, { deadline = 5, max_retries = 10 })
    local ids = e:seed(3)
    e:fault { kind = "status", status = 503, retry_after = 3, count = 100, method = "GET" }
    local res = assert(tokens:get_org_api_tokens(e.org_id, ids, { concurrency = 3 }))
    c:close()
    assert.same(3, res.failed)
    -- rounds at 0 s and 3 s; a third after another 3 s would end past 5 s
    assert.same({ 3 }, clock.waits)
    for i = 1, 3 do assert.same(2, res.errors[i].attempts) end
  end)

  it("takes the clock as an option of mistapi.new, checked like the others", function()
    assert.has_error(function()
      mistapi.new { base_url = e.url, token = e.token, clock = { now = 5 }, getenv = no_env }
    end, "mistapi.new: clock.now must be a function, got number")
    assert.has_error(function()
      mistapi.new { base_url = e.url, token = e.token, clock = function() end, getenv = no_env }
    end, "mistapi.new: option clock must be a table, got function")
    -- either half alone is fine: the other stays the transport's
    local clock = fake_clock()
    local c = assert(mistapi.new { base_url = e.url, token = e.token, clock = { sleep = clock.sleep },
      retry_base = 2, getenv = no_env })
    e:fault { kind = "status", status = 503, count = 1, method = "GET" }
    assert(c:orgs_api_tokens():list_org_api_tokens(e.org_id))
    c:close()
    assert.same(1, #clock.waits)
  end)
end)
