-- The emulator's /api/v1/self/apitokens (a user's own tokens) and /api/v1/self for
-- every kind of caller, over raw HTTP.
local emu = require "support.emulator"

local UUID = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"
local MASKED = "^%w%w%w%w%.%.%.%w%w%w%w$"

describe("emulator self API tokens", function()
  local e
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function() e:reset() end)

  -- a call as the built-in user, by Basic auth
  local function as_user(method, path, body)
    return e:api(method, path, body, false, { Authorization = e:basic() })
  end

  local function create(name)
    e:config{ self_create_answer = "object" }
    local status, t = as_user("POST", e:self_tokens_path(), { name = name })
    assert.equal(200, status)
    return t
  end

  it("creates a token answered, as the spec says, in a list, with its whole key once", function()
    local status, list, _, raw = as_user("POST", e:self_tokens_path(), { name = "mine" })
    assert.equal(200, status)
    assert.matches("^%[", raw)
    assert.equal(1, #list)
    local t = list[1]
    assert.matches(UUID, t.id)
    assert.equal("mine", t.name)
    assert.is_true(#t.key >= 48)
    assert.matches('"last_used":null', raw)
    assert.is_true(math.abs(t.created_time - os.time()) < 600)
    -- the user_apitoken model only: no org, no privileges, no creator
    assert.is_nil(t.org_id)
    assert.is_nil(t.privileges)
    assert.is_nil(t.created_by)
    local _, got = as_user("GET", e:self_tokens_path(t.id))
    assert.matches(MASKED, got.key)
    assert.equal(t.key:sub(1, 4), got.key:sub(1, 4))
  end)

  it("answers the token alone with self_create_answer = object", function()
    e:config{ self_create_answer = "object" }
    local status, t, _, raw = as_user("POST", e:self_tokens_path(), { name = "alone" })
    assert.equal(200, status)
    assert.matches("^{", raw)
    assert.equal("alone", t.name)
    assert.is_true(#t.key >= 48)
  end)

  it("lists, renames and deletes the user's tokens", function()
    local a, b = create("a"), create("b")
    local status, items = as_user("GET", e:self_tokens_path())
    assert.equal(200, status)
    assert.same({ a.id, b.id }, { items[1].id, items[2].id })
    assert.matches(MASKED, items[1].key)
    local t
    status, t = as_user("PUT", e:self_tokens_path(a.id), { name = "renamed", id = "ignored" })
    assert.equal(200, status)
    assert.equal("renamed", t.name)
    assert.equal(a.id, t.id)
    assert.equal("renamed", select(2, as_user("GET", e:self_tokens_path(a.id))).name)
    assert.equal(200, (as_user("DELETE", e:self_tokens_path(a.id))))
    assert.equal(404, (as_user("GET", e:self_tokens_path(a.id))))
    assert.equal(404, (as_user("DELETE", e:self_tokens_path(a.id))))
    local _, left = as_user("GET", e:self_tokens_path())
    assert.equal(1, #left)
    assert.equal(b.id, left[1].id)
  end)

  it("validates the name and the path id", function()
    local status, err = as_user("POST", e:self_tokens_path(), { name = "  " })
    assert.equal(400, status)
    assert.equal("name: This field may not be blank.", err.detail)
    status, err = as_user("POST", e:self_tokens_path(), { name = 7 })
    assert.equal(400, status)
    assert.equal("name: Not a valid string.", err.detail)
    assert.equal(400, (as_user("POST", e:self_tokens_path(), "[1]")))
    assert.equal(400, (as_user("POST", e:self_tokens_path(), "{nope")))
    local t = create("x")
    assert.equal(400, (as_user("PUT", e:self_tokens_path(t.id), '{"name": null}')))
    assert.equal(404, (as_user("GET", e:self_tokens_path("not-a-uuid"))))
    e:config{ bad_id_status = 400 }
    assert.equal(400, (as_user("GET", e:self_tokens_path("not-a-uuid"))))
    assert.equal(405, (as_user("POST", e:self_tokens_path(t.id), {})))
  end)

  it("lets a user's own token act as its user, and counts its use", function()
    local t = create("works")
    local status, items = e:api("GET", e:self_tokens_path(), nil, t.key)
    assert.equal(200, status)
    assert.equal(t.id, items[1].id)
    assert.is_number(items[1].last_used)
    -- the user is the org's admin, so the user's token manages org tokens too
    local made
    status, made = e:api("POST", e:tokens_path(), { name = "by-user-token",
      privileges = { { role = "read", scope = "org" } } }, t.key)
    assert.equal(200, status)
    assert.equal(e.email, made.created_by)
    assert.equal(401, (e:api("GET", e:self_tokens_path(), nil, "x" .. t.key)))
  end)

  it("refuses an org token: it has no user", function()
    local status, err = e:api("GET", e:self_tokens_path())
    assert.equal(403, status)
    assert.equal("You do not have permission to perform this action.", err.detail)
    assert.equal(403, (e:api("POST", e:self_tokens_path(), { name = "x" })))
    assert.equal(401, (e:api("GET", e:self_tokens_path(), nil, false)))
  end)

  it("keeps a user's tokens out of the org's list, and the org's out of the user's", function()
    local t = create("mine")
    local _, org_items = e:api("GET", e:tokens_path())
    for _, o in ipairs(org_items) do
      assert.not_equal(t.id, o.id)
    end
    assert.equal(404, (e:api("GET", e:tokens_path(t.id))))
    local boot = e:info().bootstrap_token_id
    assert.equal(404, (as_user("GET", e:self_tokens_path(boot))))
    assert.equal(404, (as_user("DELETE", e:self_tokens_path(boot))))
  end)

  it("makes and seeds user tokens through the control API", function()
    local t = e:make_self_token{ name = "ctl" }
    assert.is_true(#t.key >= 48)
    assert.is_nil(t.privileges)
    local ids = e:seed_self(3, "s-")
    local _, items = as_user("GET", e:self_tokens_path())
    assert.same({ t.id, ids[1], ids[2], ids[3] }, { items[1].id, items[2].id, items[3].id, items[4].id })
    assert.equal("s-2", items[3].name)
    assert.equal(200, (e:api("GET", "/api/v1/self", nil, t.key)))
  end)
end)
