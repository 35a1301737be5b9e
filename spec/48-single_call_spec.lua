-- A single call's first attempt over the curl transport goes without the
-- rounds' tables (the pipeline's `first_attempt`), by two ways in: a
-- resource operation whose ids were checked before makes its URL in one
-- piece (`Pipeline:call_url`), any other call hands a request table
-- (`Pipeline:call`). Either way its result, its error and what it sent must
-- be what the rounds give: each test below goes both ways.
local mistapi = require "mistapi"
local fake_clock = require("support.fake_clock").new
local fresh_client = require "support.fresh_client"
local static = require "support.static_nginx"

local ADMIN = { { role = "admin", scope = "org" } }

local function no_env() return nil end

describe("a single call's first attempt", function()
  local fresh = fresh_client.new { max_retries = 0 }
  local e, client, tokens

  setup(function() e = fresh:start() end)
  teardown(function() fresh:stop() end)
  before_each(function()
    client = fresh:renew()
    tokens = client:orgs_api_tokens()
  end)

  -- a token of the org whose id no call has checked yet, and the org's id
  -- checked (so the next call with both takes the one-piece path)
  local function new_token(name)
    assert(tokens:list_org_api_tokens(e.org_id))
    local made = assert(tokens:create_org_api_token(e.org_id, { name = name, privileges = ADMIN }))
    return made.data
  end

  it("counts one attempt and token 1 on a result, by a request table and by a one-piece URL", function()
    local id = new_token("counted").id
    for _, way in ipairs { "request table", "one-piece URL" } do
      local res, err = tokens:get_org_api_token(e.org_id, id)
      assert.is_nil(err, way)
      assert.same({ 200, 1, 1, id }, { res.status, res.attempts, res.token_index, res.data.id }, way)
      assert.equals("application/json", res.headers["content-type"], way)
    end
  end)

  it("names the same method, path and URL in a 404 either way", function()
    -- an id no call has checked yet
    local missing = ("%04x%04x-6276-4993-bfeb-53efbbba6f08"):format(math.random(0, 0xffff), math.random(0, 0xffff))
    local path = e:tokens_path(missing)
    local seen = {}
    for i = 1, 2 do
      local res, err = tokens:get_org_api_token(e.org_id, missing)
      assert.is_nil(res)
      assert.is_true(err:is_not_found())
      assert.same({ "GET", path, e.url .. path, 1, 1 },
        { err.method, err.path, err.url, err.attempts, err.token_index })
      seen[i] = tostring(err)
    end
    assert.equals(seen[1], seen[2])
    assert.truthy(seen[2]:find(path, 1, true), seen[2])
  end)

  it("goes straight to the token left once a 429 used up the first, and says which answered", function()
    local second = new_token("second admin")
    local unseen = new_token("not asked for yet").id
    local clock = fake_clock()
    local c = fresh:client { tokens = { e.token, second.key }, clock = clock }
    local t = c:orgs_api_tokens()
    e:fault { kind = "status", status = 429, retry_after = 30, count = 1, method = "GET" }
    local res = assert(t:get_org_api_token(e.org_id, second.id))
    assert.same({ 2, 2 }, { res.token_index, res.attempts })
    -- the first token is spent for 30 s: the next calls, by either way, send with the second at once
    for _, call in ipairs {
      function() return t:get_org_api_token(e.org_id, second.id) end,   -- one-piece URL
      function() return t:get_org_api_token(e.org_id, unseen) end,      -- request table (an id not checked yet)
      function() return t:list_org_api_tokens(e.org_id) end,            -- request table (list options)
    } do
      e:clear_log()
      local r, err = call()
      assert.is_nil(err)
      assert.same({ 200, 1, 2 }, { r.status, r.attempts, r.token_index })
      local gets = e:requests("GET")
      assert.equals(1, #gets)
      assert.equals(second.id, gets[1].token_id)
    end
    c:close()
    assert.same({}, clock.waits)
  end)

  it("keeps a create's key to hide, made by a one-piece URL", function()
    local key = new_token("echoed").key
    e:fault { kind = "status", status = 400, body = '{"detail":"key ' .. key .. ' is not allowed"}' }
    local res, err = tokens:list_org_api_tokens(e.org_id)
    assert.is_nil(res)
    assert.equals(400, err.status)
    -- (booleans only: busted would print the key)
    assert.is_false(tostring(err):find(key, 1, true) ~= nil)
    assert.is_false((err.detail or ""):find(key, 1, true) ~= nil)
    assert.is_true(tostring(err):find("[redacted]", 1, true) ~= nil)
  end)

  it("refuses a token past a small max_decoded, as the rounds do", function()
    local id = new_token("too big").id
    local small = fresh:client { max_decoded = 64 }
    local t = small:orgs_api_tokens()
    for _, way in ipairs { "request table", "one-piece URL" } do
      local res, err = t:get_org_api_token(e.org_id, id)
      assert.is_nil(res, way)
      assert.equals("decode", err.kind, way)
      assert.truthy(err.message:find("max_decoded (64 bytes)", 1, true), err.message)
    end
    small:close()
  end)

  it("leaves a result to the collector, its headers there until then", function()
    local id = new_token("collected").id
    assert(tokens:get_org_api_token(e.org_id, id))
    local res = assert(tokens:get_org_api_token(e.org_id, id))
    collectgarbage("collect")
    collectgarbage("collect")
    assert.equals("application/json", res.headers["content-type"])
    local probe = setmetatable({ assert(tokens:get_org_api_token(e.org_id, id)) }, { __mode = "v" })
    collectgarbage("collect")
    collectgarbage("collect")
    assert.is_nil(probe[1])
  end)
end)

describe("a single call's first attempt with a body", function()
  local srv, client

  setup(function()
    srv = static.start()
    client = assert(mistapi.new { base_url = srv.url, token = "t0ken-for-the-static-server", max_retries = 0,
      getenv = no_env })
  end)
  teardown(function()
    if client then client:close() end
    if srv then srv:stop() end
  end)

  it("sends Content-Type: application/json with a body after a call without one, and none without", function()
    for _, step in ipairs {
      { "GET", nil, "none" }, { "POST", { a = 1 }, "application/json" }, { "GET", nil, "none" },
      { "PUT", { b = 2 }, "application/json" }, { "DELETE", nil, "none" }, { "PUT", { c = 3 }, "application/json" },
    } do
      local method, body, want = step[1], step[2], step[3]
      local res, err = client:request(method, "/echo", { body = body, idempotent = true })
      assert.is_nil(err, method)
      assert.equals(method, res.headers["x-echo-method"])
      assert.equals(want, res.headers["x-echo-content-type"], method)
    end
  end)

  it("is refused unsent by the transport when its URL holds a control byte or leaves the base URL", function()
    local t = client.transport
    local headers = { Accept = "application/json" }
    for _, url in ipairs {
      srv.url .. "/echo x", srv.url .. "/echo\r\nX-Injected: 1", srv.url .. "/api/v1/self/\127",
      srv.url .. "@evil.example/echo", "http://evil.example/echo",
    } do
      local status, info = t:send("GET", url, headers)
      assert.is_nil(status)
      assert.same({ "transport", false, true }, { info.kind, info.reached, info.permanent })
      assert.truthy(info.message:find("^request not sent: "), info.message)
      local resp, rinfo = t:request { method = "GET", url = url, headers = headers }
      assert.is_nil(resp)
      assert.same(info, rinfo)
    end
  end)
end)
