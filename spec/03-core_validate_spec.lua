-- The model rules behind core.encode_token, and core.is_uuid / core.check_ip.
local core = require "mistapi.core"

local SITE = "8aaba0ae-4cb4-4c44-9ab9-1f2a5c6d1e2f"
local GROUP = "0b7d5b4c-91a2-4f3e-8d6a-2c1e0f9a8b7c"

-- encode_token over a token named "n" with the given fields added.
local function check(fields)
  local t = { name = "n" }
  for k, v in pairs(fields) do
    t[k] = v
  end
  return core.encode_token(t)
end

local function refused(expected, fields)
  local body, err = check(fields)
  assert.is_nil(body)
  assert.are.equal(expected, err)
end

local function priv(p)
  return { privileges = { p } }
end

describe("encode_token rules", function()
  describe("name", function()
    it("must be a non-empty string", function()
      local body, err = core.encode_token({ name = "" })
      assert.is_nil(body)
      assert.are.equal("name: must not be empty", err)
      body, err = core.encode_token({ name = 12 })
      assert.is_nil(body)
      assert.are.equal("name: expected a string, got number", err)
      body, err = core.encode_token({ name = { "x" } })
      assert.is_nil(body)
      assert.are.equal("name: expected a string, got table", err)
    end)
  end)

  describe("privileges", function()
    it("must be an array of objects", function()
      refused("privileges: expected an array of objects, got string", { privileges = "admin" })
      refused("privileges: expected an array of objects, got a table that is not an array",
        { privileges = { role = "admin", scope = "org" } })
      refused("privileges[2]: expected an object, got string",
        { privileges = { { role = "admin", scope = "org" }, "read" } })
    end)

    it("must hold 1 to 10 items", function()
      refused("privileges: must have 1 to 10 items, got 0", { privileges = {} })
      refused("privileges: must have 1 to 10 items, got 0", { privileges = setmetatable({}, core.array_mt) })
      local ten, eleven = {}, {}
      for i = 1, 11 do
        local p = { role = "read", scope = "site", site_id = string.format("%08x-0000-4000-8000-000000000000", i) }
        if i <= 10 then
          ten[i] = p
        end
        eleven[i] = p
      end
      assert.is_string(check({ privileges = ten }))
      refused("privileges: must have 1 to 10 items, got 11", { privileges = eleven })
    end)

    it("needs a known role", function()
      refused("privileges[1].role: required", priv({ scope = "org" }))
      refused("privileges[1].role: expected a string, got boolean", priv({ role = true, scope = "org" }))
      refused('privileges[1].role: "admn" is not one of admin, helpdesk, installer, read, write',
        priv({ role = "admn", scope = "org" }))
      for _, role in ipairs({ "admin", "helpdesk", "installer", "read", "write" }) do
        assert.are.equal('{"name":"n","privileges":[{"role":"' .. role .. '","scope":"org"}]}',
          check(priv({ role = role, scope = "org" })))
      end
    end)

    it("needs a known scope", function()
      refused("privileges[1].scope: required", priv({ role = "read" }))
      refused("privileges[1].scope: expected a string, got number", priv({ role = "read", scope = 1 }))
      refused('privileges[1].scope: "Org" is not one of org, site, sitegroup', priv({ role = "read", scope = "Org" }))
    end)

    it("needs site_id exactly when scope is site", function()
      refused("privileges[1].site_id: required when scope is site", priv({ role = "read", scope = "site" }))
      refused("privileges[1].site_id: not allowed when scope is org",
        priv({ role = "read", scope = "org", site_id = SITE }))
      refused("privileges[1].site_id: not allowed when scope is sitegroup",
        priv({ role = "read", scope = "sitegroup", sitegroup_id = GROUP, site_id = SITE }))
      refused('privileges[1].site_id: "not-a-uuid" is not a UUID',
        priv({ role = "read", scope = "site", site_id = "not-a-uuid" }))
      refused("privileges[1].site_id: expected a string, got number",
        priv({ role = "read", scope = "site", site_id = 7 }))
      assert.are.equal('{"name":"n","privileges":[{"role":"read","scope":"site","site_id":"' .. SITE .. '"}]}',
        check(priv({ role = "read", scope = "site", site_id = SITE })))
    end)

    it("needs sitegroup_id exactly when scope is sitegroup", function()
      refused("privileges[1].sitegroup_id: required when scope is sitegroup",
        priv({ role = "read", scope = "sitegroup" }))
      refused("privileges[1].sitegroup_id: not allowed when scope is site",
        priv({ role = "read", scope = "site", site_id = SITE, sitegroup_id = GROUP }))
      refused('privileges[1].sitegroup_id: "x" is not a UUID',
        priv({ role = "read", scope = "sitegroup", sitegroup_id = "x" }))
      assert.are.equal('{"name":"n","privileges":[{"role":"read","scope":"sitegroup","sitegroup_id":"'
        .. GROUP .. '"}]}', check(priv({ role = "read", scope = "sitegroup", sitegroup_id = GROUP })))
    end)

    it("treats core.null as absent", function()
      assert.are.equal('{"name":"n","privileges":[{"role":"read","scope":"org"}]}',
        check(priv({ role = "read", scope = "org", site_id = core.null, views = core.null })))
    end)

    it("takes views as an array of known views", function()
      refused("privileges[1].views: expected an array of strings, got string",
        priv({ role = "read", scope = "org", views = "reporting" }))
      refused("privileges[1].views: expected an array of strings, got a table that is not an array",
        priv({ role = "read", scope = "org", views = { reporting = true } }))
      refused("privileges[1].views[2]: expected a string, got number",
        priv({ role = "read", scope = "org", views = { "reporting", 3 } }))
      refused('privileges[1].views[1]: "reports" is not one of lobby_admin, location, marketing, mxedge_admin, '
        .. "reporting, security, super_observer, switch_admin",
        priv({ role = "read", scope = "org", views = { "reports" } }))
      local all = { "lobby_admin", "location", "marketing", "mxedge_admin", "reporting", "security",
        "super_observer", "switch_admin" }
      assert.are.equal('{"name":"n","privileges":[{"role":"admin","scope":"org","views":["'
        .. table.concat(all, '","') .. '"]}]}', check(priv({ role = "admin", scope = "org", views = all })))
    end)

    it("refuses two equal privileges", function()
      refused("privileges[2]: duplicates privileges[1]",
        { privileges = { { role = "admin", scope = "org" }, { scope = "org", role = "admin" } } })
      refused("privileges[3]: duplicates privileges[1]", { privileges = {
        { role = "read", scope = "site", site_id = SITE, views = { "reporting", "marketing" } },
        { role = "read", scope = "site", site_id = SITE },
        { role = "read", scope = "site", site_id = SITE:upper(), views = { "marketing", "reporting" } },
      } })
      -- any difference makes them distinct
      assert.is_string(check({ privileges = {
        { role = "read", scope = "org" }, { role = "write", scope = "org" },
        { role = "read", scope = "org", views = { "reporting" } },
        { role = "read", scope = "site", site_id = SITE },
        { role = "read", scope = "site", site_id = GROUP },
        { role = "read", scope = "sitegroup", sitegroup_id = GROUP },
      } }))
    end)
  end)

  describe("src_ips", function()
    it("must be an array of at most 10 strings", function()
      refused("src_ips: expected an array of strings, got string", { src_ips = "1.2.3.4" })
      refused("src_ips[2]: expected a string, got number", { src_ips = { "1.2.3.4", 5 } })
      local ips = {}
      for i = 1, 11 do
        ips[i] = "10.0.0." .. i
      end
      refused("src_ips: must have at most 10 items, got 11", { src_ips = ips })
      ips[11] = nil
      assert.is_string(check({ src_ips = ips }))
    end)

    it("must hold addresses or CIDRs", function()
      refused('src_ips[1]: "1.2.3.4/33": prefix must be 0-32', { src_ips = { "1.2.3.4/33" } })
      refused('src_ips[1]: "host.example": not an IPv4 or IPv6 address or CIDR', { src_ips = { "host.example" } })
      assert.are.equal('{"name":"n","src_ips":["63.3.56.0/24","63.3.55.4","2001:db8::/32","::1"]}',
        check({ src_ips = { "63.3.56.0/24", "63.3.55.4", "2001:db8::/32", "::1" } }))
    end)
  end)

  it("cuts long values in messages", function()
    local long = "ADMIN" .. string.rep("x", 60) .. "TAIL"
    local _, err = check(priv({ role = long, scope = "org" }))
    assert.is_nil(err:find("TAIL", 1, true))
    assert.matches('^privileges%[1%]%.role: "ADMINx+%.%.%." is not one of', err)
  end)
end)

