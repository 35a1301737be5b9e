-- Login sessions against the emulator: email and password, two-factor codes,
-- X-CSRFToken on writes, logout, and no session secret in any output.
local emu = require "support.emulator"
local mistapi = require "mistapi"

local ADMIN = { { role = "admin", scope = "org" } }
local UNKNOWN_ID = "497f6eca-6276-4993-bfeb-53efbbba6f08"

local function no_env() return nil end

local function paths(e)
  local list = {}
  for _, entry in ipairs(e:log()) do list[#list + 1] = entry.method .. " " .. entry.path end
  return list
end

describe("login sessions", function()
  local e

  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function() e:reset() end)

  local function session(extra)
    local opts = { base_url = e.url, email = e.email, password = e.password, getenv = no_env }
    for k, v in pairs(extra or {}) do opts[k] = v end
    return assert(mistapi.new(opts))
  end

  it("logs in lazily on the first call and keeps the session", function()
    local c = session()
    local res, err = c:get_self()
    assert.is_nil(err)
    assert.same(e.email, res.data.email)
    assert(c:orgs_api_tokens():list_org_api_tokens(e.org_id))
    c:close()
    assert.same({ "POST /api/v1/login", "GET /api/v1/self", "GET /api/v1/orgs/" .. e.org_id .. "/apitokens" },
      paths(e))
  end)

  it("logs in explicitly, and reports a bad password without showing it", function()
    local c = session()
    assert(c:login())
    c:close()
    local wrong = "not-the-password-" .. e.password
    local bad = session { password = wrong }
    local res, err = bad:login()
    assert.is_nil(res)
    assert.same(400, err.status)
    assert.same("Invalid email or password.", err.detail)
    -- a lazy login fails the same way, through the call that needed it
    res, err = bad:orgs_api_tokens():list_org_api_tokens(e.org_id)
    bad:close()
    assert.is_nil(res)
    assert.same(400, err.status)
    assert.is_nil(tostring(err):find(wrong, 1, true))
  end)

  it("writes through the session carry X-CSRFToken; the token made names its creator", function()
    local c = session()
    local t = c:orgs_api_tokens()
    local made = assert(t:create_org_api_token(e.org_id, { name = "by session", privileges = ADMIN }))
    assert.same(e.email, made.data.created_by)
    assert(t:update_org_api_token(e.org_id, made.data.id, { name = "renamed by session" }))
    assert(t:delete_org_api_token(e.org_id, made.data.id))
    c:close()
  end)

  it("a write with a CSRF token that doesn't match the cookie is refused by the server", function()
    local c = session()
    assert(c:login())
    local jar = c.pipeline.auth.jar
    assert.is_string(jar.csrftoken)
    assert.is_string(jar.sessionid)
    jar.csrftoken = "0123456789abcdef0123456789abcdef"
    local res, err = c:orgs_api_tokens():create_org_api_token(e.org_id, { name = "x", privileges = ADMIN })
    c:close()
    assert.is_nil(res)
    assert.same(403, err.status)
    assert.matches("CSRF", err.detail)
  end)

  it("asks for a two-factor code when the account has 2FA, and takes it as an option or at login", function()
    e:config { two_factor = true, two_factor_code = "654321" }
    local c = session()
    local res, err = c:get_self()
    assert.is_nil(res)
    assert.same("validation", err.kind)
    assert.matches("two%-factor", err.message)

    res, err = c:login { two_factor = "111111" }
    assert.is_nil(res)
    assert.same(401, err.status)
    assert.same("Invalid two-factor code.", err.detail)

    assert(c:login { two_factor = "654321" })
    assert.same(e.email, assert(c:get_self()).data.email)
    c:close()

    e:clear_log()
    local c2 = session { two_factor = "654321" }
    assert(c2:orgs_api_tokens():create_org_api_token(e.org_id, { name = "2fa", privileges = ADMIN }))
    c2:close()
    assert.same({ "POST /api/v1/login", "POST /api/v1/login/two_factor",
      "POST /api/v1/orgs/" .. e.org_id .. "/apitokens" }, paths(e))
  end)

  it("logs out: the server forgets the session and so does the client", function()
    local c = session()
    assert(c:login())
    local cookie = "sessionid=" .. c.pipeline.auth.jar.sessionid
    assert.same(200, (e:request("GET", "/api/v1/self", { Cookie = cookie })))
    assert(c:logout())
    assert.same({}, c.pipeline.auth.jar)
    assert.same(401, (e:request("GET", "/api/v1/self", { Cookie = cookie })))
    local res, err = c:logout()
    assert.is_nil(res)
    assert.same("validation", err.kind)
    -- a later call opens a new session
    assert(c:get_self())
    c:close()
  end)

  it("logs in again, once, when the server has forgotten the session", function()
    local c = session()
    assert(c:login())
    e:reset()   -- drops every session on the server
    local res, err = c:orgs_api_tokens():list_org_api_tokens(e.org_id)
    assert.is_nil(err)
    assert.same(200, res.status)
    assert.same({ "GET /api/v1/orgs/" .. e.org_id .. "/apitokens", "POST /api/v1/login",
      "GET /api/v1/orgs/" .. e.org_id .. "/apitokens" }, paths(e))
    -- a password changed meanwhile: the login's own error comes back, no loop
    c.pipeline.auth.password = "no-longer-the-password"
    e:reset()
    res, err = c:get_self()
    assert.is_nil(res)
    assert.same(400, err.status)
    assert.same({ "GET /api/v1/self", "POST /api/v1/login" }, paths(e))
    c:close()
  end)

  it("get_self takes the self model as it comes, not as a token", function()
    local c = assert(mistapi.new { base_url = e.url, token = e.token, getenv = no_env })
    e:fault { kind = "raw", path = "/api/v1/self", body = '{"email":"a@b.c","name":7,"created_time":"x"}' }
    local res, err = c:get_self()
    c:close()
    assert.is_nil(err)
    assert.same(7, res.data.name)
  end)

  it("login and logout are for email and password clients only", function()
    local c = assert(mistapi.new { base_url = e.url, token = e.token, getenv = no_env })
    assert.has_error(function() c:login() end)
    assert.has_error(function() c:logout() end)
    assert.has_error(function() session():login { two_factor = 123456 } end)
    -- a token client still reads who it is
    assert.same("emulator bootstrap token", assert(c:get_self()).data.name)
    c:close()
  end)

  it("never shows the password or a cookie value in errors, logs or tostring", function()
    local log = {}
    local c = session { log = function(entry) log[#log + 1] = entry end }
    local t = c:orgs_api_tokens()
    assert(c:login())
    local secrets = { e.password }
    for _, v in pairs(c.pipeline.auth.jar) do secrets[#secrets + 1] = v end
    assert.same(3, #secrets)

    local shown = { tostring(c), tostring(t), tostring(c.pipeline.auth) }
    local _, err = t:get_org_api_token(e.org_id, UNKNOWN_ID)
    shown[#shown + 1] = tostring(err)
    local jar = c.pipeline.auth.jar
    local csrf = jar.csrftoken
    jar.csrftoken = "0123456789abcdef0123456789abcdef"
    _, err = t:create_org_api_token(e.org_id, { name = "x", privileges = ADMIN })
    jar.csrftoken = csrf
    assert.same(403, err.status)
    shown[#shown + 1] = tostring(err)
    for _, k in ipairs { "message", "detail", "body", "url", "path" } do shown[#shown + 1] = tostring(err[k]) end
    assert(c:logout())
    for _, entry in ipairs(log) do
      for _, v in pairs(entry) do shown[#shown + 1] = tostring(v) end
    end
    c:close()
    assert.is_true(#log >= 4)
    for _, text in ipairs(shown) do
      for i, secret in ipairs(secrets) do
        assert.is_nil(text:find(secret, 1, true), "secret " .. i .. " shows in output")
      end
    end
  end)
end)
