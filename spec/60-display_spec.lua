-- How tokens, privileges, results and lists print (mistapi.display).
local mistapi = require "mistapi"
local core = require "mistapi.core"
local display = require "mistapi.display"
local result = require "mistapi.result"

local KEY = "1qkbZr8VmT3xYpL0nW5sDfGh2JkQa9EuCiOo7BtNwXyRmPlKjHgFdSaQQCL"
local ORG = "a40f5d1f-d889-42e9-94ea-b9b33585fc6b"
local SITE = "c2d4e6f8-1a3b-4c5d-8e7f-9a0b1c2d3e4f"

local TOKEN_JSON = ([[{"created_by":"user@mycorp.com","created_time":1626875902,
  "id":"497f6eca-6276-4993-bfeb-53efbbba6f08","key":"%s","last_used":1690115110,
  "name":"org_token_xyz","org_id":"%s","privileges":[{"org_id":"%s","role":"admin","scope":"org"},
  {"role":"read","scope":"site","site_id":"%s","views":["reporting","marketing"]}]}]]):format(KEY, ORG, ORG, SITE)

local function decoded_token()
  return assert(core.decode(TOKEN_JSON, "token"))
end

describe("display of a token", function()
  it("is one line with name, id, privileges, UTC times and the key masked", function()
    local text = tostring(decoded_token())
    assert.equal("org_token_xyz  497f6eca-6276-4993-bfeb-53efbbba6f08  admin@org,read@site:" .. SITE
      .. "[reporting,marketing]  created 2021-07-21 13:58:22Z  last used 2023-07-23 12:25:10Z  key 1qkb...QQCL",
      text)
    assert.is_nil(text:find("\n"))
  end)

  it("never shows the whole key, also through print", function()
    local t = decoded_token()
    assert.is_nil(tostring(t):find(KEY, 1, true))
    assert.is_nil(tostring(result.new(t, { status = 200, headers = {} })):find(KEY, 1, true))
    assert.is_nil(tostring(result.new({ t }, { status = 200, headers = {} })):find(KEY, 1, true))
    assert.equal(KEY, t.key)   -- reading the field gives it whole
  end)

  it("says never for a token not used yet and - for a missing key", function()
    local t = assert(core.decode(('{"name":"n","id":"%s","last_used":null}'):format(ORG), "token"))
    assert.equal("n  " .. ORG .. "  -  created -  last used never  key -", tostring(t))
  end)

  it("keeps the token a plain table: indexable, iterable, encodable for update", function()
    local t = decoded_token()
    local keys = 0
    for _ in pairs(t) do keys = keys + 1 end
    assert.equal(8, keys)
    assert.equal("admin", t.privileges[1].role)
    local json = assert(core.encode_token(t, {}))
    assert.matches('"name":"org_token_xyz"', json, 1, true)
    assert.is_nil(json:find(KEY, 1, true))
  end)

  it("has the type name mistapi.Token", function()
    assert.equal("mistapi.Token", getmetatable(decoded_token()).__name)
    assert.equal("mistapi.Privilege", getmetatable(decoded_token().privileges[1]).__name)
  end)

  it("shows server text on one line even when it holds control characters", function()
    local t = assert(core.decode('{"name":"evil\\nname\\u001b[2J","id":"x"}', "token"))
    local text = tostring(t)
    assert.is_nil(text:find("[\n\27]"))
    -- the whole escape sequence is one "?": no "[2J" left over
    assert.truthy(text:find("evil?name?  ", 1, true))
  end)
end)

describe("display of a privilege", function()
  it("reads role@scope, with the site or sitegroup id and the views", function()
    local t = decoded_token()
    assert.equal("admin@org", tostring(t.privileges[1]))
    assert.equal("read@site:" .. SITE .. "[reporting,marketing]", tostring(t.privileges[2]))
    assert.equal("write@sitegroup:" .. SITE,
      display.privilege { role = "write", scope = "sitegroup", sitegroup_id = SITE })
  end)

  it("lists privileges with ',' or the separator given; the lifecycle's text uses ', '", function()
    local list = { { role = "admin", scope = "org" }, { role = "read", scope = "site", site_id = SITE } }
    assert.equal("admin@org,read@site:" .. SITE, display.privileges(list))
    assert.equal("admin@org, read@site:" .. SITE, display.privileges(list, ", "))
    assert.equal("admin@org, read@site:" .. SITE, require("mistapi.lifecycle.privileges").text(list))
    assert.equal("-", display.privileges({}, ", "))
    assert.same({ site = "site_id", sitegroup = "sitegroup_id" }, display.SCOPE_ID)
  end)
end)

describe("display.mask", function()
  it("keeps the first and last four characters", function()
    assert.equal("1qkb...QQCL", display.mask(KEY))
    assert.equal("1qkb...QQCL", display.mask("1qkb...QQCL"))
  end)
  it("hides a short key completely", function()
    assert.equal("****", display.mask("abcdefghij"))
    assert.equal("-", display.mask(nil))
  end)
end)

