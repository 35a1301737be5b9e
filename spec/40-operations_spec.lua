-- The five operations of the public contract, end to end against the emulator:
-- success, server errors, and validation that sends nothing.
local fresh_client = require "support.fresh_client"

local fresh = fresh_client.new { max_retries = 0 }
local e, tokens

local function requests_seen()
  return #e:log()
end

local function create(body)
  return tokens:create_org_api_token(e.org_id, body or {
    name = "org_token_xyz",
    privileges = { { role = "admin", scope = "org" } },
    src_ips = { "63.3.56.0/24", "63.3.55.4", "127.0.0.1" },
  })
end

setup(function() e = fresh:start() end)
teardown(function() fresh:stop() end)
before_each(function() tokens = fresh:renew():orgs_api_tokens() end)

describe("create_org_api_token", function()
  it("returns the new token with its whole key, integer epochs and no nulls", function()
    local res, err = create()
    assert.is_nil(err)
    assert.same(200, res.status)
    assert.same(1, res.attempts)
    local t = res.data
    assert.same("org_token_xyz", t.name)
    assert.same(e.org_id, t.org_id)
    assert.matches("^%x+%-%x+%-%x+%-%x+%-%x+$", t.id)
    assert.is_true(#t.key >= 48)
    assert.not_matches("%.%.%.", t.key)
    if math.type then assert.same("integer", math.type(t.created_time)) end
    assert.is_nil(t.last_used)
    assert.same("admin", t.privileges[1].role)
    assert.same("org", t.privileges[1].scope)
    assert.same("string", type(res.headers["content-type"]))
  end)

  it("sends the body the spec describes, once", function()
    assert(create())
    local log = e:log()
    assert.same(1, #log)
    assert.same("POST", log[1].method)
  end)
end)

describe("get_org_api_token", function()
  it("returns the token with its key masked", function()
    local made = assert(create()).data
    local res = assert(tokens:get_org_api_token(e.org_id, made.id))
    assert.same(made.id, res.data.id)
    assert.same(made.key:sub(1, 4) .. "..." .. made.key:sub(-4), res.data.key)
    if math.type then assert.same("integer", math.type(res.data.created_time)) end
  end)

  it("answers an unknown id with a not-found error", function()
    local res, err = tokens:get_org_api_token(e.org_id, "00000000-0000-4000-8000-000000000000")
    assert.is_nil(res)
    assert.same("http", err.kind)
    assert.same(404, err.status)
    assert.is_true(err:is_not_found())
    assert.same("GET", err.method)
    assert.matches("^mistapi: 404 GET /api/v1/orgs/" .. e.org_id:gsub("%-", "%%-") .. "/apitokens/", tostring(err))
    assert.same("string", type(err.body))
  end)
end)

describe("list_org_api_tokens", function()
  it("returns an array of tokens with keys masked", function()
    local a = assert(create()).data
    local b = assert(create { name = "second", privileges = { { role = "read", scope = "org" } } }).data
    local res = assert(tokens:list_org_api_tokens(e.org_id))
    local by_id = {}
    for _, t in ipairs(res.data) do by_id[t.id] = t end
    assert.is_table(by_id[a.id])
    assert.is_table(by_id[b.id])
    assert.same("second", by_id[b.id].name)
    assert.matches("^....%.%.%.....$", by_id[a.id].key)
  end)

  it("passes limit and page to the server", function()
    e:seed(5)
    local res = assert(tokens:list_org_api_tokens(e.org_id, { limit = 2, page = 2 }))
    assert.same(2, #res.data)
    assert.same("2", res.headers["x-page-page"])
    assert.same("2", res.headers["x-page-limit"])
  end)
end)

describe("update_org_api_token", function()
  it("takes back a table the client returned, changed", function()
    local made = assert(create()).data
    local got = assert(tokens:get_org_api_token(e.org_id, made.id)).data
    got.name = "renamed"
    got.privileges = { { role = "read", scope = "org" } }
    local res, err = tokens:update_org_api_token(e.org_id, made.id, got)
    assert.is_nil(err)
    assert.same(200, res.status)
    local after = assert(tokens:get_org_api_token(e.org_id, made.id)).data
    assert.same("renamed", after.name)
    assert.same("read", after.privileges[1].role)
  end)

  it("refuses a field the caller wrote that this release doesn't know, naming it", function()
    local made = assert(create()).data
    local before = requests_seen()
    local res, err = tokens:update_org_api_token(e.org_id, made.id,
      { name = "x", privilege = { { role = "admin", scope = "org" } } })
    assert.is_nil(res)
    assert.same("validation", err.kind)
    assert.matches('"privilege"', err.message)
    assert.same(before, requests_seen())
  end)

  it("returns the server's 400 when src_ips change after creation", function()
    local made = assert(create()).data
    local res, err = tokens:update_org_api_token(e.org_id, made.id, { name = "x", src_ips = { "10.1.1.1" } })
    assert.is_nil(res)
    assert.same(400, err.status)
    assert.same("string", type(err.detail))
  end)
end)

describe("delete_org_api_token", function()
  it("deletes, and the deleted token stops working at once", function()
    local made = assert(create { name = "short-lived", privileges = { { role = "admin", scope = "org" } } }).data
    local as_new = fresh:client { token = made.key }
    assert(as_new:orgs_api_tokens():list_org_api_tokens(e.org_id))
    local res = assert(tokens:delete_org_api_token(e.org_id, made.id))
    assert.same(200, res.status)
    assert.is_nil(res.data)
    local _, err = tokens:get_org_api_token(e.org_id, made.id)
    assert.same(404, err.status)
    local _, err2 = as_new:orgs_api_tokens():list_org_api_tokens(e.org_id)
    assert.same(401, err2.status)
    assert.is_true(err2:is_unauthorized())
    assert.not_matches(made.key, tostring(err2), 1, true)
    as_new:close()
  end)
end)

describe("server errors", function()
  it("maps 401 for an unknown token, without showing the token", function()
    local bad = fresh:client { token = "not-a-real-token-0123456789" }
    local _, err = bad:orgs_api_tokens():list_org_api_tokens(e.org_id)
    assert.same(401, err.status)
    assert.same("Authentication credentials were not provided.", err.detail)
    assert.is_nil(tostring(err):find("not-a-real-token-0123456789", 1, true))
    bad:close()
  end)

  it("maps 403 for a token without admin on the org", function()
    local reader = assert(create { name = "reader", privileges = { { role = "read", scope = "org" } } }).data
    local c = fresh:client { token = reader.key }
    local _, err = c:orgs_api_tokens():create_org_api_token(e.org_id, { name = "nope",
      privileges = { { role = "admin", scope = "org" } } })
    assert.same(403, err.status)
    assert.is_true(err:is_forbidden())
    c:close()
  end)
end)

describe("validation before a byte is sent", function()
  local cases = {
    { "a malformed org id", function()
        return tokens:get_org_api_token("not-a-uuid", "00000000-0000-4000-8000-000000000000")
      end, "org_id" },
    { "a malformed token id", function() return tokens:delete_org_api_token(e.org_id, "1234") end, "apitoken_id" },
    { "an unknown role", function()
        return create { name = "x",
          privileges = { { role = "admin", scope = "org" }, { role = "admn", scope = "org" } } }
      end, 'privileges%[2%]%.role: "admn" is not one of admin, helpdesk, installer, read, write' },
    { "a missing name", function() return create { privileges = { { role = "admin", scope = "org" } } } end, "name" },
    { "an 11th privilege", function()
        local p = {}
        for i = 1, 11 do
          p[i] = { role = "read", scope = "site", site_id = ("00000000-0000-4000-8000-%012d"):format(i) }
        end
        return create { name = "x", privileges = p }
      end, "privileges" },
    { "a bad CIDR", function()
        return create { name = "x", privileges = { { role = "admin", scope = "org" } }, src_ips = { "10.0.0.0/33" } }
      end, "src_ips%[1%]" },
    { "a limit past 1000", function() return tokens:list_org_api_tokens(e.org_id, { limit = 1001 }) end, "limit" },
  }
  for _, case in ipairs(cases) do
    it("refuses " .. case[1], function()
      local before = requests_seen()
      local res, err = case[2]()
      assert.is_nil(res)
      assert.same("validation", err.kind)
      assert.matches(case[3], err.message)
      assert.same(before, requests_seen())
    end)
  end

  it("raises on wrong argument types", function()
    assert.has_error(function() tokens:get_org_api_token(42, "x") end)
    assert.has_error(function() tokens:create_org_api_token(e.org_id, "name") end)
    assert.has_error(function() tokens.get_org_api_token(e.org_id, e.org_id) end)
  end)
end)

describe("a create whose answer can't be decoded", function()
  it("keeps the raw body so the one-time key is not lost", function()
    -- The same create made directly tells the answer's length; cut its last byte.
    local _, _, _, raw = e:api("POST", e:tokens_path(), {
      name = "org_token_xyz", privileges = { { role = "admin", scope = "org" } },
      src_ips = { "63.3.56.0/24", "63.3.55.4", "127.0.0.1" } })
    local before = #assert(tokens:list_org_api_tokens(e.org_id)).data
    e:fault { kind = "truncate", count = 1, method = "POST", bytes = #raw - 1 }
    local res, err = create()
    assert.is_nil(res)
    assert.same("decode", err.kind)
    assert.same(200, err.status)
    assert.matches('"key"', err.body)
    assert.same(#raw - 1, #err.body)
    assert.is_nil(tostring(err):find(err.body, 1, true))
    local tokens_now = assert(tokens:list_org_api_tokens(e.org_id)).data
    assert.same(before + 1, #tokens_now)  -- made once, not retried
  end)
end)
