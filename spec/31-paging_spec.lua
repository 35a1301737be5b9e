-- Pagination against the emulator: header paging and body `next` links, the
-- iterator and the whole-list helper, progress, option checks, early break.
local emu = require "support.emulator"
local mistapi = require "mistapi"

local SEEDED = 2500
local ALL = SEEDED + 1   -- and the emulator's bootstrap token

local function no_env() return nil end

-- Every id once, and how many there were.
local function distinct(list)
  local seen, n = {}, 0
  for _, t in ipairs(list) do
    assert.is_string(t.id)
    assert.is_nil(seen[t.id], "duplicate " .. t.id)
    seen[t.id] = true
    n = n + 1
  end
  return n
end

describe("paging through 2,500 tokens", function()
  local e, client, tokens

  setup(function()
    e = emu.start()
    e:seed(SEEDED)
    client = assert(mistapi.new { base_url = e.url, token = e.token, getenv = no_env })
    tokens = client:orgs_api_tokens()
  end)
  teardown(function()
    client:close()
    e:stop()
  end)
  before_each(function()
    e:config { paging = "headers" }
    e:clear_faults()
    e:clear_log()
  end)

  for _, style in ipairs { "headers", "next" } do
    describe("with " .. style .. " paging", function()
      before_each(function() e:config { paging = style } end)

      it("each_org_api_token walks every token of every page", function()
        local got = {}
        for token in tokens:each_org_api_token(e.org_id) do got[#got + 1] = token end
        assert.same(ALL, distinct(got))
        assert.same(26, #e:log())
      end)

      it("list_all_org_api_tokens returns the whole list with progress", function()
        local seen = {}
        local res, err = tokens:list_all_org_api_tokens(e.org_id, {
          limit = 1000, progress = function(p) seen[#seen + 1] = p end })
        assert.is_nil(err)
        assert.same(ALL, distinct(res.data))
        assert.same(3, #seen)
        assert.same({ pages = 1, items = 1000, total = ALL }, seen[1])
        assert.same({ pages = 3, items = ALL, total = ALL }, seen[3])
      end)

      it("starts from the page asked for", function()
        local res = assert(tokens:list_all_org_api_tokens(e.org_id, { limit = 1000, page = 3 }))
        assert.same(ALL - 2000, #res.data)
      end)
    end)
  end

  it("takes a plain array without paging headers as the only page", function()
    e:fault { kind = "raw", method = "GET", body = '[{"id":"497f6eca-6276-4993-bfeb-53efbbba6f08","name":"only"}]' }
    local res = assert(tokens:list_all_org_api_tokens(e.org_id))
    assert.same(1, #res.data)
    assert.same("only", res.data[1].name)
    assert.same(1, #e:log())
  end)

  it("the whole list's result carries attempts (every try of every page), token_index and pages", function()
    e:fault { kind = "status", status = 503, method = "GET", count = 1 }
    local res = assert(tokens:list_all_org_api_tokens(e.org_id, { limit = 1000 }))
    assert.same(ALL, #res.data)
    assert.same(200, res.status)
    assert.same(3, res.pages)
    assert.same(4, res.attempts, "three pages, one of them tried twice")
    assert.same(1, res.token_index)
    assert.same(tostring(ALL), res.headers["x-page-total"])
  end)

  it("the iterator raises the error of a page that fails; the whole list returns it", function()
    local n = 0
    local ok, err = pcall(function()
      for _ in tokens:each_org_api_token(e.org_id) do
        n = n + 1
        if n == 150 then e:fault { kind = "status", status = 403, method = "GET" } end
      end
    end)
    assert.is_false(ok)
    assert.is_true(mistapi.errors.is_error(err))
    assert.is_true(err:is_forbidden())
    assert.same(200, n)

    e:fault { kind = "status", status = 401, method = "GET" }
    local res, lerr = tokens:list_all_org_api_tokens(e.org_id)
    assert.is_nil(res)
    assert.is_true(lerr:is_unauthorized())
  end)

  it("refuses a limit or a page out of range before sending anything", function()
    for _, bad in ipairs { { limit = 0 }, { limit = 1001 }, { limit = 1.5 }, { limit = -1 },
                           { page = 0 }, { page = 1.5 }, { page = -1 } } do
      local res, err = tokens:list_all_org_api_tokens(e.org_id, bad)
      assert.is_nil(res)
      assert.same("validation", err.kind)
      res, err = tokens:list_org_api_tokens(e.org_id, bad)
      assert.is_nil(res)
      assert.same("validation", err.kind)
      local ok, raised = pcall(tokens.each_org_api_token, tokens, e.org_id, bad)
      assert.is_false(ok)
      assert.same("validation", raised.kind)
    end
    assert.same(0, #e:log())
  end)

  it("raises on options of the wrong type", function()
    assert.has_error(function() tokens:list_all_org_api_tokens(e.org_id, { limit = "10" }) end)
    assert.has_error(function() tokens:list_org_api_tokens(e.org_id, { page = true }) end)
    assert.has_error(function() tokens:each_org_api_token(e.org_id, { progress = 1 }) end)
    assert.has_error(function() tokens:list_all_org_api_tokens(e.org_id, "all") end)
    assert.has_error(function() tokens:each_org_api_token(42) end)
  end)

  it("closes the walk when a for loop breaks (Lua 5.4)", function()
    if _VERSION ~= "Lua 5.4" then
      pending("to-be-closed variables need Lua 5.4")
      return
    end
    local f, s, c, closer = tokens:each_org_api_token(e.org_id, { limit = 10 })
    assert.is_not_nil(closer)
    local n = 0
    for _ in f, s, c, closer do
      n = n + 1
      if n == 5 then break end
    end
    assert.same(5, n)
    -- closed: the iterator gives nothing more and fetches no other page
    assert.is_nil(f())
    assert.same(1, #e:log())
  end)

  it("without a break the walk keeps going past the first page", function()
    local f = tokens:each_org_api_token(e.org_id, { limit = 10 })
    for _ = 1, 11 do assert.is_table(f()) end
    assert.same(2, #e:log())
  end)
end)
