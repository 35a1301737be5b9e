-- core.decode: JSON text to Lua values, shapes and their metatables.
local core = require "mistapi.core"

local is54 = math.type ~= nil

local function registry_mt(name)
  return debug.getregistry()[name]
end

describe("core.decode", function()
  it("decodes every JSON type", function()
    local v = assert(core.decode('{"s":"x","n":1.5,"i":42,"t":true,"f":false,"a":[1,"b"],"o":{"k":"v"}}'))
    assert.are.equal("x", v.s)
    assert.are.equal(1.5, v.n)
    assert.are.equal(42, v.i)
    assert.is_true(v.t)
    assert.is_false(v.f)
    assert.are.same({ 1, "b" }, v.a)
    assert.are.same({ k = "v" }, v.o)
    assert.are.equal("x", core.decode('"x"'))
    assert.are.equal(7, core.decode("7"))
    assert.is_true(core.decode("true"))
  end)

  it("leaves null out of objects and keeps it as core.null in arrays and at the top", function()
    local v = assert(core.decode('{"a":null,"b":[1,null,3]}'))
    assert.is_nil(v.a)
    assert.are.equal(core.null, v.b[2])
    assert.are.equal(3, v.b[3])
    assert.are.equal(core.null, core.decode("null"))
    assert.are.equal("userdata", type(core.null))
  end)

  it("makes integers that fit 64 bits Lua integers", function()
    local v = assert(core.decode("[1700000000, -5, 0, 9223372036854775807, -9223372036854775808]"))
    assert.are.equal(1700000000, v[1])
    assert.are.equal(-5, v[2])
    if is54 then
      for i = 1, 5 do
        assert.are.equal("integer", math.type(v[i]))
      end
      assert.are.equal(math.maxinteger, v[4])
      assert.are.equal(math.mininteger, v[5])
    end
  end)

  it("makes fractions, exponents and too-big integers floats, never an error", function()
    local v = assert(core.decode("[1.0, 2e3, 1E2, 9223372036854775808, 123456789012345678901234567890, 1e400]"))
    assert.are.equal(1.0, v[1])
    assert.are.equal(2000, v[2])
    assert.are.equal(100, v[3])
    assert.are.equal(2 ^ 63, v[4])
    assert.is_true(math.abs(v[5] - 1.2345678901234568e29) < 1e15)
    assert.are.equal(math.huge, v[6])
    if is54 then
      for i = 1, 5 do
        assert.are.equal("float", math.type(v[i]))
      end
    end
    local long = "1" .. string.rep("0", 300)
    assert.are.equal(1e300, core.decode(long))
    assert.are.equal(0.5, core.decode("0." .. "5" .. string.rep("0", 100)))
  end)

  it("keeps strings with NUL and escapes whole", function()
    local s = assert(core.decode('"a\\u0000b\\n\\u00e9\\ud83d\\ude00"'))
    assert.are.equal("a\0b\n\195\169\240\159\152\128", s)
    assert.are.equal(10, #s)
  end)

  it("keeps long escaped strings whole, however much room yajl needs for them", function()
    -- yajl unescapes into a buffer of its own that grows past 2 KiB, and its
    -- state stack grows with nesting: both come from the decoder's memory
    -- until it is used up, then from malloc
    local plain = string.rep("line\n", 5000)
    local text = '"' .. string.rep("line\\n", 5000) .. '"'
    assert.are.equal(plain, core.decode(text))
    local nested = string.rep("[", 300) .. text .. "," .. text .. string.rep("]", 300)
    local v = assert(core.decode(nested))
    for _ = 1, 299 do v = v[1] end
    assert.are.equal(plain, v[1])
    assert.are.equal(plain, v[2])
    local bad, err = core.decode(string.rep("[", 300) .. text .. ", x]")
    assert.is_nil(bad)
    assert.matches("^JSON: .* at byte %d+$", err)
  end)

  it("keeps the last of duplicate keys, a null one included", function()
    assert.are.equal(2, core.decode('{"a":1,"a":2}').a)
    assert.is_nil(core.decode('{"a":1,"a":null}').a)
  end)

  it("refuses invalid UTF-8", function()
    local v, err = core.decode('"ab\255"')
    assert.is_nil(v)
    assert.matches("^JSON: .*UTF8.* at byte %d+$", err)
  end)

  it("refuses trailing garbage, empty input and broken documents with a position", function()
    local v, err = core.decode('{"a":1} x')
    assert.is_nil(v)
    assert.matches("^JSON: .*trailing garbage at byte %d+$", err)
    v, err = core.decode("")
    assert.is_nil(v)
    assert.are.equal("JSON: empty input at byte 0", err)
    v, err = core.decode("   ")
    assert.is_nil(v)
    assert.matches("^JSON: .* at byte %d+$", err)
    v, err = core.decode('{"a":')
    assert.is_nil(v)
    assert.matches("^JSON: ", err)
    v, err = core.decode("[1,]")
    assert.is_nil(v)
    assert.matches("^JSON: ", err)
  end)

  it("never quotes the document in its messages", function()
    local secret = "SECRETKEYabcdefghijklmnopqrstuvwxyz0123456789"
    local _, err = core.decode('{"key":"' .. secret .. '" trailing}')
    assert.is_string(err)
    assert.is_nil(err:find("SECRETKEY", 1, true))
    _, err = core.decode('{"key":"' .. secret .. '\255"}')
    assert.is_nil(err:find("SECRETKEY", 1, true))
  end)

  it("caps nesting at 512 without crashing", function()
    local ok = assert(core.decode(string.rep("[", 512) .. string.rep("]", 512)))
    assert.are.equal("table", type(ok))
    local v, err = core.decode(string.rep("[", 513) .. string.rep("]", 513))
    assert.is_nil(v)
    assert.matches("^JSON: nesting too deep at byte %d+$", err)
    v, err = core.decode(string.rep("[", 100000))
    assert.is_nil(v)
    assert.matches("nesting too deep", err)
    v, err = core.decode(string.rep('{"a":', 100000))
    assert.is_nil(v)
    assert.matches("nesting too deep", err)
  end)

  it("marks arrays with core.array_mt so an empty one stays an array", function()
    local v = assert(core.decode('{"a":[],"b":{}}'))
    assert.are.equal(core.array_mt, getmetatable(v.a))
    assert.is_nil(getmetatable(v.b))
    assert.are.equal('[]', core.encode(v.a))
    assert.are.equal('{}', core.encode(v.b))
  end)

  it("raises on a bad shape name or a missing text", function()
    assert.has_error(function() core.decode("{}", "tokn") end)
    assert.has_error(function() core.decode() end)
  end)

  describe("with a shape", function()
    local token_json = '{"id":"6b7a3f3e-0000-4000-8000-000000000001","name":"t","key":"1qkb...QQCL",'
      .. '"created_time":1690115110,"last_used":null,"extra":{"x":1},'
      .. '"privileges":[{"role":"admin","scope":"org","org_id":"o","beta":true},'
      .. '{"role":"read","scope":"org"}]}'

    it("adds nothing to the registry after its first decode", function()
      -- the decoder keeps its tables in one registry entry, made once
      local function entries()
        local n = 0
        for _ in pairs(debug.getregistry()) do n = n + 1 end
        return n
      end
      assert(core.decode(token_json, "token"))
      local before = entries()
      for _ = 1, 20 do
        assert(core.decode(token_json, "token"))
        assert(core.decode('[{"a":1}]'))
        assert(core.decode("[" .. token_json .. "]", "tokens"))
      end
      assert.are.equal(before, entries())
    end)

    it("gives tokens and privileges their metatables", function()
      local t = assert(core.decode(token_json, "token"))
      assert.are.equal(registry_mt("mistapi.Token"), getmetatable(t))
      assert.are.equal(registry_mt("mistapi.Privilege"), getmetatable(t.privileges[1]))
      assert.are.equal(registry_mt("mistapi.Privilege"), getmetatable(t.privileges[2]))
      assert.is_nil(getmetatable(t.extra))
      assert.are.equal(1690115110, t.created_time)
      if is54 then
        assert.are.equal("integer", math.type(t.created_time))
      end
    end)

    it("gives every token of a list its metatable", function()
      local list = assert(core.decode("[" .. token_json .. "," .. token_json .. "]", "tokens"))
      assert.are.equal(2, #list)
      for i = 1, 2 do
        assert.are.equal(registry_mt("mistapi.Token"), getmetatable(list[i]))
        assert.are.equal(registry_mt("mistapi.Privilege"), getmetatable(list[i].privileges[1]))
      end
    end)

    it("gives a list's empty tokens and a token's many privileges their metatables too", function()
      -- (a list's token table is made by its first key, sized for a token;
      -- an empty one, and the privileges past the tenth, grow as keys come)
      local privs = {}
      for i = 1, 12 do privs[i] = ('{"role":"read","scope":"org","x%d":%d}'):format(i, i) end
      local list = assert(core.decode('[{},{"name":"a","privileges":[' .. table.concat(privs, ",") .. ']},{}]',
        "tokens"))
      assert.are.equal(3, #list)
      for i = 1, 3 do assert.are.equal(registry_mt("mistapi.Token"), getmetatable(list[i])) end
      assert.is_nil(next(list[1]))
      assert.is_nil(next(list[3]))
      assert.are.equal("a", list[2].name)
      assert.are.equal(12, #list[2].privileges)
      for i = 1, 12 do
        local p = list[2].privileges[i]
        assert.are.equal(registry_mt("mistapi.Privilege"), getmetatable(p))
        assert.are.equal("read", p.role)
        assert.are.equal(i, p["x" .. i])
      end
    end)

    it("checks each token's fields whatever order its keys come in", function()
      -- (the decoder tries the field the last token had at a key's position first)
      local list = assert(core.decode('[{"name":"a","created_time":1},{"created_time":2,"name":"b","zz":1},'
        .. '{"zz":3,"name":"c","created_time":3.5}]', "tokens"))
      assert.are.same({ "a", "b", "c" }, { list[1].name, list[2].name, list[3].name })
      assert.are.same({ 1, 2, 3 }, { list[1].created_time, list[2].created_time, list[3].created_time })
      assert.are.equal(3, list[3].zz)
      local v, msg, why = core.decode('[{"name":"a","created_time":1},{"created_time":2,"name":5}]', "tokens")
      assert.is_nil(v)
      assert.are.equal("model", why)
      assert.are.equal("[2].name: expected a string, got number", msg)
    end)

    it("adds no metatables without a shape", function()
      local t = assert(core.decode(token_json))
      assert.is_nil(getmetatable(t))
      assert.is_nil(getmetatable(t.privileges[1]))
    end)

    it("decodes generically a top level that is not the expected shape (the caller judges it)", function()
      assert.are.equal("x", core.decode('"x"', "token"))
      local v = assert(core.decode('{"a":1}', "tokens"))
      assert.is_nil(getmetatable(v))
      v = assert(core.decode('[1,2]', "token"))
      assert.are.same({ 1, 2 }, v)
    end)

    it("remembers keys from the server so that re-encoding drops them", function()
      local t = assert(core.decode(token_json, "token"))
      assert.are.equal(1, t.extra.x)
      assert.is_true(t.privileges[1].beta)
      assert.are.equal(
        '{"name":"t","privileges":[{"role":"admin","scope":"org"},{"role":"read","scope":"org"}]}',
        core.encode_token(t))
    end)

    it("does not remember keys without a shape", function()
      local t = assert(core.decode(token_json))
      local body, err = core.encode_token(t)
      assert.is_nil(body)
      assert.are.equal('unknown field "extra" (known: name, privileges, src_ips)', err)
    end)

    it("treats the results of a page paged by a body link as tokens", function()
      local page = assert(core.decode('{"results":[{"name":"t","extra":1,'
        .. '"privileges":[{"role":"admin","scope":"org"}]}],"next":"/api/v1/x","total":3}', "tokens"))
      local mt = getmetatable(assert(core.decode('{"name":"x"}', "token")))
      assert.are.equal(mt, getmetatable(page.results[1]))
      assert.is_nil(getmetatable(page))
      assert.are.equal('{"name":"t","privileges":[{"role":"admin","scope":"org"}]}', core.encode_token(page.results[1]))
      local other = assert(core.decode('{"items":[{"name":"t"}]}', "tokens"))
      assert.are_not.equal(mt, getmetatable(other.items[1]))
    end)

    it("checks each known field's type against the model, naming where it is", function()
      local cases = {
        { '{"name":5}', "token", "^name: expected a string, got number$" },
        { '{"key":{}}', "token", "^key: expected a string, got an object$" },
        { '{"created_time":{"t":1}}', "token", "^created_time: expected an epoch in seconds, got an object$" },
        { '{"created_time":1e30}', "token", "^created_time: expected an epoch in seconds, got a number out of range$" },
        { '{"last_used":-1}', "token", "^last_used: expected an epoch" },
        { '{"privileges":"admin"}', "token", "^privileges: expected an array, got string$" },
        { '{"privileges":{"role":"admin"}}', "token", "^privileges: expected an array, got an object$" },
        { '{"privileges":["admin"]}', "token", "^privileges%[1%]: expected an object, got string$" },
        { '{"privileges":[{"role":1}]}', "token", "^privileges%[1%]%.role: expected a string, got number$" },
        { '{"privileges":[{"views":"reporting"}]}', "token", "^privileges%[1%]%.views: expected an array" },
        { '{"privileges":[{"views":[1]}]}', "token", "^privileges%[1%]%.views%[1%]: expected a string" },
        { '{"src_ips":["1.2.3.4",5]}', "token", "^src_ips%[2%]: expected a string, got number$" },
        { '[{"name":"a"},{"name":true}]', "tokens", "^%[2%]%.name: expected a string, got boolean$" },
        { '[{"name":"a"},null]', "tokens", "^%[2%]: expected an object, got null$" },
        { '{"results":[{"id":3}]}', "tokens", "^results%[1%]%.id: expected a string, got number$" },
      }
      for _, c in ipairs(cases) do
        local v, err, why = core.decode(c[1], c[2])
        assert.is_nil(v, c[1])
        assert.matches(c[3], err)
        assert.are.equal("model", why)
      end
      local _, _, why = core.decode('[{"name":"a"},', "tokens")
      assert.are.equal("syntax", why)
    end)

    it("makes epochs integers, dropping a fraction, and leaves unknown fields alone", function()
      local t = assert(core.decode('{"created_time":1626875902.0,"last_used":1690115110.75,'
        .. '"created_by":null,"extra":{"created_time":"x"}}', "token"))
      assert.are.equal(1626875902, t.created_time)
      assert.are.equal(1690115110, t.last_used)
      if math.type then
        assert.are.equal("integer", math.type(t.created_time))
        assert.are.equal("integer", math.type(t.last_used))
      end
      assert.are.equal("x", t.extra.created_time)
      assert.is_table(core.decode('{"name":5}'))   -- no shape, no model
    end)
  end)
end)

describe("core.decode with the user_apitoken shapes", function()
  local user_json = '{"id":"864f351a-1377-4ad9-83f8-72f3fe6199ba","name":"mine","key":"1qkb...QQCL",'
    .. '"created_time":1626875902.0,"last_used":null,"extra":{"x":1}}'

  it("gives a user token its own metatable and makes epochs integers", function()
    local t = assert(core.decode(user_json, "user_token"))
    assert.are.equal(registry_mt("mistapi.UserToken"), getmetatable(t))
    assert.are_not.equal(registry_mt("mistapi.Token"), getmetatable(t))
    assert.are.equal(1626875902, t.created_time)
    if is54 then assert.are.equal("integer", math.type(t.created_time)) end
    assert.is_nil(t.last_used)
    assert.is_nil(getmetatable(t.extra))
  end)

  it("gives every user token of a list, or of a page's results, the metatable", function()
    local list = assert(core.decode("[" .. user_json .. "," .. user_json .. "]", "user_tokens"))
    assert.are.equal(2, #list)
    for i = 1, 2 do assert.are.equal(registry_mt("mistapi.UserToken"), getmetatable(list[i])) end
    local page = assert(core.decode('{"results":[' .. user_json .. '],"next":null}', "user_tokens"))
    assert.are.equal(registry_mt("mistapi.UserToken"), getmetatable(page.results[1]))
  end)

  it("refuses a field of the wrong type, naming where it sits", function()
    local v, err, why = core.decode('[{"name":"a"},{"name":"b","last_used":"yesterday"}]', "user_tokens")
    assert.is_nil(v)
    assert.are.equal("model", why)
    assert.are.equal("[2].last_used: expected an epoch in seconds, got string", err)
    v, err, why = core.decode('{"key":5}', "user_token")
    assert.is_nil(v)
    assert.are.equal("model", why)
    assert.are.equal("key: expected a string, got number", err)
  end)

  it("knows no privileges in a user token: they are the server's own field, kept as given", function()
    local t = assert(core.decode('{"name":"u","privileges":"anything"}', "user_token"))
    assert.are.equal("anything", t.privileges)
    assert.are.equal('{"name":"u"}', core.encode_token(t, { model = "user_apitoken" }))
  end)

  it("refuses a shape it does not know", function()
    assert.has_error(function() core.decode("{}", "user_tokenz") end)
  end)
end)
