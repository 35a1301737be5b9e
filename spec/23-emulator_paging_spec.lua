-- The emulator's list paging: limit/page with X-Page-* headers, or a body `next` link;
-- a token list asked for neither answers whole (the spec declares no paging on it), or
-- its first 100 with token_list = "paged".
local emu = require "support.emulator"

describe("emulator list paging", function()
  local e, ids
  setup(function()
    e = emu.start()
    ids = e:seed(250, { name_prefix = "p-" })
  end)
  teardown(function() e:stop() end)
  before_each(function() e:config{ paging = "headers", token_list = "whole" } end)

  local function list(query)
    return e:api("GET", e:tokens_path() .. (query or ""))
  end

  it("answers every token, in creation order, to a list that asks no limit or page", function()
    local status, items, h, raw = list()
    assert.equal(200, status)
    assert.equal(251, #items)
    assert.is_nil(h["x-page-total"])
    assert.is_nil(h["x-page-limit"])
    assert.equal("emulator bootstrap token", items[1].name)
    for i, id in ipairs(ids) do
      assert.equal(id, items[i + 1].id)
    end
    assert.matches("^%[", raw)
  end)

  it("pages a list that asks for a limit or a page, whatever the switch", function()
    local status, items, h = list("?limit=10")
    assert.equal(200, status)
    assert.equal(10, #items)
    assert.equal("251", h["x-page-total"])
    status, items, h = list("?page=3")
    assert.equal(200, status)
    assert.equal(51, #items)
    assert.equal("100", h["x-page-limit"])
  end)

  it("answers the whole list in the next shape too, with no next", function()
    e:config{ paging = "next" }
    local status, body = list()
    assert.equal(200, status)
    assert.equal(251, #body.results)
    assert.equal(251, body.total)
    assert.is_nil(body.next)
  end)

  it("answers 100 by default with the X-Page headers with token_list = paged", function()
    e:config{ token_list = "paged" }
    local status, items, h = list()
    assert.equal(200, status)
    assert.equal(100, #items)
    assert.equal("100", h["x-page-limit"])
    assert.equal("1", h["x-page-page"])
    assert.equal("251", h["x-page-total"])
    assert.equal("emulator bootstrap token", items[1].name)
    assert.equal(ids[1], items[2].id)
  end)

  it("walks pages in creation order, each token once", function()
    local seen, n = {}, 0
    for page = 1, 10 do
      local status, items, h = list("?limit=60&page=" .. page)
      assert.equal(200, status)
      assert.equal(tostring(page), h["x-page-page"])
      for _, t in ipairs(items) do
        assert.is_nil(seen[t.id])
        seen[t.id] = true
        n = n + 1
      end
      if #items < 60 then
        break
      end
    end
    assert.equal(251, n)
    for _, id in ipairs(ids) do
      assert.is_true(seen[id])
    end
  end)

  it("masks every key in a list", function()
    local _, items = list("?limit=5")
    for _, t in ipairs(items) do
      assert.matches("^%w%w%w%w%.%.%.%w%w%w%w$", t.key)
    end
  end)

  it("answers an empty array past the end", function()
    local status, _, h, raw = list("?limit=100&page=9")
    assert.equal(200, status)
    assert.equal("[]", raw)
    assert.equal("251", h["x-page-total"])
  end)

  it("caps limit at 1000", function()
    local _, _, h = list("?limit=5000")
    assert.equal("1000", h["x-page-limit"])
  end)

  it("answers 400 to a limit or page that is no positive integer", function()
    for _, q in ipairs({ "?limit=0", "?limit=x", "?page=0", "?page=-1", "?limit=2.5" }) do
      local status, body = list(q)
      assert.equal(400, status, q)
      assert.matches("^%a+: A valid positive integer is required", body.detail)
    end
  end)

  it("answers a body with results and a next link with paging = next", function()
    e:config{ paging = "next" }
    local status, body, h = list("?limit=100&page=2")
    assert.equal(200, status)
    assert.is_nil(h["x-page-total"])
    assert.equal(100, #body.results)
    assert.equal(251, body.total)
    assert.equal(e:tokens_path() .. "?limit=100&page=3", body.next)
    local n = #body.results
    local _, last = e:api("GET", body.next)
    assert.equal(51, #last.results)
    assert.is_nil(last.next)
    n = n + #last.results
    assert.equal(151, n)
  end)
end)

describe("emulator seeding", function()
  it("creates 20,000 tokens at once, listed 1000 a page", function()
    local e = emu.start()
    finally(function() e:stop() end)
    local ids = e:seed(20000)
    assert.equal(20000, #ids)
    local _, items, h = e:api("GET", e:tokens_path() .. "?limit=1000&page=21")
    assert.equal("20001", h["x-page-total"])
    assert.equal(1, #items)
    assert.equal(ids[20000], items[1].id)
  end)
end)
