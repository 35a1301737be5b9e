-- client:request(method, path, opts), client:each(path, opts), client:get_all(path, opts):
-- any Mist endpoint through the same machinery as the token resources (auth, retries,
-- rotation, redaction, logging, errors), answering plain decoded tables; against the emulator.
local mistapi = require "mistapi"
local fresh_client = require "support.fresh_client"

local function no_env() return nil end

local fresh = fresh_client.new { max_retries = 0, retry_base = 0.01 }
local e, client

local function count(method, path)
  local n = 0
  for _, entry in ipairs(e:log()) do
    if entry.method == method and (not path or entry.path == path) then n = n + 1 end
  end
  return n
end

local function sites_path() return "/api/v1/orgs/" .. e.org_id .. "/sites" end

setup(function() e = fresh:start() end)
teardown(function() fresh:stop() end)
before_each(function() client = fresh:renew() end)

describe("client:request", function()
  it("answers /self and the org as plain tables, with no model metatable", function()
    e:name_org("Lab Org")
    local me = assert(client:request("GET", "/api/v1/self"))
    assert.equal(200, me.status)
    assert.is_nil(getmetatable(me.data))
    assert.is_table(me.data.privileges)
    assert.equal(e.org_id, me.data.privileges[1].org_id)
    local org = assert(client:request("GET", "/api/v1/orgs/" .. e.org_id))
    assert.equal("Lab Org", org.data.name)
    assert.equal(e.org_id, org.data.id)
  end)

  it("sends a query from a table and decodes a list without checking it as tokens", function()
    e:seed(5)
    local res = assert(client:request("GET", e:tokens_path(), { query = { page = 2, limit = 2 } }))
    assert.equal(2, #res.data)
    assert.is_nil(getmetatable(res.data[1]))
    local last = e:log()[#e:log()]
    assert.equal("limit=2&page=2", last.query)
    assert.matches("^mistapi%.Result 200: 2 items\n%[", tostring(res))
  end)

  it("writes a table body as JSON; a created key is whole in the answer and hidden in later errors", function()
    local res = assert(client:request("POST", e:tokens_path(), {
      body = { name = "raw", privileges = { { role = "admin", scope = "org" } } } }))
    local key = res.data.key
    assert.is_true(#key >= 48)
    e:fault { kind = "status", status = 400, count = 1, body = '{"detail":"bad ' .. key .. '"}' }
    local _, err = client:request("GET", e:tokens_path())
    assert.equal(400, err.status)
    assert.is_nil(err.body:find(key, 1, true))
    assert.is_nil(tostring(err):find(key, 1, true))
    local del = assert(client:request("DELETE", e:tokens_path(res.data.id)))
    assert.is_nil(del.data)   -- an empty body is no data
  end)

  it("tries a GET again after a 503 but never sends a POST twice", function()
    local c = fresh:client { max_retries = 2 }
    e:fault { kind = "status", status = 503, count = 1, method = "GET" }
    local res = assert(c:request("GET", "/api/v1/self"))
    assert.equal(2, res.attempts)
    e:clear_log()
    e:fault { kind = "status", status = 503, count = 1, method = "POST" }
    local body = '{"name":"x","privileges":[{"role":"admin","scope":"org"}]}'
    local _, err = c:request("POST", e:tokens_path(), { body = body })
    assert.equal(503, err.status)
    assert.equal(1, err.attempts)
    assert.equal(1, count("POST"))
    e:fault { kind = "status", status = 503, count = 1, method = "POST" }
    res = assert(c:request("POST", "/api/v1/logout", { idempotent = true, body = {} }))
    assert.equal(2, res.attempts)
    c:close()
  end)

  it("moves to the next token on a 429, as the resources do", function()
    local second = assert(e:make_token { name = "second" }.key)
    local c = assert(mistapi.new { base_url = e.url, tokens = { e.token, second }, max_retries = 0,
                                   getenv = no_env })
    e:fault { kind = "status", status = 429, count = 1 }
    local res = assert(c:request("GET", "/api/v1/self"))
    assert.equal(2, res.token_index)
    c:close()
  end)

  it("keeps the client's token out of errors and log lines", function()
    local lines = {}
    local c = fresh:client { log = function(entry) lines[#lines + 1] = entry end }
    e:fault { kind = "status", status = 403, count = 1, body = '{"detail":"token ' .. e.token .. ' refused"}' }
    local _, err = c:request("GET", "/api/v1/self")
    assert.equal(403, err.status)
    assert.equal("GET", err.method)
    assert.is_nil(err.detail:find(e.token, 1, true))
    assert.is_nil(tostring(err):find(e.token, 1, true))
    assert.equal(1, #lines)
    assert.equal("/api/v1/self", lines[1].path)
    assert.equal(403, lines[1].status)
    for _, v in pairs(lines[1]) do assert.is_nil(tostring(v):find(e.token, 1, true)) end
    c:close()
  end)

  it("returns the server's error and a decode error as the resources do", function()
    local _, err = client:request("GET", "/api/v1/orgs/" .. e.org_id .. "/nothing")
    assert.equal("http", err.kind)
    assert.equal(404, err.status)
    e:fault { kind = "malformed", count = 1, body = "<html>" }
    _, err = client:request("GET", "/api/v1/self")
    assert.equal("decode", err.kind)
    assert.equal(200, err.status)
  end)

  it("uses a login session when the client has one", function()
    local s = assert(mistapi.new { base_url = e.url, email = e.email, password = e.password,
                                   max_retries = 0, getenv = no_env })
    assert.equal(e.email, assert(s:request("GET", "/api/v1/self")).data.email)
    s:close()
  end)

  it("refuses a path that is not from the root, sending nothing; raises on misuse", function()
    local before = #e:log()
    for _, bad in ipairs { "api/v1/self", "https://evil.example/api/v1/self", "//evil.example/x",
                           "/api/v1/self\r\nX: y", "/api/v1/self#frag" } do
      local res, err = client:request("GET", bad)
      assert.is_nil(res)
      assert.equal("validation", err.kind)
    end
    assert.equal(before, #e:log())
    assert.has_error(function() client:request("FETCH", "/api/v1/self") end)
    assert.has_error(function() client:request("GET", 42) end)
    assert.has_error(function() client:request("GET", "/api/v1/self", { query = { a = {} } }) end)
    assert.has_error(function() client:request("POST", "/api/v1/self", { body = 5 }) end)
    assert.has_error(function() client:request("GET", "/api/v1/self", { idempotent = "yes" }) end)
  end)
end)

describe("client:each and client:get_all", function()
  local function add_sites(n)
    for i = 1, n do e:add_site { name = ("site-%02d"):format(i) } end
  end

  for _, paging in ipairs { "headers", "next" } do
    it("walk every page of any list (paging by " .. paging .. ")", function()
      e:config { paging = paging }
      add_sites(5)
      local names, pages = {}, 0
      for site in client:each(sites_path(), { limit = 2 }) do names[#names + 1] = site.name end
      table.sort(names)
      assert.same({ "site-01", "site-02", "site-03", "site-04", "site-05" }, names)
      local all = assert(client:get_all(sites_path(), { limit = 2, progress = function() pages = pages + 1 end }))
      assert.equal(5, #all.data)
      assert.equal(3, pages)
      assert.equal(3, all.pages)
      assert.equal(3, all.attempts)
      assert.is_nil(getmetatable(all.data[1]))
    end)
  end

  it("keeps the path's own query and adds limit and page", function()
    e:seed(3)
    local all = assert(client:get_all(e:tokens_path() .. "?x=1", { limit = 2, query = { y = "a b" } }))
    assert.equal(4, #all.data)
    local queries = {}
    for _, entry in ipairs(e:log()) do queries[#queries + 1] = entry.query end
    assert.same({ "x=1&y=a%20b&limit=2&page=1", "x=1&y=a%20b&limit=2&page=2" }, queries)
  end)

  it("returns an error for a path that is no list, and raises it from each", function()
    local res, err = client:get_all("/api/v1/self")
    assert.is_nil(res)
    assert.equal("decode", err.kind)
    assert.matches("expected a JSON array of items", err.message)
    assert.has_error(function() for _ in client:each("/api/v1/self") do end end)
    res, err = client:get_all("self")
    assert.is_nil(res)
    assert.equal("validation", err.kind)
    assert.has_error(function() client:each(sites_path(), { limit = "2" }) end)
  end)
end)
