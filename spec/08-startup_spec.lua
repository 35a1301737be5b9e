-- Start-up: `require "mistapi"` and `mistapi.new{}` load only what every
-- program needs; the C core (libcurl and its libraries), printing, login
-- sessions, paging, bulk calls and client:request load on first use, and
-- behave as before once they do. Each case runs in a fresh interpreter of the
-- current run, since this process has loaded everything long ago.
local shell = require "support.shell"

local LUA = _VERSION == "Lua 5.4" and "lua5.4" or "luajit"
local ABI = _VERSION == "Lua 5.4" and "5.4" or "5.1"
local PATHS = ("package.path = './lua/?.lua;./lua/?/init.lua;' .. package.path; "
  .. "package.cpath = './build/%s/?.so;' .. package.cpath; "):format(ABI)

local ORG = "9e38b61f-0002-4001-8000-000000000001"
local ID = "9ad52628-0001-4241-80f4-0000000f4241"

-- Runs `code` in a new interpreter; returns its stdout (asserting exit 0).
local function run(code)
  local r = shell.capture(("%s -e %s 2>&1"):format(LUA, shell.quote(PATHS .. code)))
  assert(r.status == 0, r.out .. (r.err or ""))
  return r.out
end

local LOADED = [[
  local names = {}
  for name in pairs(package.loaded) do
    if name:match("^mistapi") then names[#names + 1] = name end
  end
  table.sort(names)
  print(table.concat(names, " "))
]]

local NEW = "local client = assert(require('mistapi').new{ base_url = 'http://127.0.0.1:1', "
  .. "token = 'abcdef0123456789' }) "

describe("start-up", function()
  it("require and new{} load neither the C core nor what only some programs use", function()
    local out = " " .. run(NEW .. LOADED):gsub("%s+$", "") .. " "
    assert.truthy(out:find(" mistapi ", 1, true), out)
    assert.truthy(out:find(" mistapi.pipeline ", 1, true), out)
    for _, late in ipairs { "mistapi.core", "mistapi.display", "mistapi.auth", "mistapi.cookies",
                            "mistapi.bulk", "mistapi.pager", "mistapi.request", "mistapi.resource" } do
      assert.falsy(out:find(" " .. late .. " ", 1, true), late .. " loaded at start-up: " .. out)
    end
  end)

  it("a resource's class carries the lifecycle methods without loading the lifecycle", function()
    local out = " " .. run(NEW .. "local tokens = client:orgs_api_tokens() "
      .. "assert(type(tokens.rotate_org_api_token) == 'function') " .. LOADED):gsub("%s+$", "") .. " "
    for _, late in ipairs { "mistapi.lifecycle.rotate", "mistapi.lifecycle.audit", "mistapi.lifecycle.plan",
                            "mistapi.lifecycle.apply", "mistapi.display" } do
      assert.falsy(out:find(" " .. late .. " ", 1, true), late .. " loaded with the class: " .. out)
    end
  end)

  it("the first call that needs the core loads it, and checks as before", function()
    local out = run(NEW .. [[
      local tokens = client:orgs_api_tokens()
      local res, err = tokens:get_org_api_token("not-a-uuid", "also-not")
      print(res, err.kind, tostring(err))
      print(package.loaded["mistapi.core"] ~= nil)
    ]])
    assert.truthy(out:find("nil\tvalidation\t", 1, true), out)
    assert.truthy(out:find('"not-a-uuid" is not a UUID', 1, true), out)
    assert.truthy(out:find("\ntrue\n", 1, true), out)
  end)

  it("tokens and results print readably, key masked, without display loaded first", function()
    local out = run(NEW .. [[
      local core = require "mistapi.core"
      local t = assert(core.decode('{"id":"]] .. ID .. [[","name":"ci","key":"0123456789abcdefWXYZ",' ..
        '"privileges":[{"role":"admin","scope":"org"}]}', "token"))
      print(tostring(t))
      print(tostring(t.privileges[1]))
    ]])
    assert.truthy(out:find("ci", 1, true), out)
    assert.truthy(out:find("admin", 1, true), out)
    assert.falsy(out:find("0123456789abcdefWXYZ", 1, true), out)
    assert.falsy(out:find("table: 0x", 1, true), out)
  end)

  it("a client closed before its first call stays closed, and closes twice", function()
    local out = run(NEW .. [[
      local tokens = client:orgs_api_tokens()
      client:close()
      client:close()
      local ok, err = pcall(tokens.get_org_api_token, tokens, "]] .. ORG .. [[", "]] .. ID .. [[")
      print(ok, err)
      print(package.loaded["mistapi.core"] ~= nil)
    ]])
    assert.truthy(out:find("false\t.*session is closed"), out)
  end)
end)
