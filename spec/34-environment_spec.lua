-- Environment defaults, end to end: a client built from MIST_HOST,
-- MIST_APITOKEN / MIST_API_TOKEN, MIST_USER / MIST_PASSWORD or an env file
-- really talks to the emulator with them.
local emu = require "support.emulator"
local mistapi = require "mistapi"

local ADMIN = { { role = "admin", scope = "org" } }

local function env_of(vars)
  return function(name) return vars[name] end
end

describe("environment defaults against the emulator", function()
  local e, second_key, second_id
  local files = {}

  setup(function()
    e = emu.start()
    local c = assert(mistapi.new { base_url = e.url, token = e.token, getenv = env_of {} })
    local made = assert(c:orgs_api_tokens():create_org_api_token(e.org_id, { name = "second", privileges = ADMIN }))
    c:close()
    second_key, second_id = made.data.key, made.data.id
  end)
  teardown(function()
    for _, f in ipairs(files) do os.remove(f) end
    e:stop()
  end)
  before_each(function()
    e:config { rate_limit = 1000000 }
    e:clear_faults()
    e:clear_log()
  end)

  local function list_with(opts)
    local c = assert(mistapi.new(opts))
    local res, err = c:orgs_api_tokens():list_org_api_tokens(e.org_id)
    c:close()
    return res, err
  end

  it("takes the server from MIST_HOST and the token from MIST_APITOKEN", function()
    local res = assert(list_with { getenv = env_of { MIST_HOST = e.url, MIST_APITOKEN = e.token } })
    assert.same(1, res.token_index)
    assert.same(1, #e:log())
  end)

  it("reads several comma-separated tokens from MIST_APITOKEN and rotates through them", function()
    e:fault { kind = "status", status = 429, retry_after = 30, method = "GET" }
    local env = env_of { MIST_HOST = e.url, MIST_APITOKEN = e.token .. ", " .. second_key }
    local res = assert(list_with { getenv = env })
    assert.same(2, res.token_index)
    assert.same(second_id, e:log()[2].token_id)
  end)

  it("falls back to MIST_API_TOKEN", function()
    local res = assert(list_with { getenv = env_of { MIST_HOST = e.url, MIST_API_TOKEN = second_key } })
    assert.same(200, res.status)
    assert.same(second_id, e:log()[1].token_id)
  end)

  it("logs in with MIST_USER and MIST_PASSWORD when no token is set", function()
    local env = env_of { MIST_HOST = e.url, MIST_USER = e.email, MIST_PASSWORD = e.password }
    local res = assert(list_with { getenv = env })
    assert.same(200, res.status)
    assert.same("/api/v1/login", e:log()[1].path)
  end)

  it("reads an env file, under what the environment says", function()
    local path = os.tmpname()
    files[#files + 1] = path
    local f = assert(io.open(path, "w"))
    f:write("# made by the spec\n", "export MIST_HOST=", e.url, "\n", 'MIST_APITOKEN="', second_key, '"\n')
    f:close()
    assert(list_with { env_file = path, getenv = env_of {} })
    assert.same(second_id, e:log()[1].token_id)
    e:clear_log()
    local res = assert(list_with { env_file = path, getenv = env_of { MIST_APITOKEN = e.token } })
    assert.same(200, res.status)
    assert.is_not.same(second_id, e:log()[1].token_id)
  end)

  it("lets options win over the environment", function()
    local res = assert(list_with { base_url = e.url, token = second_key,
      getenv = env_of { MIST_HOST = "http://127.0.0.1:1", MIST_APITOKEN = e.token } })
    assert.same(200, res.status)
    assert.same(second_id, e:log()[1].token_id)
  end)

  it("reports a missing env file as a validation error", function()
    local c, err = mistapi.new { env_file = "/nonexistent/mist.env", getenv = env_of {} }
    assert.is_nil(c)
    assert.same("validation", err.kind)
  end)
end)
