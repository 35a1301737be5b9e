-- mistapi.core against hostile answers and hostile Lua callers: whatever a
-- server sends or a caller's tables and callbacks do, the core answers or
-- raises a clear error, in time and memory linear in the input, and never
-- crashes its host. Servers: spec/support/raw_server.lua and the static nginx.
local core = require "mistapi.core"
local raw = require "support.raw_server"

-- Bytes the Lua heap grew by while fn ran, with the collector stopped, so
-- garbage counts too: quadratic work shows up as quadratic garbage, with
-- no clock involved.
local function heap_growth(fn)
  collectgarbage("collect")
  collectgarbage("stop")
  local before = collectgarbage("count")
  local results = table.pack(fn())
  local grown = (collectgarbage("count") - before) * 1024
  collectgarbage("restart")
  return grown, table.unpack(results, 1, results.n)
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
