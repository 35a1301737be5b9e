-- The emulator's five token operations: answers, validation and their switches.
local emu = require "support.emulator"

local ADMIN = { { role = "admin", scope = "org" } }
local SITE = "11111111-2222-4333-8444-555555555555"
local UUID = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"

describe("emulator tokens", function()
  local e
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function() e:reset() end)

  local function create(body)
    return e:api("POST", e:tokens_path(), body)
  end

  describe("POST", function()
    it("answers the new token with its whole key, once", function()
      local status, t, _, raw = create{ name = "org_token_xyz", privileges = ADMIN,
        src_ips = { "63.3.56.0/24", "63.3.55.4" } }
      assert.equal(200, status)
      assert.matches(UUID, t.id)
      assert.equal(e.org_id, t.org_id)
      assert.equal("org_token_xyz", t.name)
      assert.equal(math.floor(t.created_time), t.created_time)
      assert.is_true(math.abs(t.created_time - os.time()) < 600)
      assert.matches('"created_by":null', raw)
      assert.matches('"last_used":null', raw)
      assert.is_true(#t.key >= 48)
      assert.matches("^%w+$", t.key)
      assert.same({ "63.3.56.0/24", "63.3.55.4" }, t.src_ips)
      assert.same({ { role = "admin", scope = "org", org_id = e.org_id } }, t.privileges)
      local _, again = e:api("GET", e:tokens_path(t.id))
      assert.equal(t.key:sub(1, 4) .. "..." .. t.key:sub(-4), again.key)
    end)

    it("gives every token a fresh id and key", function()
      local _, a = create{ name = "a", privileges = ADMIN }
      local _, b = create{ name = "b", privileges = ADMIN }
      assert.are_not.equal(a.id, b.id)
      assert.are_not.equal(a.key, b.key)
    end)

    it("keeps site and sitegroup ids and views", function()
      local privs = {
        { role = "write", scope = "site", site_id = SITE, views = { "location", "security" } },
        { role = "read", scope = "sitegroup", sitegroup_id = SITE },
      }
      local status, t = create{ name = "scoped", privileges = privs }
      assert.equal(200, status)
      assert.same(privs, t.privileges)
    end)

    local bad = {
      { "no name", { privileges = ADMIN }, "^name: This field is required" },
      { "a blank name", { name = " ", privileges = ADMIN }, "^name: This field may not be blank" },
      { "a name of the wrong type", { name = 5, privileges = ADMIN }, "^name: Not a valid string" },
      { "no privileges", { name = "x" }, "^privileges: This field is required" },
      { "11 privileges", { name = "x", privileges = (function()
        local p = {}
        for i = 1, 11 do
          p[i] = { role = "read", scope = "site", site_id = ("%08d-2222-4333-8444-555555555555"):format(i) }
        end
        return p
      end)() }, "^privileges: Ensure this field has no more than 10" },
      { "repeated privileges", { name = "x", privileges = { ADMIN[1], ADMIN[1] } },
        "^privileges: Items must be unique" },
      { "an unknown role", { name = "x", privileges = { { role = "boss", scope = "org" } } },
        '^privileges%[0%]%.role: "boss" is not a valid choice' },
      { "an unknown scope", { name = "x", privileges = { { role = "read", scope = "planet" } } },
        '^privileges%[0%]%.scope: "planet" is not a valid choice' },
      { "no role", { name = "x", privileges = { { scope = "org" } } },
        "^privileges%[0%]%.role: This field is required" },
      { "site scope without site_id", { name = "x", privileges = { { role = "read", scope = "site" } } },
        "^privileges%[0%]%.site_id: This field is required when scope is site" },
      { "sitegroup scope without sitegroup_id",
        { name = "x", privileges = { { role = "read", scope = "sitegroup" } } },
        "^privileges%[0%]%.sitegroup_id: This field is required" },
      { "site_id on org scope", { name = "x", privileges = { { role = "read", scope = "org", site_id = SITE } } },
        "^privileges%[0%]%.site_id: not allowed when scope is org" },
      { "a site_id that is no UUID", { name = "x", privileges = { { role = "read", scope = "site", site_id = "s1" } } },
        "^privileges%[0%]%.site_id: Must be a valid UUID" },
      { "an unknown view", { name = "x", privileges = { { role = "read", scope = "org", views = { "god" } } } },
        '^privileges%[0%]%.views%[0%]: "god" is not a valid choice' },
      { "11 src_ips", { name = "x", privileges = ADMIN,
        src_ips = { "1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4", "1.1.1.5", "1.1.1.6", "1.1.1.7", "1.1.1.8",
          "1.1.1.9", "1.1.1.10", "1.1.1.11" } }, "^src_ips: Ensure this field has no more than 10" },
      { "a bad IP", { name = "x", privileges = ADMIN, src_ips = { "1.2.3.256" } },
        '^src_ips%[0%]: "1.2.3.256" is not' },
      { "a bad CIDR", { name = "x", privileges = ADMIN, src_ips = { "1.2.3.0/33" } }, '^src_ips%[0%]: "1.2.3.0/33"' },
      { "a bad IPv6", { name = "x", privileges = ADMIN, src_ips = { "2001:db8:::1" } }, "^src_ips%[0%]" },
      { "a list body", { 1, 2 }, "Expected a dictionary, but got list" },
    }
    for _, case in ipairs(bad) do
      it("answers 400 naming the problem for " .. case[1], function()
        local status, body = create(case[2])
        assert.equal(400, status)
        assert.matches(case[3], body.detail)
      end)
    end

    it("accepts IPv6 addresses and networks in src_ips", function()
      local ips = { "2001:db8::/32", "::ffff:10.0.0.1", "fe80::1" }
      local status = create{ name = "v6", privileges = ADMIN, src_ips = ips }
      assert.equal(200, status)
    end)

    it("answers 400 with a JSON parse detail to malformed JSON", function()
      local status, body = create('{"name": "x",')
      assert.equal(400, status)
      assert.matches("^JSON parse error", body.detail)
      status, body = create("")
      assert.equal(400, status)
      assert.matches("^JSON parse error", body.detail)
    end)

    it("answers 400, not an empty answer, to a body that is JSON but no object", function()
      for _, text in ipairs { "false", "null", '"x"', "3", "[1]" } do
        local status, body = create(text)
        assert.equal(400, status, text)
        assert.matches("Expected a dictionary", body.detail, 1, true)
      end
    end)

    it("creates nothing on a 400", function()
      create{ name = "x", privileges = { { role = "boss", scope = "org" } } }
      local _, list = e:api("GET", e:tokens_path())
      assert.equal(1, #list)
    end)
  end)

  describe("GET one", function()
    it("answers 404 to an unknown id", function()
      local status, body = e:api("GET", e:tokens_path("00000000-0000-4000-8000-000000000000"))
      assert.equal(404, status)
      assert.equal("Not found.", body.detail)
    end)

    it("answers 404 to an id that is no UUID, or 400 with bad_id_status = 400", function()
      assert.equal(404, (e:api("GET", e:tokens_path("not-a-uuid"))))
      e:config{ bad_id_status = 400 }
      local status, body = e:api("GET", e:tokens_path("not-a-uuid"))
      assert.equal(400, status)
      assert.matches("apitoken_id", body.detail)
    end)

    it("answers 404 to another org's token id under this org", function()
      local t = e:make_token{ org_id = "6e0a3e6c-7a3a-4d3b-9d7e-2f1f0c9b1a11" }
      assert.equal(404, (e:api("GET", e:tokens_path(t.id))))
    end)
  end)

  describe("PUT", function()
    local t
    before_each(function()
      local _
      _, t = create{ name = "before", privileges = ADMIN, src_ips = { "127.0.0.1" } }
    end)

    it("changes name and privileges and answers the token (masked)", function()
      local privs = { { role = "read", scope = "org" } }
      local status, body = e:api("PUT", e:tokens_path(t.id), { name = "after", privileges = privs })
      assert.equal(200, status)
      assert.equal("after", body.name)
      assert.equal(t.key:sub(1, 4) .. "..." .. t.key:sub(-4), body.key)
      local _, got = e:api("GET", e:tokens_path(t.id))
      assert.equal("after", got.name)
      assert.same({ { role = "read", scope = "org", org_id = e.org_id } }, got.privileges)
      -- the new privileges are enforced: read cannot manage tokens
      assert.equal(403, (e:api("GET", e:tokens_path(), nil, t.key)))
    end)

    it("answers an empty 200 with put_response = empty", function()
      e:config{ put_response = "empty" }
      local status, body, _, raw = e:api("PUT", e:tokens_path(t.id), { name = "after" })
      assert.equal(200, status)
      assert.is_nil(body)
      assert.equal("", raw)
    end)

    it("refuses a changed src_ips with 400, accepts the same list", function()
      local status, body = e:api("PUT", e:tokens_path(t.id), { src_ips = { "10.0.0.1" } })
      assert.equal(400, status)
      assert.matches("^src_ips", body.detail)
      assert.equal(200, (e:api("PUT", e:tokens_path(t.id), { name = "n", src_ips = { "127.0.0.1" } })))
    end)

    it("ignores a changed src_ips with put_src_ips = ignore", function()
      e:config{ put_src_ips = "ignore" }
      local status = e:api("PUT", e:tokens_path(t.id), { name = "n", src_ips = { "10.0.0.1" } })
      assert.equal(200, status)
      local _, got = e:api("GET", e:tokens_path(t.id))
      assert.same({ "127.0.0.1" }, got.src_ips)
    end)

    it("validates what it is given", function()
      local status, body = e:api("PUT", e:tokens_path(t.id), { privileges = {} })
      assert.equal(400, status)
      assert.matches("^privileges", body.detail)
      assert.equal(400, (e:api("PUT", e:tokens_path(t.id), "{nope")))
    end)

    it("answers 404 to an unknown id", function()
      assert.equal(404, (e:api("PUT", e:tokens_path("00000000-0000-4000-8000-000000000000"), { name = "x" })))
    end)
  end)

  describe("DELETE", function()
    it("answers 200 and the token is gone", function()
      local _, t = create{ name = "x", privileges = ADMIN }
      local status, _, _, raw = e:api("DELETE", e:tokens_path(t.id))
      assert.equal(200, status)
      assert.equal("", raw)
      assert.equal(404, (e:api("GET", e:tokens_path(t.id))))
      assert.equal(404, (e:api("DELETE", e:tokens_path(t.id))))
    end)
  end)

  it("answers 405 to a method the path has not", function()
    assert.equal(405, (e:api("PUT", e:tokens_path(), {})))
    assert.equal(405, (e:api("POST", e:tokens_path("00000000-0000-4000-8000-000000000000"), {})))
  end)

  it("answers 404 to an unknown path", function()
    assert.equal(404, (e:api("GET", "/api/v1/orgs/" .. e.org_id .. "/wlans")))
  end)
end)
