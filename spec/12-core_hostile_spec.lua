-- mistapi.core against hostile answers and hostile Lua callers: whatever a
-- server sends or a caller's tables and callbacks do, the core answers or
-- raises a clear error, in time and memory linear in the input, and never
-- crashes its host. Servers: spec/support/raw_server.lua and the static nginx.
local core = require "mistapi.core"
local raw = require "support.raw_server"

-- Bytes the Lua heap grew by while fn ran, with the collector stopped, so
-- garbage counts too: quadratic work shows up as quadratic garbage, with
-- no clock involved.
local unpack = table.unpack or unpack -- luacheck: ignore

local function heap_growth(fn)
  collectgarbage("collect")
  collectgarbage("stop")
  local before = collectgarbage("count")
  local results = { n = 0 }
  local function keep(...)
    results = { n = select("#", ...), ... }
  end
  keep(fn())
  local grown = (collectgarbage("count") - before) * 1024
  collectgarbage("restart")
  return grown, unpack(results, 1, results.n)
end

describe("core: a hostile server's headers", function()
  it("a header repeated 8192 times is joined in memory linear in its size", function()
    local lines = {}
    for i = 1, 8192 do lines[i] = "X-Rep: v" .. (i % 10) .. "\r\n" end
    local head = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" .. table.concat(lines) .. "\r\nok"
    local srv = raw.start { { chunks = { head } } }
    local s = core.session { allow_http = true, timeout = 20 }
    local grown, status, headers = heap_growth(function()
      return s:request("GET", srv.url .. "/")
    end)
    s:close()
    srv:stop()
    assert.equals(200, status)
    local value = headers["x-rep"]
    assert.equals(8192 * 4 - 2, #value)
    assert.equals("v1, v2, v3", value:sub(1, 10))
    -- joining onto the growing value at each repeat made ~100 MB of garbage
    assert.is_true(grown < 1048576 + 16 * #head, ("heap grew by %d bytes"):format(grown))
  end)

  it("folded lines of a repeated header still join to the header they follow", function()
    local head = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-A: one\r\nX-B: b\r\nX-A: two\r\n  more\r\n" ..
      "\tand more\r\nX-C:\r\nX-C: c\r\n\r\n"
    local srv = raw.start { { chunks = { head } } }
    local s = core.session { allow_http = true, timeout = 20 }
    local status, headers = s:request("GET", srv.url .. "/")
    s:close()
    srv:stop()
    assert.equals(200, status)
    assert.equals("one, two more and more", headers["x-a"])
    assert.equals("b", headers["x-b"])
    assert.equals(", c", headers["x-c"])
  end)
end)

describe("core: decode's limits", function()
  local function page(n)
    return "[" .. ("{},"):rep(n - 1) .. "{}]"
  end

  it("a token list with more items than asked for is a 'limit' refusal", function()
    local v, msg, why = core.decode(page(101), "tokens", { max_items = 100 })
    assert.is_nil(v)
    assert.equals("limit", why)
    assert.matches("more than the 100 items asked for", msg)
    v = assert(core.decode(page(100), "tokens", { max_items = 100 }))
    assert.equals(100, #v)
    -- a page paged by a body link counts its results the same way
    v, msg, why = core.decode('{"results":' .. page(3) .. ',"next":null}', "tokens", { max_items = 2 })
    assert.is_nil(v)
    assert.equals("limit", why)
    assert.matches("more than the 2 items", msg)
  end)

  -- Under the sanitizers (MISTAPI_SANITIZED=1) 2 MiB: their allocators keep
  -- what is freed, and hundreds of MiB held back would skew later specs'
  -- memory gauges. The budget is the same rule at any size.
  local MIB = os.getenv("MISTAPI_SANITIZED") == "1" and 2 or 16

  it("16 MiB of empty tables is refused within a few times its size", function()
    for _, shape in ipairs { "tokens", false } do
      local text = ("[" .. ("[],"):rep(MIB * 349525)):sub(1, -2) .. "]"
      if shape then text = text:gsub("%[%]", "{}") end
      local grown, v, msg, why = heap_growth(function()
        return core.decode(text, shape or nil)
      end)
      assert.is_nil(v)
      assert.equals("limit", why)
      assert.matches("max_decoded", msg)
      -- the default budget is 4 times the text plus 4 MiB; before it, 2.7 GB
      assert.is_true(grown < 4 * #text + 6 * 1048576, ("heap grew by %d bytes for %d"):format(grown, #text))
      text = nil -- luacheck: ignore
      collectgarbage("collect")
    end
  end)

  it("the caller's max_decoded holds a small answer too; real answers fit the default", function()
    local tok = '{"id":"5a4e1c7e-1f3c-4a7e-9a1b-2c3d4e5f6a7b","name":"t","created_time":1700000000,' ..
      '"privileges":[{"role":"admin","scope":"org"}],"src_ips":["10.0.0.0/8"]}'
    local list = "[" .. (tok .. ","):rep(999) .. tok .. "]"
    assert.equals(1000, #assert(core.decode(list, "tokens", { max_items = 1000 })))
    local v, msg, why = core.decode(list, "tokens", { max_decoded = 65536 })
    assert.is_nil(v)
    assert.equals("limit", why)
    assert.matches("max_decoded %(65536 bytes%)", msg)
    assert.is_nil(core.decode("[1,2,3]", nil, { max_decoded = 1 }))
  end)

  it("raises on a limit that is no whole number from 1", function()
    for _, bad in ipairs { 0, -1, 1.5, "10", 1e300, 0 / 0 } do
      assert.has_error(function() core.decode("[]", nil, { max_items = bad }) end)
      assert.has_error(function() core.decode("[]", nil, { max_decoded = bad }) end)
    end
    assert.has_error(function() core.decode("[]", nil, "limits") end)
  end)
end)

describe("core: session:batch against a hostile caller", function()
  local static = require "support.static_nginx"
  local srv

  setup(function() srv = static.start() end)
  teardown(function() if srv then srv:stop() end end)

  it("reads each request field once: a shifty __index can't change what is sent", function()
    local s = core.session { allow_http = true, timeout = 5 }
    local reads = {}
    local answers = {
      method = { "PUT", "PATCH", 42 },
      url = { srv.url .. "/echo?first", "http://127.0.0.1:1/second", false },
      headers = { { ["X-Custom"] = "first" }, { ["X-Custom"] = "a\r\nb" }, "headers" },
      body = { "first", {}, 7 },
    }
    local item = setmetatable({}, { __index = function(_, k)
      reads[k] = (reads[k] or 0) + 1
      local list = answers[k]
      return list and list[math.min(reads[k], #list)]
    end })
    local r = s:batch({ item }, 1)
    s:close()
    assert.same({ method = 1, url = 1, headers = 1, body = 1 }, reads)
    assert.equals(200, r[1].status)
    assert.equals("PUT", r[1].headers["x-echo-method"])
    assert.equals("first", r[1].headers["x-echo-custom"])
    assert.equals("first", r[1].body)
  end)
end)
