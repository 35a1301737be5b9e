-- The emulator's session auth: login, 2FA, CSRF on writes, logout, self.
local emu = require "support.emulator"
local cjson = require "cjson"

local ADMIN = { { role = "admin", scope = "org" } }

local function cookie(headers, name)
  return (headers["set-cookie"] or ""):match(name .. "=([^;,%s]*)")
end

describe("emulator login sessions", function()
  local e
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function() e:reset() end)

  local function post(path, body, headers)
    return e:api("POST", path, body, false, headers)
  end

  local function login()
    local status, body, h = post("/api/v1/login", { email = e.email, password = e.password })
    assert.equal(200, status)
    return { sid = cookie(h, "sessionid"), csrf = cookie(h, "csrftoken"), body = body }
  end

  local function with(s, extra)
    local h = { Cookie = "sessionid=" .. s.sid .. "; csrftoken=" .. s.csrf }
    for k, v in pairs(extra or {}) do
      h[k] = v
    end
    return h
  end

  it("logs in and sets sessionid and csrftoken cookies", function()
    local s = login()
    assert.matches("^%w+$", s.sid)
    assert.matches("^%w+$", s.csrf)
    local status, me = e:api("GET", "/api/v1/self", nil, false, with(s))
    assert.equal(200, status)
    assert.equal("admin@example.com", me.email)
    assert.same({ scope = "org", org_id = e.org_id, role = "admin", name = "Emulated Org" }, me.privileges[1])
  end)

  it("answers 400 with a detail to bad credentials", function()
    local status, body = post("/api/v1/login", { email = e.email, password = "wrong" })
    assert.equal(400, status)
    assert.is_string(body.detail)
    assert.equal(400, (post("/api/v1/login", { email = "nobody@example.com", password = e.password })))
    assert.equal(400, (post("/api/v1/login", "{bad")))
  end)

  it("reads with a session and no CSRF token", function()
    local s = login()
    assert.equal(200, (e:api("GET", e:tokens_path(), nil, false, with(s))))
  end)

  it("needs X-CSRFToken equal to the csrftoken cookie on writes", function()
    local s = login()
    local body = { name = "by-session", privileges = ADMIN }
    local status, err = e:api("POST", e:tokens_path(), body, false, with(s))
    assert.equal(403, status)
    assert.matches("^CSRF Failed: ", err.detail)
    status, err = e:api("POST", e:tokens_path(), body, false, with(s, { ["X-CSRFToken"] = "wrong" }))
    assert.equal(403, status)
    assert.matches("^CSRF Failed: ", err.detail)
    local made
    status, made = e:api("POST", e:tokens_path(), body, false, with(s, { ["X-CSRFToken"] = s.csrf }))
    assert.equal(200, status)
    assert.equal("admin@example.com", made.created_by)
    assert.equal(403, (e:api("DELETE", e:tokens_path(made.id), nil, false, with(s))))
    assert.equal(200, (e:api("DELETE", e:tokens_path(made.id), nil, false, with(s, { ["X-CSRFToken"] = s.csrf }))))
  end)

  it("ends the session on logout", function()
    local s = login()
    assert.equal(403, (e:api("POST", "/api/v1/logout", nil, false, with(s))))
    assert.equal(200, (e:api("POST", "/api/v1/logout", nil, false, with(s, { ["X-CSRFToken"] = s.csrf }))))
    assert.equal(401, (e:api("GET", e:tokens_path(), nil, false, with(s))))
  end)

  it("answers 404 at /login/two_factor when the user has no two-factor", function()
    local s = login()
    local status = post("/api/v1/login/two_factor", { two_factor = "123456" }, with(s))
    assert.equal(404, status)
    assert.equal(401, (post("/api/v1/login/two_factor", { two_factor = "123456" })))
  end)

  it("sets Secure on the cookies over TLS, and not over plain HTTP", function()
    local status, h = e:request("POST", e.tls_url .. "/api/v1/login", { ["Content-Type"] = "application/json" },
      cjson.encode{ email = e.email, password = e.password })
    assert.equal(200, status)
    local set_cookie = h["set-cookie"]
    assert.matches("sessionid=%w+; Path=/; HttpOnly; SameSite=Lax; Secure", set_cookie)
    assert.matches("csrftoken=%w+; Path=/; SameSite=Lax; Secure", set_cookie)
    local _, _, plain = post("/api/v1/login", { email = e.email, password = e.password })
    assert.is_nil(plain["set-cookie"]:find("Secure", 1, true))
  end)

  describe("with two-factor auth on", function()
    before_each(function() e:config{ two_factor = true, two_factor_code = "424242" } end)

    it("asks for the code; /self says so between the two steps; the session works only after it", function()
      local s = login()
      assert.same({ email = e.email, two_factor_required = true, two_factor_passed = false }, s.body)
      -- between the two steps: 200 from /self with no privileges, as Mist answers
      local status, me, _, raw = e:api("GET", "/api/v1/self", nil, false, with(s))
      assert.equal(200, status)
      assert.same({ email = e.email, two_factor_required = true, two_factor_passed = false }, me)
      assert.matches('"privileges":null', raw)
      assert.equal(401, (e:api("GET", e:tokens_path(), nil, false, with(s))))
      local body
      status, body = post("/api/v1/login/two_factor", { two_factor = "000000" }, with(s))
      assert.equal(401, status)
      assert.equal("Invalid two-factor code.", body.detail)
      assert.equal(401, (e:api("GET", e:tokens_path(), nil, false, with(s))))
      status = post("/api/v1/login/two_factor", { two_factor = "424242" }, with(s))
      assert.equal(200, status)
      assert.equal(200, (e:api("GET", e:tokens_path(), nil, false, with(s))))
      status, me = e:api("GET", "/api/v1/self", nil, false, with(s))
      assert.equal(200, status)
      assert.is_true(me.two_factor_required)
      assert.is_true(me.two_factor_passed)
      assert.equal("admin", me.privileges[1].role)
    end)

    it("takes the code in the login body too, and answers a wrong one 401", function()
      local status, body, h = post("/api/v1/login", { email = e.email, password = e.password, two_factor = "424242" })
      assert.equal(200, status)
      assert.is_nil(body.two_factor_required)
      local s = { sid = cookie(h, "sessionid"), csrf = cookie(h, "csrftoken") }
      assert.equal(200, (e:api("GET", e:tokens_path(), nil, false, with(s))))
      status, body, h = post("/api/v1/login", { email = e.email, password = e.password, two_factor = "111111" })
      assert.equal(401, status)
      assert.equal("Invalid two-factor code.", body.detail)
      assert.is_nil(h["set-cookie"])
    end)

    it("lets a session waiting for its code log out", function()
      local s = login()
      assert.equal(200, (e:api("POST", "/api/v1/logout", nil, false, with(s, { ["X-CSRFToken"] = s.csrf }))))
      assert.equal(401, (e:api("GET", "/api/v1/self", nil, false, with(s))))
    end)

    it("refuses a code that is not 6 digits as a switch value", function()
      assert.has_error(function() e:config{ two_factor_code = "12ab" } end)
    end)
  end)

  it("never puts the password in the request log", function()
    login()
    local _, _, text = e:request("GET", "/_emulator/log", {}, nil)
    assert.is_nil(text:find(e.password, 1, true))
    assert.equal("/api/v1/login", cjson.decode(text)[1].path)
  end)
end)
