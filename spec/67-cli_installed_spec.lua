-- The CLI and the REPL as a user gets them: installed with `make install`
-- into a DESTDIR, run from outside the checkout (cwd /tmp, the tree's paths
-- only), against the emulator. Output that may hold a key is searched with
-- find() and never printed.
local emulator = require "support.emulator"
local shell = require "support.shell"

local ROOT = os.getenv("PWD") or "."
local q = shell.quote
local PREFIX = "/opt/mistapi-spec"

-- Both installs: Lua 5.4, and 5.1 (the OpenResty/LuaJIT one, whose CLI runs on luajit).
for _, version in ipairs { "5.4", "5.1" } do
  describe("the installed mistapi-tokens (LUA_VERSION=" .. version .. ")", function()
    if _VERSION ~= "Lua 5.4" then
      pending("installs with make: runs in the Lua 5.4 run only")
      return
    end
    local e, tmp, tree, bin

    -- The installed command, from /tmp, with only the installed tree's paths;
    -- `input` (shell text) feeds its standard input.
    local function run(argv, input)
      local share, lib = tree .. "/share/lua/" .. version, tree .. "/lib/lua/" .. version
      local var = version == "5.4" and "_5_4" or ""
      return shell.capture(("%s(cd /tmp && %sLUA_PATH%s=%s LUA_CPATH%s=%s %s %s)"):format(
        input and (input .. " | ") or "", shell.client_env(e), var, q(share .. "/?.lua;" .. share .. "/?/init.lua"),
        var, q(lib .. "/?.so"), q(bin), argv))
    end

    setup(function()
      tmp = os.tmpname()
      os.remove(tmp)
      local r = shell.capture(("cd %s && make --no-print-directory install DESTDIR=%s PREFIX=%s LUA_VERSION=%s")
        :format(q(ROOT), q(tmp), PREFIX, version))
      assert(r.status == 0, r.out .. r.err)
      tree = tmp .. PREFIX
      bin = tree .. "/bin/mistapi-tokens"
      e = emulator.start()
    end)
    teardown(function()
      if e then e:stop() end
      if tmp then os.execute("rm -rf " .. q(tmp)) end
    end)

    it("is the installed copy, not the checkout's", function()
      local r = run("--version")
      assert.equal(0, r.status, r.err)
      assert.truthy(r.out:find("^mistapi%-tokens %d+%.%d+%.%d+ "), r.out)
      assert.truthy(r.out:find(version == "5.4" and "Lua 5.4" or "Lua 5.1", 1, true), "run by the install's Lua")
      -- the tree holds every command module the registry names
      local registry = require "mistapi.cli.registry"
      for _, name in ipairs(registry.NAMES) do
        assert.is_true(shell.exists(tree .. "/share/lua/" .. version .. "/mistapi/cli/commands/" .. name .. ".lua"),
          name)
      end
      -- with the checkout's modules out of reach, a missing module would fail here
      r = run("help create")
      assert.equal(0, r.status, r.err)
      assert.truthy(r.out:find("--key-file", 1, true))
    end)

    it("lists, creates with the key on standard output, and deletes with --yes", function()
      local made = run("create --name installed --privilege admin:org --key-file -")
      assert.equal(0, made.status, made.err)
      local key = made.out:match("^(%w+)\n$")
      assert.truthy(key, "the key alone on stdout")
      assert.equal(200, (e:api("GET", e:tokens_path(), nil, key)))
      local list = run("list --name installed --json")
      assert.equal(0, list.status)
      local id = list.out:match('"id":"([%x%-]+)"')
      assert.truthy(id)
      assert.is_nil(list.out:find(key, 1, true))
      local gone = run("delete --yes " .. id .. " </dev/null")
      assert.equal(0, gone.status, gone.err)
      assert.equal(404, (e:api("GET", e:tokens_path(id))))
    end)

    it("prints its completion script, and is installed with it where bash-completion looks", function()
      local r = run("completion bash")
      assert.equal(0, r.status)
      assert.truthy(r.out:find("complete -o default -F _mistapi_tokens mistapi-tokens", 1, true))
      local installed = tree .. "/share/bash-completion/completions/mistapi-tokens"
      assert.is_true(shell.exists(installed))
      assert.equal(r.out, shell.read_file(installed))
    end)

    it("opens the REPL, which reads lines from a pipe and prints their values", function()
      local r = run("repl", "printf '%s\\n' 'tokens:list_org_api_tokens(org_id)' '1 + 1'")
      assert.equal(0, r.status, r.err)
      assert.truthy(r.out:find("ready: mistapi, client, tokens", 1, true))
      assert.truthy(r.out:find("mistapi.Result 200: 1 token\n", 1, true), r.out:sub(1, 400))
      assert.truthy(r.out:find("\n2\n", 1, true))
      assert.is_nil(r.out:find(e.token, 1, true))
    end)
  end)
end
