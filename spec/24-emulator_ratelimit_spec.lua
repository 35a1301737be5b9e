-- The emulator's per-token rate limit and its Retry-After switch.
local emu = require "support.emulator"
local cjson = require "cjson"

-- The spec's 429 example, from the project's copy of the spec.
local function spec_429_text()
  local f = assert(io.open("api/mist-apitokens.openapi.json", "rb"))
  local doc = cjson.decode(f:read("*a"))
  f:close()
  return doc.components.examples.HTTP429Example.value.detail
end

describe("emulator rate limit", function()
  local e
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function()
    e:reset()
    e:config{ rate_limit = 3 }
  end)

  local function spend(n, token)
    for _ = 1, n do
      assert.equal(200, (e:api("GET", e:tokens_path(), nil, token)))
    end
  end

  it("answers 429 with the spec's example text and Retry-After in seconds past the budget", function()
    spend(3)
    local status, body, h = e:api("GET", e:tokens_path())
    assert.equal(429, status)
    -- word for word, whatever budget a test set: the text names Mist's
    assert.equal(spec_429_text(), body.detail)
    assert.matches("5000 API Calls per hour", body.detail)
    local secs = tonumber(h["retry-after"])
    assert.is_true(secs >= 1 and secs <= 3600)
  end)

  it("keeps to the default of 5000 an hour", function()
    e:reset()
    assert.equal(5000, e:config().rate_limit)
    assert.equal(3600, e:config().rate_window)
    local _, _, h = e:api("GET", e:tokens_path())
    assert.is_nil(h["retry-after"])
  end)

  it("counts in windows of rate_window seconds: Retry-After never exceeds one", function()
    e:config{ rate_window = 60 }
    spend(3)
    local status, _, h = e:api("GET", e:tokens_path())
    assert.equal(429, status)
    local secs = tonumber(h["retry-after"])
    assert.is_true(secs >= 1 and secs <= 60, tostring(secs))
  end)

  it("counts per token", function()
    local other = e:make_token{ name = "other" }
    spend(3)
    assert.equal(429, (e:api("GET", e:tokens_path())))
    spend(3, other.key)
    assert.equal(429, (e:api("GET", e:tokens_path(), nil, other.key)))
  end)

  it("sends Retry-After as an HTTP-date with retry_after = http-date", function()
    e:config{ retry_after = "http-date" }
    spend(3)
    local _, _, h = e:api("GET", e:tokens_path())
    assert.matches("^%a%a%a, %d%d %a%a%a %d%d%d%d %d%d:%d%d:%d%d GMT$", h["retry-after"])
  end)

  it("sends no Retry-After with retry_after = none", function()
    e:config{ retry_after = "none" }
    spend(3)
    local status, _, h = e:api("GET", e:tokens_path())
    assert.equal(429, status)
    assert.is_nil(h["retry-after"])
  end)

  it("starts afresh after a reset", function()
    spend(3)
    e:reset()
    e:config{ rate_limit = 3 }
    spend(3)
  end)
end)
