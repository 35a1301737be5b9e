-- mistapi-tokens rotate, audit, plan and apply against the emulator: their
-- output, key files and exit codes. Runs the CLI in this process
-- (mistapi.cli.main.run, as bin/mistapi-tokens does) and once as the script.
-- Keys are only compared, never printed: every run's output is checked to
-- hold none of the secrets seen.
local fresh_client = require "support.fresh_client"
local shell = require "support.shell"
local cli_run = require("support.cli").run
local keystore = require "mistapi.keystore"

local ROOT = os.getenv("PWD") or "."
local READ = { { role = "read", scope = "org" } }

describe("mistapi-tokens rotate, audit, plan, apply", function()
  local fresh = fresh_client.new { max_retries = 0 }
  local e, tokens, dir, secrets

  setup(function() e = fresh:start() end)
  teardown(function() fresh:stop() end)
  before_each(function()
    tokens, dir = fresh:renew_in_dir(function() e:clear_faults() end)
    secrets = { e.token }
  end)
  after_each(function() fresh:remove_dir() end)

  local function no_secret_in(text)
    for _, s in ipairs(secrets) do assert.is_nil(text:find(s, 1, true), "a secret in the output") end
  end

  -- One command line in this process. -> { status, out, err }
  local function cli(argv, stdin, token)
    return cli_run(e, argv, { answer = stdin, token = token })
  end

  local function make(name, extra)
    local body = { name = name, privileges = READ }
    for k, v in pairs(extra or {}) do body[k] = v end
    local t = assert(tokens:create_org_api_token(e.org_id, body)).data
    secrets[#secrets + 1] = t.key
    return t
  end

  local function works(key) return e:api("GET", "/api/v1/self", nil, key) == 200 end

  local function read(path)
    local text = shell.try_read(path)
    return text and text:match("^(%S+)\n$")
  end

  local mode = shell.mode

  local function count_tokens()
    return #assert(tokens:list_all_org_api_tokens(e.org_id)).data
  end

  describe("rotate", function()
    it("rotates: the new key goes to a new 0600 file and works, the old token is gone; exit 0", function()
      local old = make("ci")
      local path = dir .. "/ci.key"
      local r = cli { "rotate", old.id, "--key-file", path }
      local key = read(path)
      secrets[#secrets + 1] = key
      no_secret_in(r.out .. r.err)
      assert.equal(0, r.status, r.err)
      assert.equal("600", mode(path))
      assert.truthy(r.out:find("rotated " .. old.id, 1, true))
      assert.truthy(r.out:find("the old token is deleted", 1, true))
      assert.is_true(works(key))
      assert.is_false(works(old.key))
    end)

    it("writes the key alone to standard output with '-'", function()
      local old = make("ci")
      local r = cli { "rotate", old.id, "--key-file", "-" }
      assert.equal(0, r.status, r.err)
      local key = r.out:match("^(%S+)\n$")
      assert.is_string(key)
      assert.is_true(works(key))
      assert.truthy(r.err:find("rotated", 1, true))
    end)

    it("needs --key-file (exit 2), and with --keep-old keeps the old token until --finish", function()
      local old = make("ci")
      assert.equal(2, cli({ "rotate", old.id }).status)
      assert.equal(2, cli({ "rotate", "--key-file", dir .. "/x.key" }).status)
      local path = dir .. "/ci.key"
      local r = cli { "rotate", old.id, "--key-file", path, "--keep-old" }
      assert.equal(0, r.status, r.err)
      assert.truthy(r.out:find("rotate " .. old.id .. " --finish", 1, true))
      assert.is_true(works(old.key))
      r = cli { "rotate", old.id, "--finish" }
      assert.equal(0, r.status, r.err)
      assert.is_false(works(old.key))
      assert.is_true(works(read(path)))
    end)

    it("when the new key fails its check: exit 4, the key file is removed, the old token kept", function()
      local old = make("ci")
      local path = dir .. "/ci.key"
      local r = cli { "rotate", old.id, "--key-file", path, "--src-ip", "192.0.2.9" }
      no_secret_in(r.out .. r.err)
      assert.equal(4, r.status)
      assert.truthy(r.err:find("verify failed", 1, true))
      assert.is_nil(shell.try_read(path))
      assert.is_true(works(old.key))
      assert.equal(2, count_tokens())
      -- --no-verify: the token is read back instead; this host can't use the key, by its src_ips
      r = cli { "rotate", old.id, "--key-file", path, "--src-ip", "192.0.2.9", "--no-verify" }
      assert.equal(0, r.status, r.err)
      assert.equal("600", mode(path))
      assert.is_false(works(old.key))
      assert.equal(2, count_tokens())
    end)

    it("with an existing key file and nothing to finish: exit 6, no new token left, old kept", function()
      local old = make("ci")
      local path = dir .. "/ci.key"
      local f = assert(io.open(path, "w"))
      f:write("something else\n")
      f:close()
      local r = cli { "rotate", old.id, "--key-file", path }
      assert.equal(6, r.status)
      assert.truthy(r.err:find("store failed", 1, true))
      assert.equal("something else\n", shell.read_file(path))
      assert.equal(2, count_tokens())
      assert.is_true(works(old.key))
    end)

    it("run again with the same --key-file, finishes a rotation that was interrupted", function()
      local old = make("ci")
      local path = dir .. "/ci.key"
      -- the first run stored the key in the file, then stopped for good (a coroutine never resumed)
      local co = coroutine.create(function()
        return tokens:rotate_org_api_token(e.org_id, old.id, { store = function(key)
          secrets[#secrets + 1] = key
          assert(assert(keystore.file(path)).store(key))
          coroutine.yield()
          return true
        end })
      end)
      assert(coroutine.resume(co))
      assert.equal(3, count_tokens())
      local r = cli { "rotate", old.id, "--key-file", path }
      no_secret_in(r.out .. r.err)
      assert.equal(0, r.status, r.err)
      assert.truthy(r.out:find("finishing an interrupted rotation", 1, true))
      assert.equal(2, count_tokens())
      assert.is_false(works(old.key))
      assert.is_true(works(read(path)))
    end)

    it("stopped before the key came: the re-run deletes the keyless token (ours, no key stored) and rotates afresh",
      function()
      local old = make("ci")
      local path = dir .. "/ci.key"
      local co = coroutine.create(function()
        return tokens:rotate_org_api_token(e.org_id, old.id, { store = function()
          assert(keystore.file(path))   -- the file was made, the key never written
          coroutine.yield()
        end })
      end)
      assert(coroutine.resume(co))
      assert.equal(3, count_tokens())
      local r = cli { "rotate", old.id, "--key-file", path }
      assert.equal(0, r.status, r.err)
      assert.equal(2, count_tokens())
      secrets[#secrets + 1] = read(path)
      no_secret_in(r.out .. r.err)
      assert.is_true(works(read(path)))
      assert.is_false(works(old.key))
    end)
  end)

  describe("self rotate", function()
    it("rotates a token of your own the same way", function()
      local me = e:make_self_token { name = "me" }
      local old = e:make_self_token { name = "laptop" }
      secrets[#secrets + 1] = me.key
      secrets[#secrets + 1] = old.key
      local path = dir .. "/laptop.key"
      local r = cli({ "self", "rotate", old.id, "--key-file", path }, nil, me.key)
      secrets[#secrets + 1] = read(path)
      no_secret_in(r.out .. r.err)
      assert.equal(0, r.status, r.err)
      assert.equal("600", mode(path))
      assert.is_true(works(read(path)))
      assert.is_false(works(old.key))
      assert.equal(2, cli({ "self", "rotate", old.id }, nil, me.key).status)
    end)
  end)

  describe("audit", function()
    before_each(function()
      local now = os.time()
      local stale = make("stale", { src_ips = { "127.0.0.1" } })
      e:set_token_times(stale.id, { created_time = now - 200 * 86400, last_used = now - 100 * 86400 })
    end)

    it("prints findings with advice and exits 1 when one is at or above --fail-on", function()
      local r = cli { "audit" }
      no_secret_in(r.out .. r.err)
      assert.equal(1, r.status)
      assert.truthy(r.out:find("SEVERITY  RULE", 1, true))
      assert.truthy(r.out:find("stale", 1, true))
      assert.truthy(r.out:find("what to do:", 1, true))
      assert.truthy(r.out:find("3 findings (1 high, 1 medium, 1 low) in 2 tokens", 1, true))
      assert.equal(0, cli({ "audit", "--fail-on", "high", "--skip", "broad_privileges" }).status)
      assert.equal(1, cli({ "audit", "--fail-on", "medium", "--skip", "broad_privileges" }).status)
      assert.equal(0, cli({ "audit", "--stale-days", "120", "--fail-on", "medium", "--skip",
        "broad_privileges" }).status)
      assert.equal(0, cli({ "audit", "--fail-on", "never" }).status)
      assert.equal(2, cli({ "audit", "--fail-on", "urgent" }).status)
      assert.equal(2, cli({ "audit", "--skip", "nope" }).status)
    end)

    it("--json gives the findings as data", function()
      local r = cli { "audit", "--json" }
      assert.equal(1, r.status)
      local doc = require("mistapi.core").decode(r.out)
      assert.equal(3, #doc.findings)
      assert.equal(2, doc.tokens)
      for _, f in ipairs(doc.findings) do
        assert.is_string(f.token_id); assert.is_string(f.rule); assert.is_string(f.severity)
        assert.is_string(f.detail); assert.is_string(f.advice)
      end
    end)

    it("the script itself exits with the audit's status", function()
      local r = shell.capture(("%s%s audit --fail-on medium"):format(shell.client_env(e),
        shell.quote(ROOT .. "/bin/mistapi-tokens")))
      no_secret_in(r.out .. r.err)
      assert.equal(1, r.status)
      r = shell.capture(("%s%s audit --fail-on high --skip broad_privileges"):format(shell.client_env(e),
        shell.quote(ROOT .. "/bin/mistapi-tokens")))
      assert.equal(0, r.status)
    end)
  end)

  describe("plan and apply", function()
    local function write_state(path, extra_ips)
      local f = assert(io.open(path, "w"))
      f:write('{"prefix":"app-","tokens":{"app-a":{"privileges":[{"role":"read","scope":"org"}]},'
        .. '"app-b":{"privileges":[{"role":"read","scope":"org"}],"src_ips":["127.0.0.1"' .. (extra_ips or "")
        .. ']}}}')
      f:close()
    end

    it("plan prints the steps and changes nothing; apply asks, then does them; again, nothing to do", function()
      local state = dir .. "/state.json"
      write_state(state)
      make("app-gone")
      local manual = make("manual")
      local keys = dir .. "/keys"
      assert(os.execute("mkdir " .. shell.quote(keys)))

      local r = cli { "plan", state, "--prune" }
      assert.equal(0, r.status, r.err)
      assert.truthy(r.out:find("  + create app-a", 1, true))
      assert.truthy(r.out:find("  - destroy app-gone", 1, true))
      assert.truthy(r.out:find("Plan: 2 to create, 0 to change, 0 to replace, 1 to destroy.", 1, true))
      assert.equal(3, count_tokens())

      -- no terminal and no --yes: nothing is done; declined on a terminal: exit 1
      assert.equal(2, cli({ "apply", state, "--key-dir", keys, "--prune" }).status)
      assert.equal(1, cli({ "apply", state, "--key-dir", keys, "--prune" }, "no").status)
      assert.equal(3, count_tokens())
      assert.is_nil(shell.try_read(keys .. "/app-a.key"))
      -- new tokens need a key dir
      assert.equal(2, cli({ "apply", state, "--yes" }).status)

      r = cli { "apply", state, "--key-dir", keys, "--prune", "--yes" }
      for _, n in ipairs { "app-a", "app-b" } do secrets[#secrets + 1] = read(keys .. "/" .. n .. ".key") end
      no_secret_in(r.out .. r.err)
      assert.equal(0, r.status, r.err)
      assert.truthy(r.out:find("Apply complete: 2 created, 0 changed, 0 replaced, 1 destroyed.", 1, true))
      for _, n in ipairs { "app-a", "app-b" } do
        assert.equal("600", mode(keys .. "/" .. n .. ".key"))
        assert.is_true(works(read(keys .. "/" .. n .. ".key")))
      end
      assert.is_true(works(manual.key))
      assert.equal(4, count_tokens())

      r = cli { "apply", state, "--key-dir", keys, "--prune", "--yes" }
      assert.equal(0, r.status)
      assert.truthy(r.out:find("No changes.", 1, true))

      -- src_ips changed: a replace; its key goes to the file of that name, which must be new
      write_state(state, ',"127.0.0.2"')
      os.remove(keys .. "/app-b.key")
      r = cli { "apply", state, "--key-dir", keys, "--yes" }
      assert.equal(0, r.status, r.err)
      assert.truthy(r.out:find("-/+ replace app-b", 1, true))
      assert.truthy(r.out:find("replaced app-b: key in", 1, true))
      assert.is_true(works(read(keys .. "/app-b.key")))
      assert.equal(0, cli({ "plan", state, "--json" }).status)
      assert.truthy(cli({ "plan", state }).out:find("No changes.", 1, true))
    end)

    it("refuses a key file that exists for a token to create (exit 2), before anything is sent", function()
      local state = dir .. "/state.json"
      write_state(state)
      local keys = dir .. "/keys"
      assert(os.execute("mkdir " .. shell.quote(keys)))
      local f = assert(io.open(keys .. "/app-a.key", "w"))
      f:write("old\n")
      f:close()
      local r = cli { "apply", state, "--key-dir", keys, "--yes" }
      assert.equal(2, r.status)
      assert.equal(1, count_tokens())
      assert.is_nil(shell.try_read(keys .. "/app-b.key"))
      assert.equal(2, cli({ "apply", state, "--key-dir", dir .. "/none", "--yes" }).status)
      assert.equal(3, cli({ "plan", dir .. "/missing.json" }).status)
    end)
  end)
end)
