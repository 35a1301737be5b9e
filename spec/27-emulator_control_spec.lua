-- The emulator's control API: reset, switches, the request log, direct tokens.
local emu = require "support.emulator"

local ADMIN = { { role = "admin", scope = "org" } }

describe("emulator control API", function()
  local e
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function() e:reset() end)

  it("logs each API request once with method, path, query, token id and status", function()
    e:api("POST", e:tokens_path(), { name = "once", privileges = ADMIN })
    e:api("GET", e:tokens_path() .. "?limit=5")
    e:api("GET", e:tokens_path(), nil, false)
    local log = e:log()
    assert.equal(3, #log)
    local boot_id = e:info().bootstrap_token_id
    local first = {}
    for k, v in pairs(log[1]) do first[k] = v end
    first.time = nil
    assert.same({ method = "POST", path = e:tokens_path(), token_id = boot_id, status = 200 }, first)
    assert.equal("limit=5", log[2].query)
    assert.is_nil(log[3].token_id)
    assert.equal(401, log[3].status)
  end)

  it("logs when each request arrived, in epoch seconds, oldest first", function()
    local before = os.time()
    for _ = 1, 3 do e:api("GET", e:tokens_path()) end
    local log = e:log()
    assert.equal(3, #log)
    for i, entry in ipairs(log) do
      assert.is_number(entry.time)
      -- the same clock as the rate windows: epoch seconds, not a counter since start
      assert.is_true(math.abs(entry.time - before) < 3600)
      if i > 1 then assert.is_true(entry.time >= log[i - 1].time) end
    end
  end)

  it("keeps control calls out of the log, and clears it", function()
    e:config()
    e:api("GET", e:tokens_path())
    assert.equal(1, #e:log())
    e:clear_log()
    assert.same({}, e:log())
  end)

  it("resets tokens, sessions, switches, faults and counters but keeps the bootstrap token", function()
    local _, made = e:api("POST", e:tokens_path(), { name = "gone", privileges = ADMIN })
    e:config{ paging = "next", rate_limit = 1 }
    e:fault{ kind = "status", status = 500, count = 100 }
    e:reset()
    assert.equal(401, (e:api("GET", e:tokens_path(), nil, made.key)))
    local status, items = e:api("GET", e:tokens_path())
    assert.equal(200, status)
    assert.equal(1, #items)
    assert.equal(200, (e:api("GET", e:tokens_path())))
    assert.equal("headers", e:config().paging)
  end)

  it("reports and validates switches", function()
    local c = e:config()
    assert.same({
      rate_limit = 5000, rate_window = 3600, retry_after = "seconds", bad_id_status = 404,
      paging = "headers", token_list = "whole", put_src_ips = "reject", put_response = "token", latency_ms = 0,
      two_factor = false, two_factor_code = "123456", self_create_answer = "array",
      privileges_order = "given",
    }, c)
    assert.has_error(function() e:config{ nope = 1 } end)
    assert.has_error(function() e:config{ paging = "cursor" } end)
    assert.has_error(function() e:config{ rate_limit = 0 } end)
    assert.equal("headers", e:config().paging)
  end)

  it("makes tokens directly, with a whole key, in any org", function()
    local t = e:make_token{ name = "ro", privileges = { { role = "read", scope = "org" } } }
    assert.is_true(#t.key >= 48)
    assert.equal(e.org_id, t.org_id)
    assert.has_error(function() e:make_token{ privileges = { { role = "boss", scope = "org" } } } end)
    assert.has_error(function() e:make_token{ org_id = "nope" } end)
  end)

  it("tells the org id and bootstrap token id, never the token", function()
    local _, _, text = e:request("GET", "/_emulator/info", {}, nil)
    assert.matches(e.org_id, text, 1, true)
    assert.is_nil(text:find(e.token, 1, true))
  end)

  it("answers 404 to an unknown control endpoint", function()
    assert.has_error(function() e:control("GET", "nothing") end)
  end)

  it("seeds tokens in another org and with given privileges", function()
    local org = "6e0a3e6c-7a3a-4d3b-9d7e-2f1f0c9b1a11"
    local ids = e:seed(3, { org_id = org, privileges = { { role = "read", scope = "org" } }, name_prefix = "r" })
    assert.equal(3, #ids)
    local _, items = e:api("GET", e:tokens_path())
    assert.equal(1, #items)
    assert.has_error(function() e:seed(0) end)
  end)
end)