describe("core.is_uuid", function()
  it("accepts UUIDs in either case", function()
    assert.is_true(core.is_uuid(SITE))
    assert.is_true(core.is_uuid(SITE:upper()))
    assert.is_true(core.is_uuid("00000000-0000-0000-0000-000000000000"))
  end)

  it("refuses anything else with a message", function()
    for _, s in ipairs({ "", "nope", SITE .. "0", SITE:sub(2), SITE:gsub("-", ""), "{" .. SITE:sub(2, 35) .. "}",
      SITE:sub(1, 35) .. "g", SITE:sub(1, 35) .. "\0", " " .. SITE:sub(2) }) do
      local ok, err = core.is_uuid(s)
      assert.is_nil(ok)
      assert.matches("is not a UUID$", err)
    end
    local ok, err = core.is_uuid("nope")
    assert.is_nil(ok)
    assert.are.equal('"nope" is not a UUID', err)
  end)

  it("raises on a non-string", function()
    assert.has_error(function() core.is_uuid(5) end)
    assert.has_error(function() core.is_uuid() end)
  end)
end)

describe("core.check_ip", function()
  it("accepts IPv4 and IPv6 addresses and CIDRs with prefixes in range", function()
    for _, s in ipairs({ "1.2.3.4", "0.0.0.0/0", "255.255.255.255/32", "63.3.56.0/24", "::", "::1/128",
      "2001:db8::/0", "fe80::1/64", "::ffff:1.2.3.4", "::ffff:1.2.3.4/96" }) do
      assert.is_true(core.check_ip(s), s)
    end
  end)

  it("refuses out-of-range, malformed or zero-padded prefixes", function()
    local cases = {
      ["1.2.3.4/33"] = '"1.2.3.4/33": prefix must be 0-32',
      ["1.2.3.4/08"] = '"1.2.3.4/08": prefix must be 0-32',
      ["1.2.3.4/"] = '"1.2.3.4/": prefix must be 0-32',
      ["1.2.3.4/8x"] = '"1.2.3.4/8x": prefix must be 0-32',
      ["1.2.3.4/8 "] = '"1.2.3.4/8 ": prefix must be 0-32',
      ["1.2.3.4/-1"] = '"1.2.3.4/-1": prefix must be 0-32',
      ["1.2.3.4/8/8"] = '"1.2.3.4/8/8": prefix must be 0-32',
      ["::1/129"] = '"::1/129": prefix must be 0-128',
      ["::1/0128"] = '"::1/0128": prefix must be 0-128',
    }
    for s, msg in pairs(cases) do
      local ok, err = core.check_ip(s)
      assert.is_nil(ok, s)
      assert.are.equal(msg, err)
    end
  end)

  it("refuses what is not an address", function()
    for _, s in ipairs({ "", "/24", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.256", " 1.2.3.4", "1.2.3.4 ",
      "1.2.3.4\0", "fe80::1%eth0", ":::1", "gggg::1", "example.com" }) do
      local ok, err = core.check_ip(s)
      assert.is_nil(ok, s)
      assert.matches("not an IPv4 or IPv6 address or CIDR$", err)
    end
  end)

  it("raises on a non-string", function()
    assert.has_error(function() core.check_ip({}) end)
  end)
end)

