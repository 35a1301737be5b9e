-- core.encode (generic) and core.encode_token (the request body writer).
local core = require "mistapi.core"

local is54 = math.type ~= nil
local SITE = "8aaba0ae-4cb4-4c44-9ab9-1f2a5c6d1e2f"

describe("core.encode", function()
  it("writes scalars, core.null and strings with escapes", function()
    assert.are.equal("true", core.encode(true))
    assert.are.equal("false", core.encode(false))
    assert.are.equal("null", core.encode(core.null))
    assert.are.equal('"a\\"b\\\\c\\n\\u0000"', core.encode('a"b\\c\n\0'))
    assert.are.equal('"\195\169"', core.encode("\195\169"))
  end)

  it("refuses strings that are not UTF-8", function()
    local s, err = core.encode({ a = "x\255" })
    assert.is_nil(s)
    assert.are.equal("a: string is not valid UTF-8", err)
  end)

  it("writes integers as integers and floats so they read back the same", function()
    assert.are.equal("1700000000", core.encode(1700000000))
    assert.are.equal("-3", core.encode(-3))
    assert.are.equal("0.1", core.encode(0.1))
    assert.are.equal("0.3333333333333333", core.encode(1 / 3))
    for _, x in ipairs({ 0.1, 1 / 3, 1e300, -2.5e-300, 123456.789, 2 ^ 60 + 0.0 }) do
      assert.are.equal(x, core.decode(core.encode(x)))
    end
    if is54 then
      assert.are.equal("9223372036854775807", core.encode(math.maxinteger))
      assert.are.equal("2.0", core.encode(2.0))
      assert.are.equal("float", math.type(core.decode(core.encode(2.0))))
    else
      assert.are.equal("2", core.encode(2.0))
    end
  end)

  it("refuses NaN and infinity", function()
    local s, err = core.encode({ x = 0 / 0 })
    assert.is_nil(s)
    assert.are.equal("x: cannot encode NaN", err)
    s, err = core.encode({ math.huge })
    assert.is_nil(s)
    assert.are.equal("[1]: cannot encode infinity", err)
  end)

  it("writes empty tables as {} unless marked with core.array_mt", function()
    assert.are.equal("{}", core.encode({}))
    assert.are.equal("[]", core.encode(setmetatable({}, core.array_mt)))
    assert.are.equal('{"a":[]}', core.encode({ a = setmetatable({}, core.array_mt) }))
  end)

  it("writes sequences as arrays and the rest as objects", function()
    assert.are.equal("[1,2,3]", core.encode({ 1, 2, 3 }))
    assert.are.equal('[["x"],{"k":false}]', core.encode({ { "x" }, { k = false } }))
    assert.are.equal('{"k":"v"}', core.encode({ k = "v" }))
    assert.are.equal("[1,null,3]", core.encode(setmetatable({ 1, core.null, 3 }, core.array_mt)))
  end)

  it("refuses non-string keys, naming them", function()
    local s, err = core.encode({ 1, 2, x = 1 })
    assert.is_nil(s)
    assert.matches("^object keys must be strings, got number [12]$", err)
    s, err = core.encode({ a = { [true] = 1 } })
    assert.is_nil(s)
    assert.are.equal("a: object keys must be strings, got boolean true", err)
    s, err = core.encode({ [1] = "a", [3] = "c" })
    assert.is_nil(s)
    assert.matches("^object keys must be strings, got number [13]$", err)
  end)

  it("refuses functions and caps nesting, cycles included", function()
    local s, err = core.encode({ f = print })
    assert.is_nil(s)
    assert.are.equal("f: cannot encode a function", err)
    local c = {}
    c.c = c
    s, err = core.encode(c)
    assert.is_nil(s)
    assert.matches("nesting too deep", err)
    local deep = {}
    for _ = 1, 126 do -- 127 levels in all
      deep = { deep }
    end
    assert.is_string(core.encode(deep))
    s, err = core.encode({ { deep } })
    assert.is_nil(s)
    assert.matches("nesting too deep", err)
  end)

  it("round-trips a decoded document", function()
    local text = '{"a":[1,2.5,"x",true,[]],"b":{"c":null}}'
    local v = assert(core.decode(text))
    assert.are.same(v, core.decode(core.encode(v)))
  end)
end)

