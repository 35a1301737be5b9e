-- Conformance of the rest of what the project uses from the spec: the user's own API
-- tokens, /self, login, two-factor, logout, the org, its sites and site groups; raw HTTP
-- through Prism's validating proxy (`prism proxy --errors`) in front of the emulator.
-- Prism answers 500 when an answer breaks the spec, 422 when a request does.
local cjson = require "cjson"
local prism = require "support.prism"

local UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
local OTHER_ORG = "6e0a3e6c-7a3a-4d3b-9d7e-2f1f0c9b1a11"
local BAD_ID_FAULT = '{"detail": "apitoken_id: Must be a valid UUID."}'

describe("conformance of self tokens, /self, login and the org, through prism proxy --errors", function()
  if not prism.installed() then
    pending("Prism is not installed in tools/node_modules (make prism-install)")
    return
  end

  local front = prism.front()
  local e, base, http
  setup(function() e, base, http = front:start() end)
  teardown(function() front:stop() end)
  before_each(function() e:reset() end)

  local function headers(auth, extra)
    local h = { ["Content-Type"] = "application/json", Accept = "application/json" }
    if auth then
      h.Authorization = auth
    end
    for k, v in pairs(extra or {}) do
      h[k] = v
    end
    return h
  end

  -- as: "user" (Basic auth, the default), a key string (Token), false (nothing)
  local function call(method, path, body, as, extra)
    local auth
    if as == nil or as == "user" then
      auth = e:basic()
    elseif as then
      auth = "Token " .. as
    end
    if type(body) == "table" then
      body = cjson.encode(body)
    end
    return prism.call(http, base, method, path, headers(auth, extra), body)
  end

  local function mine(name)
    return e:make_self_token{ name = name or "mine" }
  end

  describe("listApiTokens", function()
    it("200", function()
      mine()
      local status, items = call("GET", e:self_tokens_path())
      assert.equal(200, status)
      assert.equal(1, #items)
    end)
    it("200, paged", function()
      mine("a")
      mine("b")
      local status, items, h = call("GET", e:self_tokens_path() .. "?limit=1&page=2")
      assert.equal(200, status)
      assert.equal("b", items[1].name)
      assert.equal("2", h["x-page-total"])
    end)
    it("400", function()
      assert.equal(400, (call("GET", e:self_tokens_path() .. "?limit=0")))
    end)
    it("401", function()
      assert.equal(401, (call("GET", e:self_tokens_path(), nil, "bogus")))
    end)
    it("403", function()
      assert.equal(403, (call("GET", e:self_tokens_path(), nil, e.token)))
    end)
    it("429", function()
      local t = mine()
      e:config{ rate_limit = 1 }
      assert.equal(200, (call("GET", e:self_tokens_path(), nil, t.key)))
      assert.equal(429, (call("GET", e:self_tokens_path(), nil, t.key)))
    end)
  end)

  describe("createApiToken", function()
    it("200: a list holding the new token, its whole key once", function()
      local status, list = call("POST", e:self_tokens_path(), { name = "conformant" })
      assert.equal(200, status)
      assert.equal("conformant", list[1].name)
      assert.is_true(#list[1].key >= 48)
    end)
    it("is flagged by Prism with self_create_answer = object: the spec says a list", function()
      e:config{ self_create_answer = "object" }
      local status, text = prism.flagged(http, base, "POST", e:self_tokens_path(), headers(e:basic()),
        cjson.encode{ name = "alone" })
      assert.equal(500, status)
      assert.matches("array", text)
    end)
    it("400", function()
      local status, body = call("POST", e:self_tokens_path(), { name = " " })
      assert.equal(400, status)
      assert.is_string(body.detail)
    end)
    it("401", function()
      assert.equal(401, (call("POST", e:self_tokens_path(), { name = "x" }, "bogus")))
    end)
    it("403", function()
      assert.equal(403, (call("POST", e:self_tokens_path(), { name = "x" }, e.token)))
    end)
    it("429", function()
      local t = mine()
      e:config{ rate_limit = 1 }
      assert.equal(200, (call("POST", e:self_tokens_path(), { name = "x" }, t.key)))
      assert.equal(429, (call("POST", e:self_tokens_path(), { name = "y" }, t.key)))
    end)
  end)

  -- get, update and delete share their error cases
  local function one_token_cases(method, body)
    it("400", function()
      if method == "PUT" then
        local t = mine()
        assert.equal(400, (call(method, e:self_tokens_path(t.id), { name = "" })))
      else
        -- the emulator's only 400 here is a non-UUID id, which Prism refuses itself
        e:fault{ kind = "status", status = 400, body = BAD_ID_FAULT }
        assert.equal(400, (call(method, e:self_tokens_path(UNKNOWN_ID), body)))
      end
    end)
    it("401", function()
      assert.equal(401, (call(method, e:self_tokens_path(UNKNOWN_ID), body, "bogus")))
    end)
    it("403", function()
      assert.equal(403, (call(method, e:self_tokens_path(UNKNOWN_ID), body, e.token)))
    end)
    it("404", function()
      assert.equal(404, (call(method, e:self_tokens_path(UNKNOWN_ID), body)))
    end)
    it("429", function()
      local t = mine()
      e:config{ rate_limit = 1 }
      call(method, e:self_tokens_path(UNKNOWN_ID), body, t.key)
      assert.equal(429, (call(method, e:self_tokens_path(UNKNOWN_ID), body, t.key)))
    end)
  end

  describe("getApiToken", function()
    it("200", function()
      local t = mine()
      local status, got = call("GET", e:self_tokens_path(t.id))
      assert.equal(200, status)
      assert.equal(t.id, got.id)
      assert.matches("%.%.%.", got.key)
    end)
    one_token_cases("GET")
  end)

  describe("updateApiToken", function()
    it("200", function()
      local t = mine()
      local status, got = call("PUT", e:self_tokens_path(t.id), { name = "renamed" })
      assert.equal(200, status)
      assert.equal("renamed", got.name)
    end)
    one_token_cases("PUT", { name = "n" })
  end)

  describe("deleteApiToken", function()
    it("200", function()
      local t = mine()
      assert.equal(200, (call("DELETE", e:self_tokens_path(t.id))))
    end)
    one_token_cases("DELETE")
  end)

  describe("getSelf", function()
    it("200 for an org token, a user's token and the user", function()
      local site = e:add_site{ name = "HQ" }
      local t = e:make_token{ privileges = { { role = "read", scope = "org" },
        { role = "admin", scope = "site", site_id = site.id } } }
      local status, me = call("GET", "/api/v1/self", nil, t.key)
      assert.equal(200, status)
      assert.equal("HQ", me.privileges[2].name)
      status, me = call("GET", "/api/v1/self", nil, mine().key)
      assert.equal(200, status)
      assert.equal(e.email, me.email)
      status, me = call("GET", "/api/v1/self")
      assert.equal(200, status)
      assert.equal(1440, me.session_expiry)
    end)
    it("401", function()
      assert.equal(401, (call("GET", "/api/v1/self", nil, "bogus")))
    end)
    it("429", function()
      e:config{ rate_limit = 1 }
      call("GET", "/api/v1/self", nil, e.token)
      assert.equal(429, (call("GET", "/api/v1/self", nil, e.token)))
    end)
  end)

  -- The spec's document-wide security asks every request for a token or Basic auth, and
  -- Prism enforces it, even on login. Mist's login carries none, so these requests carry the
  -- user's Basic auth too: login and twoFactor ignore it (they read the body and the session
  -- cookie). A call with only a session cookie can't pass Prism: its answer is taken from
  -- the emulator directly and replayed through Prism (a raw fault) to check it against the spec.
  describe("login, twoFactor, logout and a session's getSelf", function()
    local function post(path, body, session)
      return call("POST", path, body, "user", session)
    end

    local function login(body)
      return post("/api/v1/login", body or { email = e.email, password = e.password })
    end

    local function session_of(h)
      local sid = h["set-cookie"]:match("sessionid=(%w+)")
      local csrf = h["set-cookie"]:match("csrftoken=(%w+)")
      return { Cookie = "sessionid=" .. sid .. "; csrftoken=" .. csrf, ["X-CSRFToken"] = csrf }
    end

    -- The emulator's own answer to a cookie-only GET /api/v1/self, replayed through Prism.
    local function self_replayed(session)
      local status, _, text = e:request("GET", "/api/v1/self", session)
      local fault = cjson.encode{ kind = "raw", status = status, body = text,
        headers = { ["Content-Type"] = "application/json" } }
      return status, text, prism.flagged(http, base, "GET", "/api/v1/self",
        headers("Token " .. e.token, { ["X-Emu-Fault"] = fault }))
    end

    it("login 200 and 400", function()
      local status, body = login()
      assert.equal(200, status)
      assert.equal(e.email, body.email)
      status, body = login{ email = e.email, password = "wrong" }
      assert.equal(400, status)
      assert.is_string(body.detail)
    end)

    it("login 200 asking for the second factor, twoFactor 401 and 200, getSelf and logout 200", function()
      e:config{ two_factor = true, two_factor_code = "424242" }
      local status, body, h = login()
      assert.equal(200, status)
      assert.is_true(body.two_factor_required)
      assert.is_false(body.two_factor_passed)
      local s = session_of(h)
      assert.equal(401, (post("/api/v1/login/two_factor", { two_factor = "000000" }, s)))
      assert.equal(200, (post("/api/v1/login/two_factor", { two_factor = "424242" }, s)))
      local own_status, text, replayed = self_replayed(s)
      assert.equal(200, own_status)
      assert.equal(200, replayed, prism.redact(text))
      assert.is_true(cjson.decode(text).two_factor_passed)
      assert.equal(200, (post("/api/v1/logout", nil, s)))
    end)

    it("twoFactor 404 for a user without two-factor", function()
      local _, _, h = login()
      assert.equal(404, (post("/api/v1/login/two_factor", { two_factor = "123456" }, session_of(h))))
    end)

    it("is flagged by Prism between the two steps: Mist's /self has privileges null, the spec a list", function()
      e:config{ two_factor = true }
      local _, _, h = login()
      local own_status, text, replayed, why = self_replayed(session_of(h))
      assert.equal(200, own_status)
      assert.matches('"privileges":null', text)
      assert.equal(500, replayed)
      assert.matches("privileges", why)
    end)

    it("login with a wrong code in its body: 401 as Mist answers, which login's answers in the spec lack", function()
      e:config{ two_factor = true, two_factor_code = "424242" }
      local status, text = prism.flagged(http, base, "POST", "/api/v1/login", headers(e:basic()),
        cjson.encode{ email = e.email, password = e.password, two_factor = "000000" })
      assert.equal(401, status, prism.redact(text))
      local logged = e:log()
      assert.same({ "/api/v1/login", 401 }, { logged[#logged].path, logged[#logged].status })
    end)
  end)

  it("checks requests too: Prism refuses a login with no Authorization (the spec's document-wide security)", function()
    local status = http:request("POST", base .. "/api/v1/login", headers(),
      cjson.encode{ email = e.email, password = e.password })
    assert.equal(401, status)
    assert.equal(0, #e:log())
  end)

  local function org_path(rest, org_id)
    return "/api/v1/orgs/" .. (org_id or e.org_id) .. (rest or "")
  end

  for _, case in ipairs { { "getOrg", "" }, { "listOrgSites", "/sites" }, { "listOrgSiteGroups", "/sitegroups" } } do
    local name, rest = case[1], case[2]
    describe(name, function()
      it("200", function()
        local g = e:add_sitegroup{ name = "West" }
        e:add_site{ name = "HQ", sitegroup_ids = { g.id } }
        local status, data = call("GET", org_path(rest), nil, e.token)
        assert.equal(200, status)
        if rest == "" then
          assert.equal("Emulated Org", data.name)
        else
          assert.equal(1, #data)
          assert.is_string(data[1].name)
        end
      end)
      if rest ~= "" then
        it("400", function()
          assert.equal(400, (call("GET", org_path(rest) .. "?limit=0", nil, e.token)))
        end)
      end
      it("401", function()
        assert.equal(401, (call("GET", org_path(rest), nil, "bogus")))
      end)
      it("403", function()
        local stranger = e:make_token{ org_id = OTHER_ORG }
        assert.equal(403, (call("GET", org_path(rest), nil, stranger.key)))
      end)
      it("404", function()
        assert.equal(404, (call("GET", org_path(rest, UNKNOWN_ID), nil, e.token)))
      end)
      it("429", function()
        e:config{ rate_limit = 1 }
        call("GET", org_path(rest), nil, e.token)
        assert.equal(429, (call("GET", org_path(rest), nil, e.token)))
      end)
    end)
  end
end)
