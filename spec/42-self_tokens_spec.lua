-- client:self_api_tokens(): a user's own API tokens (listApiTokens, createApiToken,
-- getApiToken, updateApiToken, deleteApiToken; model user_apitoken), end to end
-- against the emulator, built from the same rows and machinery as the org tokens.
local mistapi = require "mistapi"
local raising = require "mistapi.raising"
local fresh_client = require "support.fresh_client"

local UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"

local fresh = fresh_client.new { max_retries = 0 }
local e, user_key, client, mine

local function no_env() return nil end

local function requests_seen()
  return #e:log()
end

local function masked(key)
  return key:sub(1, 4) .. "..." .. key:sub(-4)
end

setup(function() e = fresh:start() end)
teardown(function() fresh:stop() end)
before_each(function()
  client = fresh:renew(function()
    -- a token of the built-in user's own: it may manage the user's tokens
    user_key = assert(e:make_self_token { name = "bootstrap" }.key)
    return { token = user_key }
  end)
  mine = client:self_api_tokens()
end)

describe("client:self_api_tokens()", function()
  it("is one resource a client, named as the Go SDK's SelfAPITokens", function()
    assert.equal(mine, client:self_api_tokens())
    assert.matches("^mistapi%.SelfAPITokens %(http://127%.0%.0%.1:%d+%)$", tostring(mine))
    for _, name in ipairs { "create_api_token", "get_api_token", "list_api_tokens", "update_api_token",
                            "delete_api_token", "each_api_token", "list_all_api_tokens", "get_api_tokens",
                            "delete_api_tokens", "walk" } do
      assert.is_function(mine[name], name)
    end
  end)
end)

