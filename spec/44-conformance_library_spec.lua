-- The library's own requests and the answers it reads, held against the project's copy
-- of the official spec (api/): every operation of both token resources, their paging and
-- bulk helpers, and client:request / get_all, sent by mistapi through Prism's validating
-- proxy (`prism proxy --errors`) in front of the emulator. Prism answers 422 when a
-- request breaks the spec and 500 when an answer does; with no retries, either shows up
-- here as that status.
local mistapi = require "mistapi"
local prism = require "support.prism"

local UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
local ADMIN = { { role = "admin", scope = "org" } }

local function no_env() return nil end

-- The value of a call that Prism let through; a flagged one fails with Prism's words.
local function passed(res, err)
  if res then return res end
  if err.status == 422 or err.status == 500 then
    error(("prism flagged %s %s: %d %s"):format(err.method, err.path, err.status, prism.redact(err.body)), 2)
  end
  error(tostring(err), 2)
end

-- The status of a call the server refused, which Prism let through.
local function refused(res, err)
  assert.is_nil(res)
  assert.is_true(err.status ~= 422 and err.status ~= 500,
    "prism flagged it: " .. tostring(err.status) .. " " .. prism.redact(err.body))
  return err.status
end

describe("the library through prism proxy --errors", function()
  if not prism.installed() then
    pending("Prism is not installed in tools/node_modules (make prism-install)")
    return
  end

  local front = prism.front()
  local e, base
  setup(function() e, base = front:start() end)
  teardown(function() front:stop() end)
  before_each(function() e:reset() end)

  local function client_with(token)
    return assert(mistapi.new { base_url = base, token = token, max_retries = 0, getenv = no_env,
                                timeout = 30 })
  end

  it("org tokens: the five operations and the helpers", function()
    local c = client_with(e.token)
    local tokens = c:orgs_api_tokens()
    local made = passed(tokens:create_org_api_token(e.org_id, {
      name = "conform", privileges = ADMIN, src_ips = { "127.0.0.1", "10.0.0.0/8" } })).data
    assert.is_true(#made.key >= 48)
    local got = passed(tokens:get_org_api_token(e.org_id, made.id)).data
    got.name = "renamed"   -- the client's own table, read-only fields and all, sent back
    passed(tokens:update_org_api_token(e.org_id, made.id, got))
    assert.equal(2, #passed(tokens:list_org_api_tokens(e.org_id)).data)
    assert.equal(1, #passed(tokens:list_org_api_tokens(e.org_id, { limit = 1, page = 2 })).data)
    assert.equal(2, #passed(tokens:list_all_org_api_tokens(e.org_id, { limit = 1 })).data)
    local many = passed(tokens:get_org_api_tokens(e.org_id, { made.id, UNKNOWN_ID }))
    assert.equal("renamed", many.data[1].name)
    assert.equal(404, refused(nil, many.errors[2]))
    passed(tokens:delete_org_api_token(e.org_id, made.id))
    assert.equal(404, refused(tokens:get_org_api_token(e.org_id, made.id)))
    c:close()
  end)

  it("self tokens: the five operations and the helpers", function()
    local c = client_with(assert(e:make_self_token { name = "bootstrap" }.key))
    local mine = c:self_api_tokens()
    local made = passed(mine:create_api_token { name = "conform" }).data
    assert.is_true(#made.key >= 48)
    local got = passed(mine:get_api_token(made.id)).data
    got.name = "renamed"
    passed(mine:update_api_token(made.id, got))
    passed(mine:create_api_token {})   -- no name: the spec requires none
    assert.equal(3, #passed(mine:list_api_tokens()).data)
    assert.equal(1, #passed(mine:list_api_tokens { limit = 1, page = 2 }).data)
    assert.equal(3, #passed(mine:list_all_api_tokens { limit = 2 }).data)
    local many = passed(mine:get_api_tokens { made.id, UNKNOWN_ID })
    assert.equal("renamed", many.data[1].name)
    assert.equal(404, refused(nil, many.errors[2]))
    passed(mine:delete_api_token(made.id))
    assert.equal(404, refused(mine:get_api_token(made.id)))
    c:close()
  end)

  it("self tokens: the server's refusals are answers the spec describes", function()
    local org = client_with(e.token)
    assert.equal(403, refused(org:self_api_tokens():list_api_tokens()))
    org:close()
    local c = client_with(assert(e:make_self_token().key))
    assert.equal(400, refused(c:self_api_tokens():create_api_token { name = ("x"):rep(300) }))
    c:close()
  end)

  it("client:request and get_all: /self, the org, its sites and site groups", function()
    e:add_site { name = "a" }
    e:add_site { name = "b" }
    e:add_sitegroup { name = "g" }
    local c = client_with(e.token)
    assert.is_table(passed(c:request("GET", "/api/v1/self")).data.privileges)
    assert.equal(e.org_id, passed(c:request("GET", "/api/v1/orgs/" .. e.org_id)).data.id)
    assert.equal(2, #passed(c:get_all("/api/v1/orgs/" .. e.org_id .. "/sites", { limit = 1 })).data)
    assert.equal(1, #passed(c:get_all("/api/v1/orgs/" .. e.org_id .. "/sitegroups")).data)
    c:close()
  end)

  it("is a real check: an answer or a request that breaks the spec is flagged", function()
    local c = client_with(assert(e:make_self_token().key))
    e:config { self_create_answer = "object" }   -- the spec declares a list
    local _, err = c:self_api_tokens():create_api_token { name = "x" }
    assert.equal(500, err.status)
    e:config { self_create_answer = "array" }
    _, err = c:request("POST", "/api/v1/self/apitokens", { body = { name = 5 } })
    assert.equal(422, err.status)
    c:close()
  end)
end)