describe("core.encode_token", function()
  it("writes the known fields in a fixed order", function()
    local body = assert(core.encode_token({
      src_ips = { "63.3.56.0/24", "63.3.55.4" },
      privileges = {
        { views = { "reporting" }, site_id = SITE, scope = "site", role = "read" },
        { scope = "org", role = "admin" },
      },
      name = "org_token_xyz",
    }))
    assert.are.equal('{"name":"org_token_xyz","privileges":[{"role":"read","scope":"site","site_id":"'
      .. SITE .. '","views":["reporting"]},{"role":"admin","scope":"org"}],'
      .. '"src_ips":["63.3.56.0/24","63.3.55.4"]}', body)
  end)

  it("writes empty arrays as arrays", function()
    assert.are.equal('{"name":"n","src_ips":[]}', core.encode_token({ name = "n", src_ips = {} }))
    assert.are.equal('{"name":"n","privileges":[{"role":"read","scope":"org","views":[]}]}',
      core.encode_token({ name = "n", privileges = { { role = "read", scope = "org", views = {} } } }))
  end)

  it("drops read-only fields silently and never shows the key", function()
    local secret = "SECRETKEYabcdefghijklmnopqrstuvwxyz0123456789"
    local body = assert(core.encode_token({
      id = SITE, org_id = SITE, key = secret, created_time = 1, created_by = "a@b.c", last_used = 2,
      name = "n", privileges = { { role = "admin", scope = "org", org_id = SITE } },
    }))
    assert.are.equal('{"name":"n","privileges":[{"role":"admin","scope":"org"}]}', body)
    local _, err = core.encode_token({ key = secret, name = 5 })
    assert.are.equal("name: expected a string, got number", err)
    _, err = core.encode_token({ key = secret, name = "n", bogus = 1 })
    assert.is_nil(err:find("SECRETKEY", 1, true))
  end)

  it("refuses unknown fields the caller wrote, naming the smallest", function()
    local body, err = core.encode_token({ name = "n", privilege = {} })
    assert.is_nil(body)
    assert.are.equal('unknown field "privilege" (known: name, privileges, src_ips)', err)
    body, err = core.encode_token({ name = "n", zeta = 1, alpha = 2, mid = 3 })
    assert.is_nil(body)
    assert.are.equal('unknown field "alpha" (known: name, privileges, src_ips)', err)
    body, err = core.encode_token({ name = "n", privileges = { { role = "admin", scope = "org", rol = "x" } } })
    assert.is_nil(body)
    assert.are.equal('privileges[1]: unknown field "rol" (known: role, scope, site_id, sitegroup_id, views)',
      err)
    body, err = core.encode_token({ name = "n", [1] = "x" })
    assert.is_nil(body)
    assert.are.equal("field names must be strings, got number 1", err)
  end)

  it("drops unknown fields from the server but refuses ones the caller adds", function()
    local t = assert(core.decode('{"name":"n","legacy":1,"privileges":[{"role":"admin","scope":"org","x":1}]}',
      "token"))
    assert.are.equal('{"name":"n","privileges":[{"role":"admin","scope":"org"}]}', core.encode_token(t))
    t.name = "renamed"
    t.legacy = 2
    assert.are.equal('{"name":"renamed","privileges":[{"role":"admin","scope":"org"}]}', core.encode_token(t))
    t.mine = true
    local body, err = core.encode_token(t)
    assert.is_nil(body)
    assert.are.equal('unknown field "mine" (known: name, privileges, src_ips)', err)
    t.mine = nil
    t.privileges[1].y = 1
    body, err = core.encode_token(t)
    assert.is_nil(body)
    assert.matches('^privileges%[1%]: unknown field "y"', err)
    -- a privilege the caller builds has no server record
    t.privileges[1] = { role = "admin", scope = "org", x = 1 }
    body, err = core.encode_token(t)
    assert.is_nil(body)
    assert.matches('^privileges%[1%]: unknown field "x"', err)
  end)

  it("writes caller's unknown fields after the known ones with pass_unknown", function()
    local body = assert(core.encode_token({
      zeta = { 1, 2 }, alpha = "a", name = "n", id = "dropped",
      privileges = { { role = "admin", scope = "org", extra = false } },
    }, { pass_unknown = true }))
    assert.are.equal('{"name":"n","privileges":[{"role":"admin","scope":"org","extra":false}],'
      .. '"alpha":"a","zeta":[1,2]}', body)
    local t = assert(core.decode('{"name":"n","legacy":1}', "token"))
    t.mine = 1
    assert.are.equal('{"name":"n","mine":1}', core.encode_token(t, { pass_unknown = true }))
    local s, err = core.encode_token({ name = "n", bad = { f = print } }, { pass_unknown = true })
    assert.is_nil(s)
    assert.are.equal("bad.f: cannot encode a function", err)
  end)

  it("requires a name unless require_name is false", function()
    local body, err = core.encode_token({})
    assert.is_nil(body)
    assert.are.equal("name: required", err)
    assert.are.equal("{}", core.encode_token({}, { require_name = false }))
    assert.are.equal('{"src_ips":["1.2.3.4"]}',
      core.encode_token({ src_ips = { "1.2.3.4" } }, { require_name = false }))
    body, err = core.encode_token({ name = core.null })
    assert.is_nil(body)
    assert.are.equal("name: required", err)
  end)

  it("raises on misuse", function()
    assert.has_error(function() core.encode_token("x") end)
    assert.has_error(function() core.encode_token() end)
    assert.has_error(function() core.encode_token({ name = "n" }, "opts") end)
    assert.has_error(function() core.encode_token({ name = "n" }, { pass_unknown = "yes" }) end)
    assert.has_error(function() core.encode() end)
  end)
end)

