-- res.headers over the curl transport: the core hands back the header block
-- and the table is made when first read, yet to a caller it is the plain
-- table it always was (lower-cased names, repeats joined, pairs and
-- indexing on Lua 5.4 and LuaJIT), on results, errors and bulk items alike.
local mistapi = require "mistapi"
local static = require "support.static_nginx"

describe("res.headers", function()
  local srv, client

  setup(function()
    srv = static.start()
    client = assert(mistapi.new { base_url = srv.url, token = "t0ken-for-the-static-server", max_retries = 0 })
  end)

  teardown(function()
    if client then client:close() end
    if srv then srv:stop() end
  end)

  it("is a plain table with lower-cased names, repeats joined, the same table on every read", function()
    local res = assert(client:request("GET", "/multi"))
    assert.same({ ok = true }, res.data)
    local h = res.headers
    assert.equals("table", type(h))
    assert.is_nil(getmetatable(h))
    assert.equals("one, two, three", h["x-multi"])
    assert.equals("Kept", h["x-mixed-case"])
    local names = {}
    for name, value in pairs(h) do
      assert.equals(name:lower(), name)
      assert.equals("string", type(value))
      names[name] = true
    end
    assert.is_true(names["x-multi"] and names["content-type"])
    assert.equals(h, res.headers)
    assert.equals(h, rawget(res, "headers"))
  end)

  it("is there on an error's answer", function()
    local res, err = client:request("GET", "/missing")
    assert.is_nil(res)
    assert.equals(404, err.status)
    assert.equals("table", type(err.headers))
    assert.equals("application/json", err.headers["content-type"])
  end)

  it("is there on each result of a bulk call", function()
    local pipeline = client.pipeline
    local bulk = require "mistapi.bulk"
    local items = bulk.run(pipeline, { { method = "GET", path = "/multi" }, { method = "GET", path = "/multi" } },
      { idempotent = true }, { concurrency = 2 })
    for i = 1, 2 do
      assert.equals(200, items[i].status)
      assert.equals("one, two, three", items[i].headers["x-multi"])
    end
  end)
end)
