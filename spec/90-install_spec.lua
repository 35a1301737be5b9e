-- Installing: the rockspec offline with luarocks, and `make install` with
-- DESTDIR, each giving a tree from which the module and the CLI run.
local shell = require "support.shell"
local root = (debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$")) or "."

local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("*a")
  local ok, _, code = p:close()
  if type(ok) == "number" then code = ok; ok = code == 0 end   -- Lua 5.1
  return ok == true, out, code
end

local q = shell.quote

-- Runs Lua 5.4 (a fresh process) with only `tree`'s paths.
local function run_in(share, lib, code)
  return sh(("cd /tmp && LUA_PATH_5_4=%s LUA_CPATH_5_4=%s lua5.4 -e %s"):format(
    q(share .. "/?.lua;" .. share .. "/?/init.lua"), q(lib .. "/?.so"), q(code)))
end

local PROBE = [[
local m = require "mistapi"
local core = require "mistapi.core"
io.write(m._VERSION, " ", package.searchpath("mistapi.core", package.cpath), " ",
  tostring(core.decode('{"created_time":1}', "token").created_time))
]]

describe("installing", function()
  if _VERSION ~= "Lua 5.4" then
    pending("installs the Lua 5.4 build: runs in the Lua 5.4 run only")
    return
  end
  local tmp

  before_each(function()
    tmp = os.tmpname()
    os.remove(tmp)
    assert(sh("mkdir -p " .. q(tmp)))
  end)

  after_each(function()
    sh("rm -rf " .. q(tmp))
  end)

  it("the rockspec installs offline with luarocks make --deps-mode=none", function()
    local ok, out = sh(("cd %s && luarocks --lua-version=5.4 --tree=%s make --deps-mode=none mistapi-0.1.0-1.rockspec")
      :format(q(root), q(tmp)))
    assert.is_true(ok, out)
    local share, lib = tmp .. "/share/lua/5.4", tmp .. "/lib/lua/5.4"
    local ran, said = run_in(share, lib, PROBE)
    assert.is_true(ran, said)
    assert.matches("^0%.1%.0 " .. lib:gsub("%p", "%%%0") .. "/mistapi/core%.so 1$", said)
    -- a tree of one's own is found through its paths, as `luarocks path` sets them
    local cli_ok, usage = sh(("LUA_PATH_5_4=%s LUA_CPATH_5_4=%s %s --help"):format(
      q(share .. "/?.lua;" .. share .. "/?/init.lua"), q(lib .. "/?.so"), q(tmp .. "/bin/mistapi-tokens")))
    assert.is_true(cli_ok, usage)
    assert.matches("usage: mistapi%-tokens", usage)
  end)

  it("make install honours DESTDIR and PREFIX", function()
    local ok, out = sh(("cd %s && make --no-print-directory install DESTDIR=%s PREFIX=/opt/m LUA_VERSION=5.4")
      :format(q(root), q(tmp)))
    assert.is_true(ok, out)
    local share, lib = tmp .. "/opt/m/share/lua/5.4", tmp .. "/opt/m/lib/lua/5.4"
    local ran, said = run_in(share, lib, PROBE)
    assert.is_true(ran, said)
    assert.matches("^0%.1%.0 .*/opt/m/lib/lua/5%.4/mistapi/core%.so 1$", said)
    local f = io.open(tmp .. "/opt/m/bin/mistapi-tokens")
    assert.is_not_nil(f)
    if f then f:close() end
  end)
end)