describe("core.encode_token with model = user_apitoken", function()
  local USER = { model = "user_apitoken" }

  it("writes the name, the one writable field", function()
    assert.are.equal('{"name":"mine"}', core.encode_token({ name = "mine" }, USER))
  end)

  it("drops read-only fields and unknown fields from the server", function()
    local secret = "SECRETKEYabcdefghijklmnopqrstuvwxyz0123456789"
    assert.are.equal('{"name":"n"}', core.encode_token({
      id = SITE, key = secret, created_time = 1, last_used = 2, name = "n" }, USER))
    local t = assert(core.decode('{"name":"n","id":"' .. SITE .. '","legacy":true}', "user_token"))
    t.name = "renamed"
    assert.are.equal('{"name":"renamed"}', core.encode_token(t, USER))
  end)

  it("refuses the org token's fields and unknown ones the caller wrote", function()
    local body, err = core.encode_token({ name = "n", privileges = { { role = "admin", scope = "org" } } }, USER)
    assert.is_nil(body)
    assert.are.equal('unknown field "privileges" (known: name)', err)
    body, err = core.encode_token({ name = "n", src_ips = {} }, USER)
    assert.is_nil(body)
    assert.are.equal('unknown field "src_ips" (known: name)', err)
    assert.are.equal('{"name":"n","src_ips":["10.0.0.1"]}',
      core.encode_token({ name = "n", src_ips = { "10.0.0.1" } }, { model = "user_apitoken", pass_unknown = true }))
  end)

  it("needs no name (the spec requires none) but checks one that is there", function()
    assert.are.equal("{}", core.encode_token({}, USER))
    local body, err = core.encode_token({ name = "" }, USER)
    assert.is_nil(body)
    assert.are.equal("name: must not be empty", err)
    body, err = core.encode_token({ name = 7 }, USER)
    assert.is_nil(body)
    assert.are.equal("name: expected a string, got number", err)
  end)

  it("raises on a model it does not know", function()
    assert.has_error(function() core.encode_token({ name = "n" }, { model = "site" }) end)
    assert.has_error(function() core.encode_token({ name = "n" }, { model = 1 }) end)
    assert.are.equal('{"name":"n"}', core.encode_token({ name = "n" }, { model = "org_apitoken" }))
  end)
end)
