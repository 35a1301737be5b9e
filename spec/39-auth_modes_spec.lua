-- Every way a client authenticates, through every kind of call, each as the
-- client's first call: single, list (every page), bulk and client:request go
-- through one send loop, so each logs in (once) or picks a token the same way.
-- And every method client:request documents reaches the server.
local mistapi = require "mistapi"
local emu = require "support.emulator"

local ADMIN = { { role = "admin", scope = "org" } }
local CODE = "654321"

local function no_env() return nil end

local function count(e, method, path)
  local n = 0
  for _, entry in ipairs(e:log()) do
    if entry.method == method and entry.path == path then n = n + 1 end
  end
  return n
end

describe("every auth mode through every kind of call", function()
  local e, ids, second_key

  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)

  before_each(function()
    e:reset()
    ids = e:seed(3)
    second_key = e:make_token { name = "second admin", privileges = ADMIN }.key
  end)

  local MODES = {
    token = function() return { token = e.token } end,
    ["several tokens"] = function() return { tokens = { e.token, second_key } } end,
    login = function() return { email = e.email, password = e.password } end,
    ["login with two factors"] = function()
      e:config { two_factor = true, two_factor_code = CODE }
      return { email = e.email, password = e.password, two_factor = CODE }
    end,
  }

  -- each returns the ids it read, in order
  local KINDS = {
    single = function(c)
      local res = assert(c:orgs_api_tokens():get_org_api_token(e.org_id, ids[1]))
      return { res.data.id }
    end,
    ["list (every page)"] = function(c)
      local res = assert(c:get_all(e:tokens_path(), { limit = 2 }))
      local seen = {}
      for _, t in ipairs(res.data) do if t.name:find("^seeded") then seen[#seen + 1] = t.id end end
      return seen
    end,
    bulk = function(c)
      local res = assert(c:orgs_api_tokens():get_org_api_tokens(e.org_id, ids, { concurrency = 4 }))
      assert.same(0, res.failed, tostring(res))
      local seen = {}
      for i, t in ipairs(res.data) do seen[i] = t.id end
      return seen
    end,
    ["client:request"] = function(c)
      local res = assert(c:request("GET", e:tokens_path(ids[2])))
      return { res.data.id }
    end,
  }
  local WANT = { single = 1, ["client:request"] = 2 }

  for mode, options in pairs(MODES) do
    for kind, call in pairs(KINDS) do
      it(mode .. ", " .. kind .. " as the first call", function()
        local opts = options()
        opts.base_url, opts.getenv = e.url, no_env
        local c = assert(mistapi.new(opts))
        e:clear_log()
        local seen = call(c)
        c:close()
        local want = WANT[kind] and { ids[WANT[kind]] } or ids
        assert.same(want, seen)
        local logins = count(e, "POST", "/api/v1/login")
        local second = count(e, "POST", "/api/v1/login/two_factor")
        if opts.email then
          assert.same(1, logins)
          assert.same(opts.two_factor and 1 or 0, second)
        else
          assert.same(0, logins)
        end
        for _, entry in ipairs(e:log()) do
          assert.is_true(entry.status < 400, entry.method .. " " .. entry.path .. ": " .. tostring(entry.status))
        end
      end)
    end
  end
end)

describe("client:request and every method it documents", function()
  local e, c

  setup(function()
    e = emu.start()
    c = assert(mistapi.new { base_url = e.url, token = e.token, getenv = no_env, max_retries = 0 })
  end)
  teardown(function()
    if c then c:close() end
    e:stop()
  end)

  for _, method in ipairs { "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS" } do
    it(method .. " reaches the server and answers a result or an HTTP error", function()
      e:clear_log()
      local ok, res, err = pcall(c.request, c, method, "/api/v1/self")
      assert.is_true(ok, tostring(res))
      if res then
        assert.is_number(res.status)
      else
        assert.same("http", err.kind, tostring(err))
      end
      local log = e:log()
      assert.same(1, #log)
      assert.same(method, log[1].method)
    end)
  end
end)

describe("a token a 429 used up", function()
  local fake_clock = require("support.fake_clock").new
  local e

  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function() e:reset() end)

  it("stays used up until its Retry-After on the client's clock, for every call of the client", function()
    local second = e:make_token { name = "second admin", privileges = ADMIN }
    local clock = fake_clock()
    local c = assert(mistapi.new { base_url = e.url, tokens = { e.token, second.key }, clock = clock,
      getenv = no_env })
    local t = c:orgs_api_tokens()
    e:fault { kind = "status", status = 429, retry_after = 30, count = 1, method = "GET" }
    local res = assert(t:list_org_api_tokens(e.org_id))
    assert.same({ 2, 2 }, { res.token_index, res.attempts })
    -- other calls (a bulk one too) take the second token while the first is used up
    assert.same(2, assert(t:list_org_api_tokens(e.org_id)).token_index)
    local ids = e:seed(2)
    e:clear_log()
    assert.same(0, assert(t:get_org_api_tokens(e.org_id, ids)).failed)
    for _, entry in ipairs(e:log()) do assert.same(second.id, entry.token_id) end
    assert.same(2, #e:log())
    clock.t = clock.t + 29
    assert.same(2, assert(c:request("GET", e:tokens_path())).token_index)
    clock.t = clock.t + 1
    assert.same(1, assert(t:list_org_api_tokens(e.org_id)).token_index)
    assert.same({}, clock.waits)
    c:close()
  end)

  it("with every token used up, waits for the one free soonest", function()
    local second = e:make_token { name = "second admin", privileges = ADMIN }
    local clock = fake_clock()
    local c = assert(mistapi.new { base_url = e.url, tokens = { e.token, second.key }, clock = clock,
      getenv = no_env })
    e:fault {
      { kind = "status", status = 429, retry_after = 20, count = 1, method = "GET" },
      { kind = "status", status = 429, retry_after = 5, count = 1, method = "GET" },
    }
    local res = assert(c:orgs_api_tokens():list_org_api_tokens(e.org_id))
    c:close()
    assert.same({ 5 }, clock.waits)
    assert.same(2, res.token_index)   -- free again after 5 s, the first after 20
    assert.same(3, res.attempts)
  end)
end)
