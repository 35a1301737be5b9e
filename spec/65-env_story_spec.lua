-- One configuration story: `eval "$(mist-emulator start --env)"` in an otherwise empty
-- environment (env -i), and then the library, mistapi-tokens, the REPL, every script of
-- examples/ and the OpenResty example talk to that emulator with nothing else set.
-- Output can hold the emulator's token or a new key: it is searched, never printed.
-- It starts real servers and runs both interpreters itself: once, in the Lua 5.4 run.
if jit then
  pending("runs in the Lua 5.4 run only")
  return
end

local shell = require "support.shell"
local nginx_app = require "support.nginx_app"

local q = shell.quote
local ROOT = nginx_app.ROOT
local SCRIPT = ROOT .. "/emulator/bin/mist-emulator"

-- Runs `script` with bash from the checkout, in an empty environment but for PATH, HOME
-- and where the tree's module is (what an install would make unnecessary), after the eval.
-- `before` runs first: what a user had exported already.
local function after_eval(script, before)
  local home = os.tmpname()
  os.remove(home)
  os.execute("mkdir -m 700 " .. q(home))
  local body = (before or "") .. "\n"
    .. 'eval "$(emulator/bin/mist-emulator start --env --watch $$)" || exit 90\n'
    .. "trap 'emulator/bin/mist-emulator stop \"$MIST_EMU_DIR\"' EXIT\n"
    .. script .. "\n"
  local file = home .. "/run.sh"
  local f = assert(io.open(file, "w"))
  f:write(body)
  f:close()
  local r = shell.capture(("cd %s && env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=%s "
    .. "LUA_PATH_5_4=%s LUA_CPATH_5_4=%s LUA_PATH=%s LUA_CPATH=%s bash %s"):format(
    q(ROOT), q(home),
    q(ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;;"), q(ROOT .. "/build/5.4/?.so;;"),
    q(ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;;"), q(ROOT .. "/build/5.1/?.so;;"),
    q(file)))
  os.execute("rm -rf " .. q(home))
  return r
end

-- "export NAME=VALUE" lines (bash's %q quoting: our values need none) -> table
local function exports(text)
  local vars = {}
  for line in text:gmatch("[^\n]+") do
    local rest = line:match("^export (.*)$")
    if rest then
      for k, v in rest:gmatch("([%w_]+)=(%S+)") do vars[k] = v end
    end
  end
  return vars
end

describe("mist-emulator start --env", function()
  it("prints export lines: its own MIST_EMU_* and the library's MIST_HOST, MIST_APITOKEN, MIST_ORG_ID", function()
    local r = shell.capture(q(SCRIPT) .. " start --env --watch $PPID")
    assert.equal(0, r.status)
    local vars = exports(r.out)
    finally(function() if vars.MIST_EMU_DIR then os.execute(q(SCRIPT) .. " stop " .. q(vars.MIST_EMU_DIR)) end end)
    assert.is_string(vars.MIST_EMU_URL)
    assert.equal(vars.MIST_EMU_URL, vars.MIST_HOST)
    assert.is_true(vars.MIST_APITOKEN ~= nil and vars.MIST_APITOKEN == vars.MIST_EMU_TOKEN)
    assert.equal(vars.MIST_EMU_ORG_ID, vars.MIST_ORG_ID)
    assert.truthy(r.out:find("\nunset MIST_BASE_URL\n", 1, true))
    for line in r.out:gmatch("[^\n]+") do
      assert.truthy(line:match("^export ") or line == "unset MIST_BASE_URL")
    end
  end)

  it("without --env prints the MIST_EMU_* lines as before", function()
    local r = shell.capture(q(SCRIPT) .. " start --watch $PPID")
    local dir = r.out:match("MIST_EMU_DIR=([^\n]+)")
    finally(function() if dir then os.execute(q(SCRIPT) .. " stop " .. q(dir)) end end)
    assert.equal(0, r.status)
    assert.truthy(r.out:find("^MIST_EMU_URL=http://127%.0%.0%.1:%d+\n"))
    assert.is_nil(r.out:find("MIST_HOST", 1, true))
  end)
end)

describe('after eval "$(mist-emulator start --env)", with nothing else set', function()
  it("the library finds the emulator, the token and the org (Lua 5.4 and LuaJIT)", function()
    local lib = [[local m = require "mistapi"; local c = assert(m.new())
      local r = assert(c:orgs_api_tokens():list_org_api_tokens(c.org_id))
      print(c.settings.base_url == os.getenv("MIST_EMU_URL"), r.status, r.data[1].name)]]
    local r = after_eval("lua5.4 -e " .. q(lib) .. "; luajit -e " .. q(lib))
    assert.equal(0, r.status)
    assert.equal("true\t200\temulator bootstrap token\ntrue\t200\temulator bootstrap token\n", r.out)
  end)

  it("wins over a MIST_BASE_URL exported before (0.1.0's name), which it unsets", function()
    local r = after_eval([[lua5.4 -e 'local c = assert(require "mistapi".new())
      print(c.settings.base_url == os.getenv("MIST_EMU_URL"), os.getenv("MIST_BASE_URL"))']],
      "export MIST_BASE_URL=https://api.eu.mist.com")
    assert.equal(0, r.status)
    assert.equal("true\tnil\n", r.out)
  end)

  it("mistapi-tokens lists the emulator's tokens", function()
    local r = after_eval("bin/mistapi-tokens list --json")
    assert.equal(0, r.status)
    assert.truthy(r.out:find('"name":"emulator bootstrap token"', 1, true))
  end)

  it("the REPL's session is set up against it", function()
    local r = after_eval([[lua5.4 -e 'require "mistapi.cli.repl".start()' </dev/null
      echo "url=$MIST_EMU_URL org=$MIST_EMU_ORG_ID"]])
    assert.equal(0, r.status)
    local url, org = r.out:match("url=(%S+) org=(%S+)\n$")
    assert.is_string(url)
    assert.truthy(r.out:find(" on " .. url .. "\n", 1, true))   -- the banner names both
    assert.truthy(r.out:find("org_id = " .. org, 1, true))
  end)

  it("every script of examples/ runs", function()
    local r = after_eval([=[
      set -e
      run() { lua5.4 "examples/$@"; }
      id=$(run go_snippets/create_org_api_token.lua | awk 'NR == 1 { print $2 }')
      run go_snippets/list_org_api_tokens.lua >/dev/null
      run go_snippets/get_org_api_token.lua "$id" >/dev/null
      run go_snippets/update_org_api_token.lua "$id" >/dev/null
      run go_snippets/delete_org_api_token.lua "$id" >/dev/null
      run quickstart.lua >/dev/null
      bin/mistapi-tokens create --name ci-1 --privilege admin:org --key-file "$HOME/ci.key" >/dev/null
      old=$(bin/mistapi-tokens list --json | lua5.4 -e 'print((io.read("a"):match([["id":"([^"]+)","name":"ci%-1"]])))')
      run rotate_token.lua "$old" --key-file "$HOME/rotated.key" >/dev/null
      st=0; run audit_stale_tokens.lua --days 30 >/dev/null || st=$?; [ "$st" -le 1 ]
      run bulk_cleanup.lua --match '^ci%-' --apply >/dev/null
      echo "left: $(bin/mistapi-tokens list --json | grep -o '"name":"[^"]*"' | tr '\n' ' ')"
    ]=])
    assert.equal(0, r.status)
    assert.equal('left: "name":"emulator bootstrap token" \n', r.out)
  end)

  it("the README's quick start runs as pasted: its shell lines, then its script", function()
    local readme = shell.read_file(ROOT .. "/README.md")
    local section = readme:match("\n## Quick start\n(.-)\n## ")
    assert.is_string(section)
    local sh_block = section:match("```sh\n(.-)```")
    local lua_block = section:match("```lua\n(.-)```")
    assert.truthy(sh_block:find("mist-emulator start --env", 1, true))
    -- the shell lines start and stop their own emulator: run them as they are
    local r = shell.capture(("cd %s && env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "
      .. "bash -e -c %s"):format(q(ROOT), q(sh_block)))
    assert.equal(0, r.status)
    assert.truthy(r.out:find("\ndeleted ", 1, true))
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write(lua_block)
    f:close()
    r = after_eval("lua5.4 " .. q(script))
    os.remove(script)
    assert.equal(0, r.status)
    assert.truthy(r.out:find("\temulator bootstrap token\n", 1, true))
    assert.truthy(r.out:find("\tci%-renamed\n"))
  end)

  it("the OpenResty example serves from the variables it printed", function()
    local r = shell.capture(q(SCRIPT) .. " start --env --watch $PPID")
    assert.equal(0, r.status)
    local vars = exports(r.out)
    local app
    finally(function()
      if app then app:stop() end
      if vars.MIST_EMU_DIR then os.execute(q(SCRIPT) .. " stop " .. q(vars.MIST_EMU_DIR)) end
    end)
    app = nginx_app.start { env = { MIST_HOST = vars.MIST_HOST, MIST_APITOKEN = vars.MIST_APITOKEN,
                                    MIST_ORG_ID = vars.MIST_ORG_ID } }
    local status, _, body = app:request("GET", "/tokens")
    assert.equal(200, status)
    assert.truthy(body:find('"org_id":"' .. vars.MIST_ORG_ID .. '"', 1, true))
  end)
end)
