-- The emulator's authentication and permissions: tokens, privileges, src_ips,
-- last_used, other orgs, Basic auth.
local emu = require "support.emulator"

local ADMIN = { { role = "admin", scope = "org" } }
local NO_CREDENTIALS = "Authentication credentials were not provided."
local FORBIDDEN = "You do not have permission to perform this action."
local OTHER_ORG = "6e0a3e6c-7a3a-4d3b-9d7e-2f1f0c9b1a11"

describe("emulator auth", function()
  local e
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function() e:reset() end)

  it("answers 401 with the spec's text without a token", function()
    local status, body = e:api("GET", e:tokens_path(), nil, false)
    assert.equal(401, status)
    assert.equal(NO_CREDENTIALS, body.detail)
  end)

  it("answers 401 to an unknown token and to another scheme", function()
    assert.equal(401, (e:api("GET", e:tokens_path(), nil, "nope")))
    local status = e:api("GET", e:tokens_path(), nil, false, { Authorization = "Bearer " .. e.token })
    assert.equal(401, status)
  end)

  it("takes the bootstrap token as an org admin", function()
    local status, body = e:api("GET", e:tokens_path())
    assert.equal(200, status)
    assert.equal(1, #body)
    assert.equal("admin@example.com", body[1].created_by)
  end)

  it("authenticates tokens made through the API, and records last_used", function()
    local _, made = e:api("POST", e:tokens_path(), { name = "t", privileges = ADMIN })
    assert.is_nil(made.last_used)
    local status, got = e:api("GET", e:tokens_path(made.id), nil, made.key)
    assert.equal(200, status)
    assert.is_number(got.last_used)
    assert.is_true(got.last_used >= made.created_time)
    local entries = e:log()
    assert.equal(made.id, entries[#entries].token_id)
  end)

  for _, role in ipairs({ "read", "write", "helpdesk", "installer" }) do
    it("forbids token management to an org " .. role .. " token (403)", function()
      local t = e:make_token{ name = role, privileges = { { role = role, scope = "org" } } }
      local status, body = e:api("GET", e:tokens_path(), nil, t.key)
      assert.equal(403, status)
      assert.equal(FORBIDDEN, body.detail)
      assert.equal(403, (e:api("POST", e:tokens_path(), { name = "x", privileges = ADMIN }, t.key)))
    end)
  end

  it("forbids token management to a site admin token", function()
    local t = e:make_token{ privileges = { { role = "admin", scope = "site",
      site_id = "11111111-2222-4333-8444-555555555555" } } }
    assert.equal(403, (e:api("GET", e:tokens_path(), nil, t.key)))
  end)

  it("answers 403 to a token of another org, and to the bootstrap token on another org", function()
    local t = e:make_token{ org_id = OTHER_ORG }
    assert.equal(403, (e:api("GET", e:tokens_path(), nil, t.key)))
    assert.equal(200, (e:api("GET", e:tokens_path(nil, OTHER_ORG), nil, t.key)))
    assert.equal(403, (e:api("GET", e:tokens_path(nil, OTHER_ORG))))
  end)

  it("answers 404 for an org it does not know", function()
    local status, body = e:api("GET", e:tokens_path(nil, "6e0a3e6c-7a3a-4d3b-9d7e-2f1f0c9b1a12"))
    assert.equal(404, status)
    assert.equal("Not found.", body.detail)
  end)

  it("enforces src_ips against the client address", function()
    local inside = e:make_token{ src_ips = { "10.0.0.0/8", "127.0.0.0/24" } }
    assert.equal(200, (e:api("GET", e:tokens_path(), nil, inside.key)))
    local v6 = e:make_token{ src_ips = { "::1", "127.0.0.1/32" } }
    assert.equal(200, (e:api("GET", e:tokens_path(), nil, v6.key)))
    local outside = e:make_token{ src_ips = { "63.3.56.0/24", "63.3.55.4" } }
    local status, body = e:api("GET", e:tokens_path(), nil, outside.key)
    assert.equal(403, status)
    assert.matches("127.0.0.1", body.detail)
  end)

  it("stops authenticating a deleted token at once", function()
    local _, made = e:api("POST", e:tokens_path(), { name = "gone", privileges = ADMIN })
    assert.equal(200, (e:api("GET", e:tokens_path(), nil, made.key)))
    assert.equal(200, (e:api("DELETE", e:tokens_path(made.id))))
    assert.equal(401, (e:api("GET", e:tokens_path(), nil, made.key)))
  end)

  it("lets a token delete itself, and then it is gone", function()
    local _, made = e:api("POST", e:tokens_path(), { name = "self", privileges = ADMIN })
    assert.equal(200, (e:api("DELETE", e:tokens_path(made.id), nil, made.key)))
    assert.equal(401, (e:api("GET", e:tokens_path(), nil, made.key)))
  end)

  it("takes the built-in user by Basic auth", function()
    local basic = "Basic " .. require("mime").b64(e.email .. ":" .. e.password)
    local status = e:api("GET", e:tokens_path(), nil, false, { Authorization = basic })
    assert.equal(200, status)
    local wrong = "Basic " .. require("mime").b64(e.email .. ":wrong")
    assert.equal(401, (e:api("GET", e:tokens_path(), nil, false, { Authorization = wrong })))
  end)

  it("shows a token its own privileges at /api/v1/self", function()
    local status, me = e:api("GET", "/api/v1/self")
    assert.equal(200, status)
    assert.equal("admin", me.privileges[1].role)
    assert.equal(e.org_id, me.privileges[1].org_id)
  end)
end)
