-- A list that never ends: a server whose `next` link points at the list
-- itself. The walk stops at max_pages with an error; it never loops for ever,
-- and never hands back the pages so far as if they were the whole list.
local fresh_client = require "support.fresh_client"
local cjson = require "cjson"

describe("a list whose next link points at itself", function()
  local fresh = fresh_client.new { max_retries = 0 }
  local e, tokens

  setup(function() e = fresh:start() end)
  teardown(function() fresh:stop() end)
  before_each(function() tokens = fresh:renew():orgs_api_tokens() end)

  -- The next `pages` GETs of the list answer one token and a `next` that is
  -- the list's own path; after them the emulator answers the real, last page.
  local function loop_for(pages)
    local _, list = e:api("GET", e:tokens_path())
    local body = cjson.encode { results = { list[1] }, next = e:tokens_path() }
    e:fault { kind = "raw", body = body, count = pages, method = "GET", path = e:tokens_path(),
      headers = { ["Content-Type"] = "application/json" } }
    e:clear_log()
  end

  local function gets() return #e:requests("GET", "/apitokens") end

  it("list_all stops at max_pages with a decode error, not a partial list", function()
    loop_for(50)
    local res, err = tokens:list_all_org_api_tokens(e.org_id, { max_pages = 5 })
    assert.is_nil(res)
    assert.equal("decode", err.kind)
    assert.matches("did not end after 5 pages", err.message, 1, true)
    assert.equal(5, err.pages)
    assert.equal(5, gets())
  end)

  it("each raises the same error after max_pages, having handed over what came", function()
    loop_for(50)
    local seen = 0
    local ok, err = pcall(function()
      for _ in tokens:each_org_api_token(e.org_id, { max_pages = 3 }) do seen = seen + 1 end
    end)
    assert.is_false(ok)
    assert.equal("decode", err.kind)
    assert.equal(3, seen)
    assert.equal(3, gets())
  end)

  it("a list that ends within max_pages is whole", function()
    loop_for(2)
    local res = assert(tokens:list_all_org_api_tokens(e.org_id, { max_pages = 5 }))
    -- two looping pages of one token each, then the real page with the bootstrap token
    assert.equal(3, #res.data)
    assert.equal(3, res.pages)
  end)

  it("max_pages is checked like limit and page", function()
    local res, err = tokens:list_all_org_api_tokens(e.org_id, { max_pages = 0 })
    assert.is_nil(res)
    assert.equal("validation", err.kind)
    assert.matches("max_pages", err.message, 1, true)
    assert.has_error(function() tokens:list_all_org_api_tokens(e.org_id, { max_pages = "5" }) end,
      "max_pages must be a number")
  end)
end)
