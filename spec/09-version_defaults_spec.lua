-- The version and the client's defaults are each stated once: the version in
-- mistapi.config (and the rockspec, which must agree), the defaults in
-- mistapi.config, which the transports pass on; the C core has neither. The
-- User-Agent is checked where it lands: in the emulator's log, over real HTTP.
-- (spec/55-shared_client_spec.lua checks the ngx transport's inside nginx.)
local config = require "mistapi.config"
local core = require "mistapi.core"
local emu = require "support.emulator"
local mistapi = require "mistapi"
local nginx_app = require "support.nginx_app"
local shell = require "support.shell"

local ROOT = nginx_app.ROOT

local function no_env() return nil end

-- The rockspec of this tree, and the version it states (without the revision).
local function rockspec()
  local p = assert(io.popen("ls " .. shell.quote(ROOT)))
  local names = {}
  for line in p:lines() do
    if line:find("^mistapi%-.*%.rockspec$") then names[#names + 1] = line end
  end
  p:close()
  assert.same(1, #names, "one rockspec in the tree")
  local text = shell.read_file(ROOT .. "/" .. names[1])
  return names[1], text:match('\nversion%s*=%s*"([^"]+)"')
end

-- The lines of the files under `dir` (named by `pattern`) that match `needle`.
local function grep(dir, pattern, needle)
  local found = {}
  local p = assert(io.popen("find " .. shell.quote(ROOT .. "/" .. dir) .. " -name " .. shell.quote(pattern)))
  for path in p:lines() do
    local f = assert(io.open(path))
    local n = 0
    for line in f:lines() do
      n = n + 1
      if line:find(needle) then found[#found + 1] = path:sub(#ROOT + 2) .. ":" .. n .. ": " .. line end
    end
    f:close()
  end
  p:close()
  return found
end

describe("the version, stated once", function()
  it("is the rockspec's, in its name and its version field, and mistapi._VERSION", function()
    local name, version = rockspec()
    assert.same("mistapi-" .. version .. ".rockspec", name)
    assert.same(version, config.VERSION .. "-1")
    assert.same(config.VERSION, mistapi._VERSION)
  end)

  it("is not stated again in the C core or the Lua layer's code", function()
    assert.is_nil(core.version)
    assert.same({}, grep("csrc", "*.[ch]", "MISTAPI_VERSION"))
    assert.same({}, grep("csrc", "*.[ch]", "mistapi%-lua/"))
    local lua = {}
    for _, hit in ipairs(grep("lua/mistapi", "*.lua", "\"%d+%.%d+%.%d+\"")) do
      -- config.lua is the place
      if not hit:find("^lua/mistapi/config%.lua:") then
        lua[#lua + 1] = hit
      end
    end
    assert.same({}, lua)
  end)
end)

describe("the User-Agent a client sends", function()
  local e
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function() e:reset() end)

  it("names this release and libcurl's version, as the emulator receives it", function()
    local c = assert(mistapi.new { base_url = e.url, token = e.token, getenv = no_env })
    assert(c:get_self())
    c:close()
    local log = e:log()
    assert.same(1, #log)
    assert.same("mistapi-lua/" .. mistapi._VERSION .. " libcurl/" .. core.curl_version(), log[1].user_agent)
    local _, version = rockspec()
    assert.same("mistapi-lua/" .. version:gsub("%-%d+$", "") .. " ", log[1].user_agent:match("^%S+ "))
  end)

  it("is the user_agent option when there is one, in bulk calls too", function()
    local c = assert(mistapi.new { base_url = e.url, token = e.token, getenv = no_env, user_agent = "mine/1" })
    local ids = e:seed(2)
    e:clear_log()
    assert(c:orgs_api_tokens():get_org_api_tokens(e.org_id, ids))
    c:close()
    for _, entry in ipairs(e:log()) do assert.same("mine/1", entry.user_agent) end
  end)
end)

describe("the client's defaults, stated once", function()
  it("are mistapi.config's, and the curl transport hands them to the core's session", function()
    -- the transport reads the core through mistapi.lazy_core, which keeps what it read
    local lazy = require "mistapi.lazy_core"
    local kept, real = rawget(lazy, "session"), core.session
    local seen
    rawset(lazy, "session", function(opts)
      seen = opts
      return real(opts)
    end)
    local ok, err = pcall(function()
      local c = assert(mistapi.new { base_url = "http://127.0.0.1:1", token = "t", getenv = no_env,
        max_retries = 0 })
      c:get_self()
      c:close()
    end)
    rawset(lazy, "session", kept)
    assert(ok, err)
    assert.same(config.DEFAULTS.timeout, seen.timeout)
    assert.same(config.DEFAULTS.connect_timeout, seen.connect_timeout)
    assert.same(config.DEFAULTS.max_body, seen.max_body)
    assert.same(config.user_agent("libcurl/" .. core.curl_version()), seen.user_agent)
  end)

  it("are the ones docs/configuration.md states", function()
    local doc = shell.read_file(ROOT .. "/docs/configuration.md")
    for name, value in pairs(config.DEFAULTS) do
      local stated = doc:match("\n| `" .. name .. "` | `([^`]+)`")
      assert.is_string(stated, name .. " is in the table")
      assert.same(type(value) == "string" and ('"' .. value .. '"') or tostring(value), stated, name)
    end
  end)

  it("have no twin in the C core", function()
    assert.same({}, grep("csrc", "*.[ch]", "MISTAPI_DEFAULT"))
    assert.same({}, grep("csrc", "*.[ch]", "MAX_CONCURRENCY"))
  end)

  it("bound a bulk call's concurrency by config (the core takes what it is given)", function()
    local c = assert(mistapi.new { base_url = "http://127.0.0.1:1", token = "t", getenv = no_env })
    local tokens = c:orgs_api_tokens()
    local id = "00000000-0000-4000-8000-000000000001"
    assert.has_error(function()
      tokens:get_org_api_tokens("00000000-0000-4000-8000-000000000002", { id }, {
        concurrency = config.MAX_CONCURRENCY + 1 })
    end, ("concurrency must be a whole number from 1 to %d"):format(config.MAX_CONCURRENCY))
    c:close()
    local s = core.session { allow_http = true, timeout = 5 }
    local reqs = {}
    for i = 1, 3 do reqs[i] = { "GET", "http://127.0.0.1:1/" .. i } end
    local answers = s:batch(reqs, config.MAX_CONCURRENCY * 2)
    s:close()
    assert.same(3, #answers)
    for i = 1, 3 do assert.is_false(answers[i].err.reached) end
  end)
end)