describe("create_api_token", function()
  it("returns the new token itself, its whole key and integer epochs, from the spec's list of one", function()
    local res, err = mine:create_api_token { name = "mine" }
    assert.is_nil(err)
    assert.equal(200, res.status)
    local t = res.data
    assert.equal("mistapi.UserToken", getmetatable(t).__name)
    assert.equal("mine", t.name)
    assert.matches("^%x+%-%x+%-%x+%-%x+%-%x+$", t.id)
    assert.is_true(#t.key >= 48)
    assert.not_matches("%.%.%.", t.key)
    if math.type then assert.equal("integer", math.type(t.created_time)) end
    assert.is_nil(t.last_used)
    assert.is_nil(t.privileges)
  end)

  it("takes the token as the emulator's switch answers it alone, too", function()
    e:config { self_create_answer = "object" }
    local t = assert(mine:create_api_token { name = "alone" }).data
    assert.equal("alone", t.name)
    assert.is_true(#t.key >= 48)
  end)

  it("sends only the name, once, and needs no name at all", function()
    assert(mine:create_api_token { name = "n", id = UNKNOWN_ID, key = "dropped", created_time = 1 })
    local log = e:log()
    assert.equal(1, #log)
    assert.equal("POST", log[1].method)
    assert.equal("/api/v1/self/apitokens", log[1].path)
    local t = assert(mine:create_api_token {}).data
    assert.is_string(t.id)
  end)

  it("refuses an empty list for an answer; hands over a longer one whole, every key hidden after", function()
    local JSON = { ["Content-Type"] = "application/json" }
    e:fault { kind = "raw", status = 200, method = "POST", body = "[]", headers = JSON }
    local res, err = mine:create_api_token { name = "n" }
    assert.is_nil(res)
    assert.equal("decode", err.kind)
    assert.equal("expected a token, got an empty array", err.message)
    local k1, k2 = ("A"):rep(30) .. "first0000key", ("B"):rep(30) .. "second000key"
    e:fault { kind = "raw", status = 200, method = "POST", headers = JSON,
              body = '[{"id":"' .. UNKNOWN_ID .. '","name":"a","key":"' .. k1 .. '"},'
                .. '{"name":"b","key":"' .. k2 .. '"}]' }
    res = assert(mine:create_api_token { name = "n" })
    assert.equal(2, #res.data)
    assert.equal(k2, res.data[2].key)
    e:fault { kind = "status", status = 400, count = 1, body = '{"detail":"' .. k1 .. " " .. k2 .. '"}' }
    local _, later = mine:list_api_tokens()
    assert.is_nil(later.detail:find(k1, 1, true))
    assert.is_nil(later.detail:find(k2, 1, true))
  end)

  it("hides the new key from later errors, as it hides the client's token", function()
    local key = assert(mine:create_api_token { name = "n" }).data.key
    e:fault { kind = "status", status = 400, count = 1, body = '{"detail":"echo ' .. key .. '"}' }
    local _, err = mine:list_api_tokens()
    assert.equal(400, err.status)
    assert.is_nil(err.detail:find(key, 1, true))
    assert.is_nil(err.body:find(key, 1, true))
  end)
end)

describe("get_api_token, list_api_tokens, update_api_token, delete_api_token", function()
  it("read, rename and delete a token, its key masked after create", function()
    local made = assert(mine:create_api_token { name = "first" }).data
    local got = assert(mine:get_api_token(made.id)).data
    assert.equal(made.id, got.id)
    assert.equal(masked(made.key), got.key)
    assert.equal("mistapi.UserToken", getmetatable(got).__name)

    local list = assert(mine:list_api_tokens()).data
    local names = {}
    for _, t in ipairs(list) do names[t.name] = t end
    assert.is_table(names.first)
    assert.is_table(names.bootstrap)
    assert.matches("^....%.%.%.....$", names.first.key)

    got.name = "renamed"   -- a table the client returned, changed and passed back
    local upd, err = mine:update_api_token(made.id, got)
    assert.is_nil(err)
    assert.equal(200, upd.status)
    assert.equal("renamed", assert(mine:get_api_token(made.id)).data.name)

    local del = assert(mine:delete_api_token(made.id))
    assert.equal(200, del.status)
    assert.is_nil(del.data)
    local _, gone = mine:get_api_token(made.id)
    assert.equal(404, gone.status)
    assert.is_true(gone:is_not_found())
  end)

  it("passes limit and page to the server", function()
    e:seed_self(5)
    local res = assert(mine:list_api_tokens { limit = 2, page = 2 })
    assert.equal(2, #res.data)
    assert.equal("2", res.headers["x-page-page"])
  end)
end)

describe("the helpers of the same machinery", function()
  it("walk every page: each_api_token and list_all_api_tokens", function()
    e:seed_self(7, "seeded")
    local seen, pages = 0, 0
    for t in mine:each_api_token { limit = 3 } do
      assert.equal("mistapi.UserToken", getmetatable(t).__name)
      seen = seen + 1
    end
    assert.equal(8, seen)   -- the seeded seven and the bootstrap token
    local all = assert(mine:list_all_api_tokens { limit = 2, progress = function() pages = pages + 1 end })
    assert.equal(8, #all.data)
    assert.equal(4, pages)
  end)

  it("get and delete many at once, each item's outcome in its place", function()
    local a = assert(mine:create_api_token { name = "a" }).data
    local b = assert(mine:create_api_token { name = "b" }).data
    local got = assert(mine:get_api_tokens({ a.id, UNKNOWN_ID, b.id }, { concurrency = 2 }))
    assert.equal(1, got.failed)
    assert.equal("a", got.data[1].name)
    assert.is_false(got.data[2])
    assert.equal(404, got.errors[2].status)
    assert.equal("b", got.data[3].name)
    local del = assert(mine:delete_api_tokens { a.id, b.id })
    assert.equal(0, del.failed)
    assert.same({ true, true }, del.data)
    assert.equal(1, #assert(mine:list_all_api_tokens()).data)
  end)

  it("raise through mistapi.raising as the org resource does", function()
    local loud = raising.wrap(client):self_api_tokens()
    assert.equal("mistapi.SelfAPITokens", getmetatable(raising.unwrap(loud)).__name)
    local ok, err = pcall(function() return loud:get_api_token(UNKNOWN_ID) end)
    assert.is_false(ok)
    assert.equal(404, err.status)
    assert.equal("bootstrap", loud:list_api_tokens().data[1].name)
  end)
end)

describe("validation before a byte is sent", function()
  local cases = {
    { "a malformed token id", function() return mine:get_api_token("1234") end, 'apitoken_id: "1234" is not a UUID' },
    { "a malformed id among many", function() return mine:delete_api_tokens { UNKNOWN_ID, "x" } end, "ids%[2%]" },
    { "the org token's privileges", function()
        return mine:create_api_token { name = "x", privileges = { { role = "admin", scope = "org" } } }
      end, 'unknown field "privileges" %(known: name%)' },
    { "an empty name", function() return mine:update_api_token(UNKNOWN_ID, { name = "" }) end,
      "name: must not be empty" },
    { "a limit past 1000", function() return mine:list_api_tokens { limit = 1001 } end, "limit" },
  }
  for _, case in ipairs(cases) do
    it("refuses " .. case[1], function()
      local before = requests_seen()
      local res, err = case[2]()
      assert.is_nil(res)
      assert.equal("validation", err.kind)
      assert.matches(case[3], err.message)
      assert.equal(before, requests_seen())
    end)
  end

  it("raises on wrong argument types", function()
    assert.has_error(function() mine:get_api_token(42) end)
    assert.has_error(function() mine:create_api_token("name") end)
    assert.has_error(function() mine.list_api_tokens() end)
    assert.has_error(function() mine:get_api_tokens("id") end)
    assert.has_error(function() mine:each_api_token { limit = "2" } end)
  end)
end)

describe("who may use them", function()
  it("answers an org token with the server's 403", function()
    local org_client = fresh:client { token = e.token }
    local res, err = org_client:self_api_tokens():list_api_tokens()
    org_client:close()
    assert.is_nil(res)
    assert.equal(403, err.status)
    assert.is_true(err:is_forbidden())
  end)

  it("works over a login session (email and password)", function()
    local s = assert(mistapi.new { base_url = e.url, email = e.email, password = e.password,
                                   max_retries = 0, getenv = no_env })
    assert.is_table(s.pipeline.auth)   -- a session, not a token
    local made = assert(s:self_api_tokens():create_api_token { name = "from a session" }).data
    assert.is_true(#made.key >= 48)
    assert.equal("from a session", assert(mine:get_api_token(made.id)).data.name)
    s:close()
  end)
end)

describe("display", function()
  it("prints a user token and a list of them readably, keys masked", function()
    local made = assert(mine:create_api_token { name = "shown" })
    local line = tostring(made)
    assert.matches("^mistapi%.Result 200: shown  " .. made.data.id:gsub("%-", "%%-") .. "  created ", line)
    assert.is_nil(line:find(made.data.key, 1, true))
    assert.truthy(line:find("key " .. masked(made.data.key), 1, true))
    local list = tostring(assert(mine:list_api_tokens()))
    local header = list:match("\n([^\n]+)")
    assert.matches("^NAME%s+ID%s+CREATED%s+LAST USED%s+KEY$", header)
    assert.is_nil(list:find("PRIVILEGES", 1, true))
  end)
end)

describe("help() and the REPL's completion", function()
  it("help() lists the self methods and helpers, and the calls for any endpoint", function()
    local text = mistapi.help_text()
    for _, line in ipairs {
      "mine = client:self_api_tokens()   -- SelfAPITokens in the Go SDK",
      "POST   mine:create_api_token({ name = ... })",
      "GET    mine:get_api_token(apitoken_id)",
      "GET    mine:list_api_tokens([{ limit = 100, page = 1 }])",
      "PUT    mine:update_api_token(apitoken_id, { name = ... })",
      "DELETE mine:delete_api_token(apitoken_id)",
      "for token in mine:each_api_token() do ... end",
      "mine:get_api_tokens(ids [, { concurrency = 8 }])",
      "client:request(method, path",
      "client:get_all(path",
    } do
      assert.truthy(text:find(line, 1, true), line)
    end
  end)

  it("completes the accessor on a client and the methods on the resource", function()
    local complete = require "mistapi.cli.repl_complete"
    local env = { client = client, mine = mine }
    assert.same({ "client:self_api_tokens(" }, complete.candidates("client:self_", env))
    local got = complete.candidates("mine:", env)
    local set = {}
    for _, c in ipairs(got) do set[c] = true end
    for _, name in ipairs { "create_api_token", "get_api_token", "list_api_tokens", "update_api_token",
                            "delete_api_token", "each_api_token", "list_all_api_tokens", "get_api_tokens",
                            "delete_api_tokens" } do
      assert.is_true(set["mine:" .. name .. "("], name)
    end
    assert.same({ "client:request(" }, complete.candidates("client:req", env))
  end)
end)
