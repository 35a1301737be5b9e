-- A logout the server fails: the client forgets its session cookies all the
-- same (a failed logout never leaves a half-open session in the client), and
-- the next call logs in afresh instead of riding the old session.
local emu = require "support.emulator"
local mistapi = require "mistapi"

local function no_env() return nil end

describe("a logout that fails on the server", function()
  local e

  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function() e:reset() end)

  local function calls()
    local list = {}
    for _, entry in ipairs(e:log()) do list[#list + 1] = entry.method .. " " .. entry.path end
    return list
  end

  for _, status in ipairs { 500, 503 } do
    it("forgets the cookies after a " .. status .. " on /api/v1/logout", function()
      local c = assert(mistapi.new { base_url = e.url, email = e.email, password = e.password,
        max_retries = 0, getenv = no_env })
      assert(c:login())
      local session_id = c.pipeline.auth.jar.sessionid
      assert.is_string(session_id)
      e:fault { kind = "status", status = status, method = "POST", path = "/api/v1/logout" }
      local res, err = c:logout()
      assert.is_nil(res)
      assert.same("http", err.kind)
      assert.same(status, err.status)
      assert.is_nil(tostring(err):find(session_id, 1, true))
      assert.same({}, c.pipeline.auth.jar)
      assert.is_false(c.pipeline.auth.logged_in)
      -- the server never ended that session (the fault answered instead), yet
      -- the client does not use it again: its next call logs in first
      assert.same(200, (e:request("GET", "/api/v1/self", { Cookie = "sessionid=" .. session_id })))
      e:clear_log()
      assert(c:get_self())
      c:close()
      assert.same({ "POST /api/v1/login", "GET /api/v1/self" }, calls())
    end)
  end
end)
