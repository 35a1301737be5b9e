-- Installing and uninstalling: `make install` into a DESTDIR for each Lua the
-- rockspec names, and the rockspec through luarocks. Each time the installed CLI
-- and `require "mistapi"` run from outside the checkout, against the emulator, and
-- the uninstall leaves nothing behind.
local shell = require "support.shell"
local emulator = require "support.emulator"
local root = (debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$")) or "."
if root:sub(1, 1) ~= "/" then root = assert(io.popen("pwd")):read("*l") .. (root == "." and "" or "/" .. root) end

local q = shell.quote

local function sh(cmd)
  local r = shell.capture(cmd)
  return r.status == 0, r.out .. r.err, r.status
end

-- Every path under dir, sorted, dir itself left out.
local function left_in(dir)
  local _, out = sh("cd " .. q(dir) .. " && find . -mindepth 1 | sort")
  return out
end

-- What a script outside the checkout does: the module, its core, a call to the API.
local PROBE = [[
local function where(name)   -- package.searchpath, which 5.1 lacks
  for t in package.cpath:gmatch("[^;]+") do
    local f = t:gsub("%?", (name:gsub("%.", "/")))
    local h = io.open(f)
    if h then h:close(); return f end
  end
end
local m = require "mistapi"
local c = assert(m.new())
local res = assert(c:orgs_api_tokens():list_org_api_tokens(c.org_id))
io.write(m._VERSION, " ", where("mistapi.core"), " ", res.status)
]]

local INSTALLS = {
  { version = "5.4", lua = "lua5.4" },
  { version = "5.3", lua = "lua5.3" },
  { version = "5.2", lua = "lua5.2" },
  { version = "5.1", lua = "luajit" },   -- the OpenResty install
}

describe("installing", function()
  if _VERSION ~= "Lua 5.4" then
    pending("installs every Lua's build itself: runs in the Lua 5.4 run only")
    return
  end
  local tmp, e

  setup(function() e = emulator.start() end)
  teardown(function() if e then e:stop() end end)

  before_each(function()
    tmp = os.tmpname()
    os.remove(tmp)
    assert(sh("mkdir -p " .. q(tmp)))
  end)

  after_each(function()
    sh("rm -rf " .. q(tmp))
  end)

  -- the emulator's settings, through its 0600 env file: no token on a command line
  local function client_env()
    return ("set -a; . %s/env; set +a; export MIST_HOST=$MIST_EMU_URL MIST_APITOKEN=$MIST_EMU_TOKEN "
      .. "MIST_ORG_ID=$MIST_EMU_ORG_ID; "):format(q(e.dir))
  end

  for _, case in ipairs(INSTALLS) do
    it(("make install LUA_VERSION=%s into a DESTDIR runs from there, and uninstall removes it all"):format(
      case.version), function()
      local args = ("DESTDIR=%s PREFIX=/opt/m LUA_VERSION=%s"):format(q(tmp), case.version)
      local ok, out = sh(("make -C %s --no-print-directory -o deps install %s"):format(q(root), args))
      assert.is_true(ok, out)
      local prefix = tmp .. "/opt/m"
      local share, lib = prefix .. "/share/lua/" .. case.version, prefix .. "/lib/lua/" .. case.version
      -- the module and its core, from the installed tree alone
      local ran, said = sh(client_env() .. ("cd /tmp && env -u LUA_PATH -u LUA_CPATH %s -e %s"):format(case.lua,
        q(("package.path = %q; package.cpath = %q;"):format(share .. "/?.lua;" .. share .. "/?/init.lua",
          lib .. "/?.so") .. PROBE)))
      assert.is_true(ran, said)
      assert.equal("0.2.0 " .. lib .. "/mistapi/core.so 200", said)
      -- the CLI, with no path set: it finds its own install, run by the matching Lua
      local cli = prefix .. "/bin/mistapi-tokens"
      ran, said = sh(("cd /tmp && env -u LUA_PATH -u LUA_CPATH %s --version"):format(q(cli)))
      assert.is_true(ran, said)
      assert.matches("^mistapi%-tokens 0%.2%.0 %(mistapi 0%.2%.0, Lua " .. case.version:gsub("%.", "%%.") .. ",", said)
      ran, said = sh(client_env() .. ("cd /tmp && env -u LUA_PATH -u LUA_CPATH %s list --json"):format(q(cli)))
      assert.is_true(ran, said)
      assert.truthy(said:find('"name":"emulator bootstrap token"', 1, true))
      assert.truthy(shell.read_file(prefix .. "/share/bash-completion/completions/mistapi-tokens")
        :find("complete ", 1, true))
      -- uninstall: nothing left, not even the folders install made
      ok, out = sh(("make -C %s --no-print-directory uninstall %s"):format(q(root), args))
      assert.is_true(ok, out)
      assert.equal("", left_in(tmp))
    end)
  end

  it("uninstall keeps folders that were there before install, and what others put in them", function()
    assert(sh(("mkdir -p %s/usr/local/bin %s/usr/local/share/lua/5.4/other && touch %s/usr/local/bin/other")
      :format(q(tmp), q(tmp), q(tmp))))
    local before = left_in(tmp)
    local args = ("DESTDIR=%s LUA_VERSION=5.4"):format(q(tmp))
    assert(sh(("make -C %s --no-print-directory -o deps install %s"):format(q(root), args)))
    assert.is_not.equal(before, left_in(tmp))
    assert(sh(("make -C %s --no-print-directory uninstall %s"):format(q(root), args)))
    assert.equal(before, left_in(tmp))
  end)

  for _, v in ipairs { "5.4", "5.1" } do
    it(("the rockspec installs offline for Lua %s, runs from its tree, and luarocks remove leaves nothing"):format(v),
      function()
      local lr = ("luarocks --lua-version=%s --tree=%s"):format(v, q(tmp))
      local ok, out = sh(("cd %s && %s make --deps-mode=none mistapi-0.2.0-1.rockspec"):format(q(root), lr))
      assert.is_true(ok, out)
      -- what `luarocks path` sets is all a user of a tree of their own needs
      local paths = ('eval "$(%s path)"; '):format(lr)
      local ran, said = sh(client_env() .. paths .. ("cd /tmp && %s -e %s"):format(
        v == "5.4" and "lua5.4" or "lua5.1", q(PROBE)))
      assert.is_true(ran, said)
      assert.equal("0.2.0 " .. tmp .. "/lib/lua/" .. v .. "/mistapi/core.so 200", said)
      ran, said = sh(client_env() .. paths .. ("cd /tmp && %s list --json"):format(q(tmp .. "/bin/mistapi-tokens")))
      assert.is_true(ran, said)
      assert.truthy(said:find('"name":"emulator bootstrap token"', 1, true))
      ok, out = sh(("cd /tmp && %s remove mistapi"):format(lr))
      assert.is_true(ok, out)
      -- luarocks keeps its (now empty) manifest and the folders that hold it
      local _, files = sh("cd " .. q(tmp) .. " && find . -type f | sort")
      assert.equal("./lib/luarocks/rocks-" .. v .. "/manifest\n", files)
    end)
  end
end)
