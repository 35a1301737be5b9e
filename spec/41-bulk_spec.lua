-- Bulk gets and deletes: many at once, in input order, one error per failed item.
local mistapi = require "mistapi"
local errors = require "mistapi.errors"
local emu = require "support.emulator"

local e, client, tokens

setup(function()
  e = emu.start()
  client = assert(mistapi.new { base_url = e.url, token = e.token, retry_base = 0.01, retry_cap = 0.05 })
  tokens = client:orgs_api_tokens()
end)

teardown(function()
  if client then client:close() end
  if e then e:stop() end
end)

before_each(function() e:reset() end)

local MISSING = "00000000-0000-4000-8000-0000000000ff"

describe("get_org_api_tokens", function()
  it("gets many tokens, results in input order", function()
    local ids = e:seed(20)
    local seen = {}
    local res = assert(tokens:get_org_api_tokens(e.org_id, ids, {
      concurrency = 8, progress = function(p) seen[#seen + 1] = p.done end }))
    assert.same(20, #res.data)
    for i, id in ipairs(ids) do assert.same(id, res.data[i].id) end
    assert.same(0, res.failed)
    assert.same(20, #seen)
    assert.same(20, seen[#seen])
    assert.same(20, #e:log())
  end)

  it("fails one item without failing the rest", function()
    local ids = e:seed(3)
    table.insert(ids, 2, MISSING)
    local res = assert(tokens:get_org_api_tokens(e.org_id, ids))
    assert.same(1, res.failed)
    assert.is_false(res.data[2])
    assert.is_true(errors.is_error(res.errors[2]))
    assert.same(404, res.errors[2].status)
    assert.same(ids[1], res.data[1].id)
    assert.same(ids[4], res.data[4].id)
  end)

  it("tries again what may be tried again, as single calls do", function()
    local ids = e:seed(6)
    e:fault { kind = "status", status = 503, count = 2 }
    local res = assert(tokens:get_org_api_tokens(e.org_id, ids, { concurrency = 3 }))
    assert.same(0, res.failed)
    assert.same(8, res.attempts)
    assert.same(8, #e:log())
  end)

  it("moves to the next token at once when an item meets a 429, as a single call does", function()
    local ids = e:seed(4)
    local second = assert(tokens:create_org_api_token(e.org_id, { name = "second admin",
      privileges = { { role = "admin", scope = "org" } } }))
    local c = assert(mistapi.new { base_url = e.url, tokens = { e.token, second.data.key },
      retry_base = 10, retry_cap = 60 })
    e:clear_log()
    e:fault { kind = "status", status = 429, retry_after = 30, count = 1, method = "GET" }
    local res = assert(c:orgs_api_tokens():get_org_api_tokens(e.org_id, ids, { concurrency = 4 }))
    c:close()
    assert.same(0, res.failed)
    assert.same(5, res.attempts)
    local by_second = 0
    for _, entry in ipairs(e:log()) do
      if entry.token_id == second.data.id then by_second = by_second + 1 end
    end
    assert.same(1, by_second)   -- the item that met the 429, sent again with the second token
  end)

  it("checks every id before sending anything", function()
    local ids = e:seed(2)
    e:clear_log()
    ids[3] = "nope"
    local res, err = tokens:get_org_api_tokens(e.org_id, ids)
    assert.is_nil(res)
    assert.same("validation", err.kind)
    assert.matches("^ids%[3%]", err.message)
    assert.same(0, #e:log())
  end)

  it("raises on misuse", function()
    assert.has_error(function() tokens:get_org_api_tokens(e.org_id, "id") end)
    assert.has_error(function() tokens:get_org_api_tokens(e.org_id, {}, { concurrency = 0 }) end)
    assert.has_error(function() tokens:get_org_api_tokens(e.org_id, { 1 }) end)
  end)
end)

describe("delete_org_api_tokens", function()
  it("deletes many, reporting each", function()
    local ids = e:seed(10)
    ids[#ids + 1] = MISSING
    local res = assert(tokens:delete_org_api_tokens(e.org_id, ids, { concurrency = 4 }))
    for i = 1, 10 do assert.is_true(res.data[i]) end
    assert.is_false(res.data[11])
    assert.same(404, res.errors[11].status)
    local left = assert(tokens:list_all_org_api_tokens(e.org_id)).data
    for _, t in ipairs(left) do
      for i = 1, 10 do assert.are_not.equal(ids[i], t.id) end
    end
  end)
end)