describe("display of a list result", function()
  local list_json = ('[%s,{"name":"b","id":"%s","created_time":1700000000,"key":"abcd...wxyz"}]')
    :format(TOKEN_JSON, ORG)

  it("is a header line and an aligned table", function()
    local res = result.new(assert(core.decode(list_json, "tokens")), { status = 200, headers = {} })
    local lines = {}
    for line in tostring(res):gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.equal("mistapi.Result 200: 2 tokens", lines[1])
    assert.equal(4, #lines)
    assert.matches("^NAME%s+ID%s+PRIVILEGES%s+CREATED%s+LAST USED%s+KEY$", lines[2])
    -- every column starts at the same place on every row
    local at = lines[2]:find("CREATED", 1, true)
    assert.equal("2021-07-21 13:58:22Z", lines[3]:sub(at, at + 19))
    assert.equal("2023-11-14 22:13:20Z", lines[4]:sub(at, at + 19))
    local key_at = lines[2]:find("KEY", 1, true)
    assert.equal("1qkb...QQCL", lines[3]:sub(key_at))
    assert.equal("abcd...wxyz", lines[4]:sub(key_at))
  end)

  it("aligns names with accents and wide characters by screen columns", function()
    assert.equal(3, display.width("é名"))
    local text = display.table { { name = "é名", id = "1" }, { name = "abc", id = "2" } }
    local lines = {}
    for line in text:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.equal("é名   1", lines[2]:sub(1, #"é名   1"))
    assert.equal("abc   2", lines[3]:sub(1, 7))
  end)

  it("prints an empty list as the header only", function()
    local res = result.new(assert(core.decode("[]", "tokens")), { status = 200, headers = {} })
    assert.equal("mistapi.Result 200: 0 tokens\nNAME  ID  PRIVILEGES  CREATED  LAST USED  KEY", tostring(res))
  end)

  it("prints a result with no data as its status", function()
    assert.equal("mistapi.Result 200 (no data)", tostring(result.new(nil, { status = 200, headers = {} })))
  end)

  it("leaves the list a plain array", function()
    local data = assert(core.decode(list_json, "tokens"))
    assert.equal("b", data[2].name)
    assert.equal(2, #data)
  end)
end)

describe("display of an error", function()
  it("is its one-line message", function()
    local e = mistapi.errors.new("http", "Not found.", { status = 404, method = "GET", path = "/api/v1/x" })
    assert.equal("mistapi: 404 GET /api/v1/x: Not found.", tostring(e))
  end)
end)

describe("display of everything else the REPL shows", function()
  local function ok(data) return result.new(data, { status = 200, headers = {} }) end

  it("lays out any answer field by field, secrets masked (client:get_self())", function()
    local self_answer = assert(core.decode(('{"name":"ci","email":"a@b.c","password":"%s","privileges":'
      .. '[{"role":"admin","scope":"org","org_id":"%s","name":"Lab"}],"tags":[]}'):format(KEY, ORG)))
    local text = tostring(ok(self_answer))
    assert.truthy(text:find("^mistapi%.Result 200: {\n"), text)
    assert.truthy(text:find('  email = "a@b.c",\n', 1, true), text)
    assert.truthy(text:find('role = "admin"', 1, true), text)
    assert.truthy(text:find("tags = []", 1, true), "an empty array stays an array")
    assert.is_nil(text:find(KEY, 1, true), "a password field is masked")
    assert.truthy(text:find("password = 1qkb...QQCL", 1, true))
    assert.is_nil(text:find("table: 0x", 1, true))
  end)

  it("writes the control characters of server text as escapes, C1 ones too", function()
    local text = display.value({ name = "a\27[2Jb\194\155c\nd" })
    assert.equal('{ name = "a\\27[2Jb\\194\\155c\\nd" }', text)
    assert.is_nil(text:find("[%c\127]"))
    assert.is_nil(text:find("\194[\128-\159]"))
  end)

  it("prints an array of privileges as its items, not as an address", function()
    local t = decoded_token()
    assert.equal("[\n  admin@org,\n  read@site:" .. SITE .. "[reporting,marketing]\n]", tostring(t.privileges),
      "past 78 columns, one item a line")
    t.privileges[2] = nil
    assert.equal("[ admin@org ]", tostring(t.privileges))
    assert.equal('[ "a", 2 ]', tostring(assert(core.decode('["a",2]'))))
  end)

  it("prints a bulk result item by item: the token, done, or the error", function()
    local t = decoded_token()
    local err = mistapi.errors.new("http", "Not found.", { status = 404, method = "GET", path = "/api/v1/x" })
    local bulk = result.new({ t, false }, { status = nil, headers = {} }, 3, nil, { errors = { nil, err }, failed = 1 })
    local lines = {}
    for line in tostring(bulk):gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.same({ "mistapi.Result (bulk): 2 asked, 1 done, 1 failed",
                  "[1] " .. tostring(t), "[2] failed: mistapi: 404 GET /api/v1/x: Not found." }, lines)
    local deleted = result.new({ true, true }, { status = 200, headers = {} }, 2, nil, { errors = {}, failed = 0 })
    assert.equal("mistapi.Result 200: 2 asked, 2 done, 0 failed\n[1] done\n[2] done", tostring(deleted))
    assert.is_nil(tostring(bulk):find(KEY, 1, true))
  end)

  it("shows a screenful of a long list and how many more; display.table shows all", function()
    local parts = {}
    for i = 1, 252 do parts[i] = ('{"name":"t%d","id":"%d"}'):format(i, i) end
    local list = assert(core.decode("[" .. table.concat(parts, ",") .. "]", "tokens"))
    local saved = display.rows
    display.rows = 20
    local text = tostring(ok(list))
    display.rows = saved
    local lines = {}
    for line in text:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.equal("mistapi.Result 200: 252 tokens (the first 20 shown)", lines[1])
    assert.equal(1 + 1 + 20 + 1, #lines, "head, header row, 20 rows, the rest line")
    assert.truthy(lines[#lines]:find("^%.%.%. 232 more %(252 in all"), lines[#lines])
    local _, all = display.table(list):gsub("\n", "")
    assert.equal(252, all, "the header and every row")
  end)
end)
