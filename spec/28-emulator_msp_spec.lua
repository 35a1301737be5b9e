-- The emulator's fleet: an MSP holding many orgs with seeded tokens, the built-in user's
-- privileges naming them (org and MSP scope) as /api/v1/self shows them, the MSP's orgs
-- paged as Mist pages a list, and who may reach which org.
local emu = require "support.emulator"

describe("emulator MSP and many orgs", function()
  local e
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function() e:reset() end)

  local function as_user(method, path, key)
    if key then return e:api(method, path, nil, key) end
    return e:api(method, path, nil, false, { Authorization = e:basic() })
  end

  it("lists an MSP's 250 orgs page by page, with their names and seeded tokens", function()
    local msp = e:add_msp{ name = "Acme MSP" }
    local ids = e:add_orgs(250, { msp_id = msp.id, name_prefix = "client-", tokens = 3 })
    assert.equal(250, #ids)
    e:set_user_privileges{ { scope = "msp", role = "admin", msp_id = msp.id } }
    local seen = {}
    for page = 1, 3 do
      local status, orgs, h = as_user("GET", "/api/v1/msps/" .. msp.id .. "/orgs?limit=100&page=" .. page)
      assert.equal(200, status)
      assert.equal("250", h["x-page-total"])
      assert.equal(page < 3 and 100 or 50, #orgs)
      for _, o in ipairs(orgs) do
        seen[#seen + 1] = o.id
        assert.equal(msp.id, o.msp_id)
      end
    end
    assert.same(ids, seen)
    local _, first = as_user("GET", "/api/v1/msps/" .. msp.id .. "/orgs?limit=1")
    assert.equal("client-1", first[1].name)
    -- an MSP admin manages every org of the MSP: 3 seeded tokens each
    local status, tokens = as_user("GET", e:tokens_path(nil, ids[250]))
    assert.equal(200, status)
    assert.equal(3, #tokens)
    assert.equal(ids[250], tokens[1].org_id)
  end)

  it("shows the user's org and MSP privileges in /self, with names", function()
    local msp = e:add_msp{ name = "Acme MSP" }
    local a = e:add_orgs(1, { msp_id = msp.id, name_prefix = "in-msp-" })[1]
    local b = e:add_orgs(1, { name_prefix = "alone-", tokens = 0 })[1]
    e:set_user_privileges{
      { scope = "msp", role = "read", msp_id = msp.id },
      { scope = "org", role = "admin", org_id = b },
      { scope = "org", role = "write", org_id = a },
    }
    local status, me = as_user("GET", "/api/v1/self")
    assert.equal(200, status)
    assert.same({ scope = "msp", role = "read", msp_id = msp.id, name = "Acme MSP" }, me.privileges[1])
    assert.same({ scope = "org", role = "admin", org_id = b, name = "alone-1" }, me.privileges[2])
    assert.same({ scope = "org", role = "write", org_id = a, name = "in-msp-1", msp_id = msp.id,
      msp_name = "Acme MSP" }, me.privileges[3])
    -- an org with no token is known: its empty token list
    local s2, tokens = as_user("GET", e:tokens_path(nil, b))
    assert.equal(200, s2)
    assert.same({}, tokens)
  end)

  it("lets the user reach only the orgs its privileges name, and the token of an org none", function()
    local msp = e:add_msp{}
    local other = e:add_msp{}
    local mine = e:add_orgs(2, { msp_id = msp.id })
    local theirs = e:add_orgs(1, { msp_id = other.id })[1]
    local lone = e:add_orgs(1)[1]
    local self_token = e:make_self_token{ name = "fleet" }
    e:set_user_privileges{ { scope = "msp", role = "admin", msp_id = msp.id } }
    for _, key in ipairs { false, self_token.key } do
      assert.equal(200, (as_user("GET", e:tokens_path(nil, mine[2]), key or nil)))
      assert.equal(403, (as_user("GET", e:tokens_path(nil, theirs), key or nil)))
      assert.equal(403, (as_user("GET", e:tokens_path(nil, lone), key or nil)))
      -- the bootstrap org is no longer the user's: its privileges were replaced
      assert.equal(403, (as_user("GET", e:tokens_path(), key or nil)))
      assert.equal(403, (as_user("GET", "/api/v1/msps/" .. other.id .. "/orgs", key or nil)))
    end
    -- a read-only MSP privilege reads its orgs but does not manage their tokens
    e:set_user_privileges{ { scope = "msp", role = "read", msp_id = msp.id } }
    assert.equal(200, (as_user("GET", "/api/v1/orgs/" .. mine[1])))
    assert.equal(403, (as_user("GET", e:tokens_path(nil, mine[1]))))
    -- an org token never lists an MSP's orgs
    assert.equal(403, (e:api("GET", "/api/v1/msps/" .. msp.id .. "/orgs")))
    assert.equal(404, (as_user("GET", "/api/v1/msps/" .. e.org_id .. "/orgs")))
  end)

  it("refuses a fleet it can't make, and a reset forgets the fleet", function()
    assert.has_error(function() e:add_orgs(0) end)
    assert.has_error(function() e:add_orgs(1, { msp_id = e.org_id }) end)
    assert.has_error(function() e:set_user_privileges{ { scope = "site", role = "admin", org_id = e.org_id } } end)
    assert.has_error(function() e:set_user_privileges{ { scope = "msp", role = "admin", msp_id = e.org_id } } end)
    local msp = e:add_msp{}
    local org = e:add_orgs(1, { msp_id = msp.id })[1]
    e:set_user_privileges{ { scope = "msp", role = "admin", msp_id = msp.id } }
    e:reset()
    local _, me = as_user("GET", "/api/v1/self")
    assert.same({ { scope = "org", role = "admin", org_id = e.org_id, name = "Emulated Org" } }, me.privileges)
    assert.equal(404, (as_user("GET", e:tokens_path(nil, org))))
    assert.equal(200, (as_user("GET", e:tokens_path())))
  end)

  it("takes ids in any case: privileges stored lower-cased, an MSP's orgs listed by its id in capitals", function()
    local msp = e:add_msp{ name = "Acme MSP" }
    local ids = e:add_orgs(2, { msp_id = msp.id })
    local lone = e:add_orgs(1)[1]
    e:set_user_privileges{ { scope = "msp", role = "admin", msp_id = msp.id:upper() },
      { scope = "org", role = "admin", org_id = lone:upper() } }
    local _, me = as_user("GET", "/api/v1/self")
    assert.equal(msp.id, me.privileges[1].msp_id)
    assert.equal(lone, me.privileges[2].org_id)
    assert.equal(200, (as_user("GET", e:tokens_path(nil, lone))))
    local status, orgs = as_user("GET", "/api/v1/msps/" .. msp.id:upper() .. "/orgs")
    assert.equal(200, status)
    assert.same(ids, { orgs[1].id, orgs[2].id })
  end)

  it("seeds one token an org by default, none when asked, and an MSP made again keeps its orgs", function()
    local msp = e:add_msp{ name = "Acme MSP" }
    local one = e:add_orgs(1, { msp_id = msp.id })[1]
    local none = e:add_orgs(1, { msp_id = msp.id, tokens = 0 })[1]
    e:set_user_privileges{ { scope = "msp", role = "admin", msp_id = msp.id } }
    assert.equal(1, #select(2, as_user("GET", e:tokens_path(nil, one))))
    assert.same({}, select(2, as_user("GET", e:tokens_path(nil, none))))
    assert.same({ id = msp.id, name = "Renamed" }, e:add_msp{ id = msp.id, name = "Renamed" })
    local _, orgs = as_user("GET", "/api/v1/msps/" .. msp.id .. "/orgs")
    assert.same({ one, none }, { orgs[1].id, orgs[2].id })
  end)
end)
