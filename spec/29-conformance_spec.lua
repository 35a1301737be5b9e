-- Conformance: every operation of the official spec, its success and each error status,
-- driven through Prism's validating proxy (`prism proxy --errors`) in front of the emulator.
-- Prism answers 500 when the emulator's answer breaks the spec, 422 when our request does.
local cjson = require "cjson"
local prism = require "support.prism"

local ADMIN = { { role = "admin", scope = "org" } }
local UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"

describe("conformance with the official spec, through prism proxy --errors", function()
  if not prism.installed() then
    pending("Prism is not installed in tools/node_modules (make prism-install)")
    return
  end

  local front = prism.front()
  local e, base, http
  setup(function() e, base, http = front:start() end)
  teardown(function() front:stop() end)
  before_each(function() e:reset() end)

  -- One request through the proxy; -> status, decoded body (nil if none), headers
  local function call(method, path, body, token)
    local h = { ["Content-Type"] = "application/json", Accept = "application/json" }
    if token ~= false then
      h.Authorization = "Token " .. (token or e.token)
    end
    local status, data, headers = prism.call(http, base, method, path, h, body and cjson.encode(body) or nil)
    return status, data, headers
  end

  local function create(name)
    local status, t = call("POST", e:tokens_path(), { name = name or "c", privileges = ADMIN })
    assert.equal(200, status)
    return t
  end

  describe("createOrgApiToken", function()
    it("200", function()
      local t = create("conformant")
      assert.is_true(#t.key >= 48)
    end)
    it("400", function()
      local site_without_id = { { role = "read", scope = "site" } }
      local status, body = call("POST", e:tokens_path(), { name = "x", privileges = site_without_id })
      assert.equal(400, status)
      assert.is_string(body.detail)
      status = call("POST", e:tokens_path(), { name = "x", privileges = ADMIN, src_ips = { "300.1.1.1" } })
      assert.equal(400, status)
    end)
    it("401", function()
      assert.equal(401, (call("POST", e:tokens_path(), { name = "x", privileges = ADMIN }, "bogus")))
    end)
    it("403", function()
      local ro = e:make_token{ privileges = { { role = "read", scope = "org" } } }
      assert.equal(403, (call("POST", e:tokens_path(), { name = "x", privileges = ADMIN }, ro.key)))
    end)
    it("404", function()
      assert.equal(404, (call("POST", e:tokens_path(nil, UNKNOWN_ID), { name = "x", privileges = ADMIN })))
    end)
    it("429", function()
      e:config{ rate_limit = 1 }
      create()
      assert.equal(429, (call("POST", e:tokens_path(), { name = "x", privileges = ADMIN })))
    end)
  end)

  describe("listOrgApiTokens", function()
    it("200", function()
      create()
      local status, items = call("GET", e:tokens_path())
      assert.equal(200, status)
      assert.equal(2, #items)
    end)
    it("200, paged (limit/page asked, or token_list = paged)", function()
      create()
      local status, items, h = call("GET", e:tokens_path() .. "?limit=1&page=2")
      assert.equal(200, status)
      assert.equal(1, #items)
      assert.equal("2", h["x-page-total"])
      e:config{ token_list = "paged" }
      status, items, h = call("GET", e:tokens_path())
      assert.equal(200, status)
      assert.equal(2, #items)
      assert.equal("100", h["x-page-limit"])
    end)
    it("400", function()
      assert.equal(400, (call("GET", e:tokens_path() .. "?limit=0")))
    end)
    it("401", function()
      assert.equal(401, (call("GET", e:tokens_path(), nil, "bogus")))
    end)
    it("403", function()
      local other = e:make_token{ org_id = "6e0a3e6c-7a3a-4d3b-9d7e-2f1f0c9b1a11" }
      assert.equal(403, (call("GET", e:tokens_path(), nil, other.key)))
    end)
    it("429", function()
      e:config{ rate_limit = 1 }
      call("GET", e:tokens_path())
      local status, body, h = call("GET", e:tokens_path())
      assert.equal(429, status)
      assert.matches("^Too Many Request", body.detail)
      assert.is_string(h["retry-after"])
    end)
  end)

  describe("getOrgApiToken", function()
    it("200", function()
      local t = create()
      local status, got = call("GET", e:tokens_path(t.id))
      assert.equal(200, status)
      assert.equal(t.id, got.id)
    end)
    it("400", function()
      -- the emulator's only 400 here is a non-UUID id, which Prism refuses itself (see below),
      -- so the 400 comes from a status fault shaped like the emulator's own
      e:fault{ kind = "status", status = 400, body = '{"detail": "apitoken_id: Must be a valid UUID."}' }
      assert.equal(400, (call("GET", e:tokens_path(UNKNOWN_ID))))
    end)
    it("401", function()
      assert.equal(401, (call("GET", e:tokens_path(UNKNOWN_ID), nil, "bogus")))
    end)
    it("403", function()
      local ro = e:make_token{ privileges = { { role = "read", scope = "org" } } }
      assert.equal(403, (call("GET", e:tokens_path(UNKNOWN_ID), nil, ro.key)))
    end)
    it("404", function()
      assert.equal(404, (call("GET", e:tokens_path(UNKNOWN_ID))))
    end)
    it("429", function()
      e:config{ rate_limit = 1 }
      call("GET", e:tokens_path(UNKNOWN_ID))
      assert.equal(429, (call("GET", e:tokens_path(UNKNOWN_ID))))
    end)
  end)

  describe("updateOrgApiToken", function()
    for _, mode in ipairs({ "token", "empty" }) do
      it("200 (put_response = " .. mode .. ")", function()
        e:config{ put_response = mode }
        local t = create()
        local status = call("PUT", e:tokens_path(t.id), { name = "renamed", privileges = ADMIN })
        assert.equal(200, status)
      end)
    end
    it("400", function()
      local t = create()
      assert.equal(400, (call("PUT", e:tokens_path(t.id), { name = "n", src_ips = { "10.0.0.1" } })))
    end)
    it("401", function()
      assert.equal(401, (call("PUT", e:tokens_path(UNKNOWN_ID), { name = "n" }, "bogus")))
    end)
    it("403", function()
      local ro = e:make_token{ privileges = { { role = "read", scope = "org" } } }
      assert.equal(403, (call("PUT", e:tokens_path(UNKNOWN_ID), { name = "n" }, ro.key)))
    end)
    it("404", function()
      assert.equal(404, (call("PUT", e:tokens_path(UNKNOWN_ID), { name = "n" })))
    end)
    it("429", function()
      e:config{ rate_limit = 1 }
      call("PUT", e:tokens_path(UNKNOWN_ID), { name = "n" })
      assert.equal(429, (call("PUT", e:tokens_path(UNKNOWN_ID), { name = "n" })))
    end)
  end)

  describe("deleteOrgApiToken", function()
    it("200", function()
      local t = create()
      assert.equal(200, (call("DELETE", e:tokens_path(t.id))))
    end)
    it("400", function()
      e:fault{ kind = "status", status = 400, body = '{"detail": "apitoken_id: Must be a valid UUID."}' }
      assert.equal(400, (call("DELETE", e:tokens_path(UNKNOWN_ID))))
    end)
    it("401", function()
      assert.equal(401, (call("DELETE", e:tokens_path(UNKNOWN_ID), nil, "bogus")))
    end)
    it("403", function()
      local ro = e:make_token{ privileges = { { role = "write", scope = "org" } } }
      assert.equal(403, (call("DELETE", e:tokens_path(UNKNOWN_ID), nil, ro.key)))
    end)
    it("404", function()
      assert.equal(404, (call("DELETE", e:tokens_path(UNKNOWN_ID))))
    end)
    it("429", function()
      e:config{ rate_limit = 1 }
      call("DELETE", e:tokens_path(UNKNOWN_ID))
      assert.equal(429, (call("DELETE", e:tokens_path(UNKNOWN_ID))))
    end)
  end)

  it("refuses a non-UUID id itself (422): the spec's own 400 and 404 cases can't reach the emulator", function()
    local auth = { Authorization = "Token " .. e.token }
    local status = http:request("GET", base .. e:tokens_path("not-a-uuid"), auth, nil)
    assert.equal(422, status)
    assert.equal(0, #e:log())
  end)

  it("is really validating: a fault that breaks the spec comes back as Prism's 500", function()
    e:fault{ kind = "raw", status = 200, body = '{"name": 5}' }
    local status, _, text = http:request("GET", base .. e:tokens_path(UNKNOWN_ID),
      { Authorization = "Token " .. e.token }, nil)
    assert.equal(500, status)
    assert.matches("name", text)
  end)
end)
