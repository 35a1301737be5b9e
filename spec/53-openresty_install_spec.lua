-- `make install LUA_VERSION=5.1` lays out what nginx loads: the example
-- server runs from the installed files alone (no lua/ or build/ of the tree).
-- nginx runs LuaJIT itself, so this runs once, in the Lua 5.4 run.
if jit then
  pending("nginx specs run in the Lua 5.4 run only")
  return
end

local cjson = require "cjson"
local emulator = require "support.emulator"
local nginx_app = require "support.nginx_app"
local shell = require "support.shell"

local sh_quote = shell.quote

describe("make install LUA_VERSION=5.1", function()
  local dest, e, app

  setup(function()
    dest = assert(io.popen("mktemp -d /tmp/mistapi-install.XXXXXX")):read("*l")
    e = emulator.start()
  end)

  teardown(function()
    if app then app:stop() end
    if e then e:stop() end
    if dest and dest:match("^/tmp/mistapi%-install%.") then os.execute("rm -rf " .. sh_quote(dest)) end
  end)

  it("installs a LuaJIT core and the Lua files that nginx then runs", function()
    local cmd = "make -C " .. sh_quote(nginx_app.ROOT) .. " -o deps -o build-5.1 --no-print-directory install"
      .. " LUA_VERSION=5.1 PREFIX=/usr/local DESTDIR=" .. sh_quote(dest) .. " >/dev/null 2>&1"
    local r = os.execute(cmd)
    assert.is_true(r == true or r == 0)
    local lua_dir = dest .. "/usr/local/share/lua/5.1"
    local core_dir = dest .. "/usr/local/lib/lua/5.1"
    for _, f in ipairs { core_dir .. "/mistapi/core.so", lua_dir .. "/mistapi/init.lua",
                         lua_dir .. "/mistapi/transport/ngx.lua", lua_dir .. "/mistapi/transport/ngx_http.lua" } do
      assert.is_truthy(io.open(f), f)
    end
    app = nginx_app.start {
      env = { MIST_APITOKEN = e.token, MIST_ORG_ID = e.org_id, MIST_HOST = e.url },
      lua_dir = lua_dir, core_dir = core_dir,
      extra = [[server { listen 127.0.0.1:@EXTRA_PORT@; location = /where { content_by_lua_block {
        ngx.say(package.searchpath("mistapi.transport.ngx", package.path))
        ngx.say(package.searchpath("mistapi.core", package.cpath)) } } }]],
    }
    local status, _, body = app:request("GET", "/tokens")
    assert.equal(200, status)
    assert.equal(e.org_id, cjson.decode(body)[1].org_id)
    -- the modules come from the installed tree
    local _, _, where = app.session:request("GET", app.extra_url .. "/where", {}, nil)
    assert.equal(lua_dir .. "/mistapi/transport/ngx.lua\n" .. core_dir .. "/mistapi/core.so\n", where)
  end)
end)
