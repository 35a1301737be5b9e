-- The library gets every token whichever way the server answers a token list that asks
-- for no paging: whole (the spec declares no limit/page on listOrgApiTokens nor on
-- listApiTokens) or its first page of 100 (what a paged Mist list does); the emulator's
-- token_list switch. Org tokens and a user's own alike.
local emu = require "support.emulator"
local mistapi = require "mistapi"

local SEEDED = 250
local ALL = SEEDED + 1   -- and the emulator's bootstrap token

local function no_env() return nil end

local function ids_of(list)
  local seen, n = {}, 0
  for _, t in ipairs(list) do
    assert.is_nil(seen[t.id], "duplicate " .. tostring(t.id))
    seen[t.id] = true
    n = n + 1
  end
  return seen, n
end

describe("a token list under both token_list switches", function()
  local e, client, tokens, seeded, user_client, mine, mine_seeded

  setup(function()
    e = emu.start()
    seeded = e:seed(SEEDED)
    client = assert(mistapi.new { base_url = e.url, token = e.token, getenv = no_env })
    tokens = client:orgs_api_tokens()
    -- the user's own: one made first (the client's key), then as many as the org has
    local key = e:make_self_token { name = "first" }.key
    mine_seeded = e:seed_self(SEEDED, "mine-")
    user_client = assert(mistapi.new { base_url = e.url, token = key, getenv = no_env })
    mine = user_client:self_api_tokens()
  end)
  teardown(function()
    client:close()
    user_client:close()
    e:stop()
  end)

  local function has_all(list, ids)
    local seen, n = ids_of(list)
    assert.same(ALL, n)
    for _, id in ipairs(ids or seeded) do
      assert.is_true(seen[id], id)
    end
  end

  for _, mode in ipairs { "whole", "paged" } do
    for _, style in ipairs { "headers", "next" } do
      describe("token_list = " .. mode .. ", paging = " .. style, function()
        before_each(function() e:config { token_list = mode, paging = style } end)

        it("each_org_api_token walks every token", function()
          local got = {}
          for token in tokens:each_org_api_token(e.org_id) do got[#got + 1] = token end
          has_all(got)
        end)

        it("list_all_org_api_tokens returns every token", function()
          has_all(assert(tokens:list_all_org_api_tokens(e.org_id)).data)
        end)

        it("each_api_token and list_all_api_tokens return every token of the user's own", function()
          local got = {}
          for token in mine:each_api_token() do got[#got + 1] = token end
          has_all(got, mine_seeded)
          has_all(assert(mine:list_all_api_tokens()).data, mine_seeded)
        end)
      end)
    end
  end

  it("a plain list gets the whole list, or the first 100 with token_list = paged", function()
    e:config { token_list = "whole", paging = "headers" }
    local res = assert(tokens:list_org_api_tokens(e.org_id))
    has_all(res.data)
    e:config { token_list = "paged" }
    res = assert(tokens:list_org_api_tokens(e.org_id))
    assert.same(100, #res.data)
    assert.same("251", res.headers["x-page-total"])
    assert.same(100, #assert(mine:list_api_tokens()).data)
    e:config { token_list = "whole" }
    has_all(assert(mine:list_api_tokens()).data, mine_seeded)
  end)
end)