describe("core.check_target", function()
  local BASE = "https://api.mist.com"

  it("refuses exactly the bytes Lua's [%c%s\\127] finds: controls, white space, DEL", function()
    for b = 0, 255 do
      local url = BASE .. "/api/v1/x" .. string.char(b) .. "y"
      local ok, why = core.check_target(url, BASE)
      local lua_says_bad = string.char(b):find("[%c%s\127]") ~= nil
      if lua_says_bad then
        assert.is_nil(ok, "byte " .. b)
        assert.equals("character", why)
      else
        assert.is_true(ok, "byte " .. b)
      end
    end
  end)

  it("finds a refused byte at every place, in the eight-byte steps and in the tail, among any neighbours", function()
    -- the scan reads eight bytes at a time, then the rest one by one: every
    -- length up to three steps and a tail, every place, each refused byte
    -- and the good ones next to them (the bit tricks' edges)
    local bytes = {}
    for b = 0, 34 do bytes[#bytes + 1] = b end
    for _, b in ipairs { 97, 126, 127, 128, 129, 254, 255 } do bytes[#bytes + 1] = b end
    for _, fill in ipairs { "a", "!", "~", "\128", "\255" } do
      for len = 1, 27 do
        for pos = 1, len do
          local before, after = fill:rep(pos - 1), fill:rep(len - pos)
          for _, b in ipairs(bytes) do
            local c = string.char(b)
            local ok, why = core.check_target(before .. c .. after)
            if c:find("[%c%s\127]") then
              if ok ~= nil or why ~= "character" then
                error(("byte %d at %d of %d (among %q) was let through"):format(b, pos, len, fill))
              end
            elseif ok ~= true then
              error(("byte %d at %d of %d (among %q) was refused"):format(b, pos, len, fill))
            end
          end
        end
      end
    end
  end)

  it("wants the base URL followed by a slash", function()
    assert.is_true(core.check_target(BASE .. "/api", BASE))
    assert.is_true(core.check_target("/api/v1"))
    for _, url in ipairs { BASE, BASE .. "x/api", "https://api.mist.co/api", "https://evil" .. BASE .. "/api" } do
      local ok, why = core.check_target(url, BASE)
      assert.is_nil(ok, url)
      assert.equals("base", why)
    end
    assert.is_true(core.check_target("/x", ""))
    assert.is_nil(core.check_target("x", ""))
  end)

  it("raises on a non-string", function()
    assert.has_error(function() core.check_target({}) end)
    assert.has_error(function() core.check_target("/x", {}) end)
  end)
end)
