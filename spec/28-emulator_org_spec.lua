-- The emulator's org around the tokens: GET the org, its sites and site groups, the
-- control calls that add and remove them and backdate tokens, and /api/v1/self with
-- the names its privileges carry.
local emu = require "support.emulator"

local UUID = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"
local OTHER_ORG = "6e0a3e6c-7a3a-4d3b-9d7e-2f1f0c9b1a11"

describe("emulator org, sites and site groups", function()
  local e
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function() e:reset() end)

  local function org_path(rest)
    return "/api/v1/orgs/" .. e.org_id .. (rest or "")
  end

  it("answers GET /api/v1/orgs/{org_id} with the org's id and name", function()
    local status, org, _, raw = e:api("GET", org_path())
    assert.equal(200, status)
    assert.equal(e.org_id, org.id)
    assert.equal("Emulated Org", org.name)
    assert.matches('"orggroup_ids":%[%]', raw)
    e:name_org("Acme Corp")
    assert.equal("Acme Corp", select(2, e:api("GET", org_path())).name)
    assert.equal(404, (e:api("GET", "/api/v1/orgs/" .. OTHER_ORG)))
    assert.equal(404, (e:api("GET", "/api/v1/orgs/nope")))
  end)

  it("lets any org-scope token read the org, and no site-scope one", function()
    local site = e:add_site{ name = "HQ" }
    local ro = e:make_token{ privileges = { { role = "read", scope = "org" } } }
    local on_site = e:make_token{ privileges = { { role = "admin", scope = "site", site_id = site.id } } }
    assert.equal(200, (e:api("GET", org_path(), nil, ro.key)))
    assert.equal(200, (e:api("GET", org_path("/sites"), nil, ro.key)))
    assert.equal(403, (e:api("GET", org_path(), nil, on_site.key)))
    assert.equal(403, (e:api("GET", org_path("/sitegroups"), nil, on_site.key)))
    -- another org's token sees nothing of this org
    local stranger = e:make_token{ org_id = OTHER_ORG }
    assert.equal(403, (e:api("GET", org_path(), nil, stranger.key)))
    assert.equal(200, (e:api("GET", "/api/v1/orgs/" .. OTHER_ORG, nil, stranger.key)))
  end)

  it("lists sites and site groups the control API added, and forgets removed ones", function()
    local status, sites = e:api("GET", org_path("/sites"))
    assert.equal(200, status)
    assert.same({}, sites)
    local g = e:add_sitegroup{ name = "West" }
    local a = e:add_site{ name = "HQ", sitegroup_ids = { g.id } }
    local b = e:add_site{ id = "11111111-2222-4333-8444-555555555555" }
    assert.matches(UUID, a.id)
    assert.equal("11111111-2222-4333-8444-555555555555", b.id)
    local h, raw
    status, sites, h, raw = e:api("GET", org_path("/sites"))
    assert.equal(200, status)
    assert.same({ a.id, b.id }, { sites[1].id, sites[2].id })
    assert.equal("HQ", sites[1].name)
    assert.equal(e.org_id, sites[1].org_id)
    assert.same({ g.id }, sites[1].sitegroup_ids)
    assert.matches('"sitegroup_ids":%[%]', raw)
    assert.equal("2", h["x-page-total"])
    local groups
    status, groups = e:api("GET", org_path("/sitegroups"))
    assert.equal(200, status)
    assert.equal("West", groups[1].name)
    assert.same({ a.id }, groups[1].site_ids)
    e:remove_site(a.id)
    local _
    _, sites = e:api("GET", org_path("/sites"))
    assert.same({ b.id }, { sites[1].id })
    assert.equal(1, #sites)
    _, groups = e:api("GET", org_path("/sitegroups"))
    assert.same({}, groups[1].site_ids)
    e:remove_sitegroup(g.id)
    _, groups = e:api("GET", org_path("/sitegroups"))
    assert.same({}, groups)
    assert.has_error(function() e:remove_site(a.id) end)
  end)

  it("pages the sites list with limit and page, as the spec declares", function()
    for i = 1, 5 do
      e:add_site{ name = "s" .. i }
    end
    local status, sites, h = e:api("GET", org_path("/sites?limit=2&page=3"))
    assert.equal(200, status)
    assert.equal(1, #sites)
    assert.equal("s5", sites[1].name)
    assert.equal("5", h["x-page-total"])
    assert.equal(400, (e:api("GET", org_path("/sites?limit=x"))))
  end)

  it("keeps sites per org", function()
    e:make_token{ org_id = OTHER_ORG }
    e:add_site{ name = "theirs", org_id = OTHER_ORG }
    local _, sites = e:api("GET", org_path("/sites"))
    assert.same({}, sites)
    assert.has_error(function() e:remove_site(e:add_site{}.id, OTHER_ORG) end)
  end)

  it("refuses bad site fields in the control API", function()
    assert.has_error(function() e:add_site{ id = "nope" } end)
    assert.has_error(function() e:add_site{ name = 7 } end)
    assert.has_error(function() e:add_site{ sitegroup_ids = { "x" } } end)
    assert.has_error(function() e:add_site{ org_id = "x" } end)
    local s = e:add_site{}
    assert.has_error(function() e:add_site{ id = s.id } end)
    assert.has_error(function() e:remove_site("nope") end)
  end)

  it("backdates a token's created_time and last_used, and clears last_used", function()
    local t = e:make_token{ name = "old" }
    local shown = e:set_token_times(t.id, { created_time = 1600000000, last_used = 1650000000 })
    assert.equal(1600000000, shown.created_time)
    assert.equal(1650000000, shown.last_used)
    assert.matches("^%w%w%w%w%.%.%.%w%w%w%w$", shown.key)
    local _, got = e:api("GET", e:tokens_path(t.id))
    assert.equal(1600000000, got.created_time)
    assert.equal(1650000000, got.last_used)
    e:set_token_times(t.id, { last_used = false })
    local _, _, _, raw = e:api("GET", e:tokens_path(t.id))
    assert.matches('"last_used":null', raw)
    assert.matches('"created_time":1600000000', raw)
    -- a user's own token too
    local mine = e:make_self_token{ name = "mine" }
    assert.equal(1500000000, e:set_token_times(mine.id, { created_time = 1500000000 }).created_time)
    assert.has_error(function() e:set_token_times(t.id, { created_time = "yesterday" }) end)
    assert.has_error(function() e:set_token_times(t.id, { created_time = 1.5 }) end)
    assert.has_error(function() e:set_token_times("6e0a3e6c-7a3a-4d3b-9d7e-2f1f0c9b1a12", { last_used = 1 }) end)
  end)

  it("forgets sites, site groups and the org's name on reset", function()
    e:add_site{}
    e:add_sitegroup{}
    e:name_org("Renamed")
    e:reset()
    assert.same({}, select(2, e:api("GET", org_path("/sites"))))
    assert.same({}, select(2, e:api("GET", org_path("/sitegroups"))))
    assert.equal("Emulated Org", select(2, e:api("GET", org_path())).name)
  end)

  describe("/api/v1/self", function()
    it("shows an org token its own privileges, each with its org's or site's name", function()
      local site = e:add_site{ name = "HQ" }
      local g = e:add_sitegroup{ name = "West" }
      e:name_org("Acme")
      local t = e:make_token{ name = "scoped", privileges = {
        { role = "read", scope = "org" },
        { role = "write", scope = "site", site_id = site.id },
        { role = "helpdesk", scope = "sitegroup", sitegroup_id = g.id },
      } }
      local status, me = e:api("GET", "/api/v1/self", nil, t.key)
      assert.equal(200, status)
      assert.equal("scoped", me.name)
      assert.same({ role = "read", scope = "org", org_id = e.org_id, name = "Acme" }, me.privileges[1])
      assert.same({ role = "write", scope = "site", site_id = site.id, org_id = e.org_id, name = "HQ",
        org_name = "Acme" }, me.privileges[2])
      assert.same({ role = "helpdesk", scope = "sitegroup", sitegroup_id = g.id, org_id = e.org_id,
        name = "West", org_name = "Acme" }, me.privileges[3])
      -- a gone site leaves the privilege without a name
      e:remove_site(site.id)
      local _
      _, me = e:api("GET", "/api/v1/self", nil, t.key)
      assert.is_nil(me.privileges[2].name)
      assert.equal(site.id, me.privileges[2].site_id)
    end)

    it("shows a user's own token its user, privileges named as the user's are", function()
      local t = e:make_self_token{ name = "mine" }
      local status, me = e:api("GET", "/api/v1/self", nil, t.key)
      assert.equal(200, status)
      assert.equal(e.email, me.email)
      assert.same({ { role = "admin", scope = "org", org_id = e.org_id, name = "Emulated Org" } }, me.privileges)
    end)

    it("shows the user (Basic auth) all the fields a client reads", function()
      local status, me, _, raw = e:api("GET", "/api/v1/self", nil, false, { Authorization = e:basic() })
      assert.equal(200, status)
      assert.equal(e.email, me.email)
      assert.is_string(me.phone)
      assert.is_false(me.via_sso)
      assert.matches('"tags":%[%]', raw)
      assert.is_false(me.two_factor_required)
      assert.is_false(me.two_factor_passed)
      assert.equal(1440, me.session_expiry)
      assert.same({ { role = "admin", scope = "org", org_id = e.org_id, name = "Emulated Org" } }, me.privileges)
    end)
  end)
end)
