-- The lifecycle's promises on its failure paths (docs/lifecycle.md,
-- "Invariants"), each case against the emulator: a create whose answer is
-- lost after the server made the token, an answer that can't be decoded, a
-- self create answering a list, a verify that fails while its clean-up
-- DELETE fails too, key files that are no regular file, a standard output
-- that can't be written. After each: no token whose key nobody holds, the
-- exit status and message tell what exists, and the same command run again
-- converges. Keys are only compared, never printed.
local fresh_client = require "support.fresh_client"
local shell = require "support.shell"
local cli_run = require("support.cli").run

local ROOT = os.getenv("PWD") or "."

-- Does the shell command succeed? (os.execute answers true on 5.4, 0 on LuaJIT)
local function sh(cmd)
  local r = os.execute(cmd)
  return r == true or r == 0
end
local READ = { { role = "read", scope = "org" } }

describe("lifecycle failure paths", function()
  local fresh = fresh_client.new { max_retries = 0 }
  local e, tokens, dir

  setup(function() e = fresh:start() end)
  teardown(function() fresh:stop() end)
  before_each(function()
    tokens, dir = fresh:renew_in_dir(function() e:clear_faults() end)
  end)
  after_each(function() fresh:remove_dir() end)

  -- One command line in this process (`stdout`: its writer). -> { status, out, err }
  local function cli(argv, token, stdout)
    return cli_run(e, argv, { token = token, stdout = stdout })
  end

  local function make(name, extra)
    local body = { name = name, privileges = READ }
    for k, v in pairs(extra or {}) do body[k] = v end
    return assert(tokens:create_org_api_token(e.org_id, body)).data
  end

  local function works(key) return key ~= nil and e:api("GET", "/api/v1/self", nil, key) == 200 end

  local function read(path)
    local text = shell.try_read(path)
    return text and text:match("^(%S+)\n$")
  end

  local function org_tokens()
    return assert(tokens:list_all_org_api_tokens(e.org_id)).data
  end

  local function named(name, list)
    local out = {}
    for _, t in ipairs(list or org_tokens()) do
      if t.name == name then out[#out + 1] = t end
    end
    return out
  end

  -- No orphan key: every token named `name` (or, with `prefix`, whose name
  -- starts so) has its working key in `path`; -> how many there are.
  local function no_orphan(name, path, list, prefix)
    local n = 0
    for _, t in ipairs(list or org_tokens()) do
      if t.name == name or (prefix and t.name:sub(1, #name) == name) then
        n = n + 1
        local key = read(path)
        assert.is_truthy(key, ("token %s exists but %s holds no key"):format(t.id, path))
        assert.equal(t.key, key:sub(1, 4) .. "..." .. key:sub(-4), "the file holds another token's key")
        assert.is_true(works(key))
      end
    end
    return n
  end

  local function write_state(path, names)
    local parts = {}
    for _, n in ipairs(names) do
      parts[#parts + 1] = ('"%s": { "privileges": [ { "role": "read", "scope": "org" } ] }'):format(n)
    end
    local f = assert(io.open(path, "w"))
    f:write('{ "prefix": "app-", "tokens": { ' .. table.concat(parts, ", ") .. " } }\n")
    f:close()
  end

  describe("1: apply, a create the server made but whose answer was lost", function()
    for _, fault in ipairs {
      { kind = "status", status = 502, phase = "after" },
      { kind = "truncate", bytes = 40 },
      { kind = "close", bytes = 40 },
    } do
      it(("%s: no token without its key; the re-run makes it"):format(fault.kind), function()
        local state, keys = dir .. "/state.json", dir .. "/keys"
        assert(os.execute("mkdir " .. shell.quote(keys)))
        write_state(state, { "app-a" })
        fault.method, fault.path = "POST", e:tokens_path()
        e:fault(fault)
        local r = cli { "apply", state, "--key-dir", keys, "--yes" }
        assert.equal(5, r.status, r.err)
        assert.is_nil(r.err:find("no token was made", 1, true))
        assert.equal(0, no_orphan("app-a", keys .. "/app-a.key"))
        assert.is_truthy(r.err:find("deleted", 1, true), r.err)
        r = cli { "apply", state, "--key-dir", keys, "--yes" }
        assert.equal(0, r.status, r.err)
        assert.truthy(r.out:find("1 created", 1, true))
        assert.equal(1, no_orphan("app-a", keys .. "/app-a.key"))
      end)
    end
  end)

  describe("2: create, an answer the library can't decode that holds the whole token", function()
    it("keeps the key from the answer: it goes to --key-file and the token is kept", function()
      -- the answer's length for this body, to cut only its last byte
      local status, _, _, raw = e:api("POST", e:tokens_path(), { name = "probe-x", privileges = READ })
      assert.equal(200, status)
      e:fault { kind = "truncate", bytes = #raw - 1, method = "POST", path = e:tokens_path() }
      local path = dir .. "/new.key"
      local r = cli { "create", "--name", "probe-y", "--privilege", "read:org", "--key-file", path }
      assert.equal(0, r.status, r.err)
      assert.truthy(r.err:find("recovered", 1, true), r.err)
      assert.equal(1, no_orphan("probe-y", path))
    end)

    it("a cut answer whose key is lost: the token is found by name and deleted; exit 5", function()
      e:fault { kind = "truncate", bytes = 30, method = "POST", path = e:tokens_path() }
      local path = dir .. "/new.key"
      local r = cli { "create", "--name", "cut", "--privilege", "read:org", "--key-file", path }
      assert.equal(5, r.status, r.err)
      assert.equal(0, #named("cut"))
      assert.is_nil(shell.try_read(path))
      assert.truthy(r.err:find("deleted", 1, true), r.err)
    end)

    it("a 500 after the server made it: found by name and deleted, a same-named older token kept", function()
      local older = make("dup")
      e:fault { kind = "status", status = 500, phase = "after", method = "POST", path = e:tokens_path() }
      local r = cli { "create", "--name", "dup", "--privilege", "read:org" }
      assert.equal(5, r.status, r.err)
      local left = named("dup")
      assert.equal(1, #left)
      assert.equal(older.id, left[1].id)
    end)
  end)

  describe("3: self create and self rotate when the answer lists several tokens", function()
    it("self create picks the token it made; its key goes to the file", function()
      local me = e:make_self_token { name = "me" }
      e:make_self_token { name = "other" }
      e:config { self_create_answer = "all" }
      local path = dir .. "/mine.key"
      local r = cli({ "self", "create", "--name", "mine", "--key-file", path }, me.key)
      assert.equal(0, r.status, r.err)
      assert.is_true(works(read(path)))
      local status, list = e:api("GET", e:self_tokens_path(), nil, me.key)
      assert.equal(200, status)
      assert.equal(3, #list)
    end)

    it("self rotate finishes the rotation with the right token", function()
      local me = e:make_self_token { name = "me" }
      local old = e:make_self_token { name = "laptop" }
      e:config { self_create_answer = "all" }
      local path = dir .. "/laptop.key"
      local r = cli({ "self", "rotate", old.id, "--key-file", path }, me.key)
      assert.equal(0, r.status, r.err)
      assert.is_true(works(read(path)))
      assert.is_false(works(old.key))
      local _, list = e:api("GET", e:self_tokens_path(), nil, me.key)
      assert.equal(2, #list)
    end)
  end)

  describe("4: verify fails and the clean-up DELETE fails too", function()
    it("rotate keeps the key file of the live new token; the re-run finishes", function()
      local old = make("ci")
      local path = dir .. "/ci.key"
      e:fault { { kind = "status", status = 500, method = "GET", path = "/api/v1/self" },
        { kind = "status", status = 503, method = "DELETE", count = 5 } }
      local r = cli { "rotate", old.id, "--key-file", path, "--max-retries", "0" }
      assert.equal(5, r.status, r.err)
      assert.truthy(r.err:find("could not be deleted", 1, true), r.err)
      assert.truthy(r.err:find(path, 1, true), r.err)
      assert.equal(1, no_orphan("ci [rotation of " .. old.id .. "]", path))
      assert.is_true(works(old.key))
      e:clear_faults()
      r = cli { "rotate", old.id, "--key-file", path }
      assert.equal(0, r.status, r.err)
      assert.equal(1, no_orphan("ci", path))
      assert.is_false(works(old.key))
    end)

    it("apply's create keeps the key file of the live new token", function()
      local state, keys = dir .. "/state.json", dir .. "/keys"
      assert(os.execute("mkdir " .. shell.quote(keys)))
      write_state(state, { "app-a" })
      e:fault { { kind = "status", status = 500, method = "GET", path = "/api/v1/self" },
        { kind = "status", status = 503, method = "DELETE", count = 5 } }
      local r = cli { "apply", state, "--key-dir", keys, "--yes", "--max-retries", "0" }
      assert.equal(5, r.status, r.err)
      assert.truthy(r.err:find(keys .. "/app-a.key", 1, true), r.err)
      assert.equal(1, no_orphan("app-a [being created]", keys .. "/app-a.key"))
      e:clear_faults()
      r = cli { "apply", state, "--key-dir", keys, "--yes" }
      assert.equal(0, r.status, r.err)
      assert.truthy(r.out:find("1 created", 1, true))
      assert.equal(1, no_orphan("app-a", keys .. "/app-a.key", nil, true))
    end)

    it("apply's create whose answer is lost and whose clean-up fails: the re-run deletes it and creates afresh",
      function()
      local state, keys = dir .. "/state.json", dir .. "/keys"
      assert(os.execute("mkdir " .. shell.quote(keys)))
      write_state(state, { "app-a" })
      e:fault { { kind = "status", status = 502, phase = "after", method = "POST", path = e:tokens_path() },
        { kind = "status", status = 503, method = "DELETE", count = 5 } }
      local r = cli { "apply", state, "--key-dir", keys, "--yes", "--max-retries", "0" }
      assert.equal(5, r.status, r.err)
      assert.truthy(r.err:find("key is lost", 1, true), r.err)
      e:clear_faults()
      assert.equal(1, #named("app-a [being created]"))
      -- its temporary name is ours and no key file holds its key: nobody can, so it goes
      r = cli { "apply", state, "--key-dir", keys, "--yes" }
      assert.equal(0, r.status, r.err)
      assert.equal(0, #named("app-a [being created]"))
      assert.equal(1, no_orphan("app-a", keys .. "/app-a.key", nil, true))
    end)

    it("apply's create whose rename fails: the re-run finishes it with the key file", function()
      local state, keys = dir .. "/state.json", dir .. "/keys"
      assert(os.execute("mkdir " .. shell.quote(keys)))
      write_state(state, { "app-a" })
      e:fault { kind = "status", status = 503, method = "PUT", count = 5 }
      local r = cli { "apply", state, "--key-dir", keys, "--yes", "--max-retries", "0" }
      assert.equal(5, r.status, r.err)
      assert.truthy(r.err:find("a re-run finishes it", 1, true), r.err)
      e:clear_faults()
      r = cli { "apply", state, "--key-dir", keys, "--yes" }
      assert.equal(0, r.status, r.err)
      assert.equal(1, no_orphan("app-a", keys .. "/app-a.key", nil, true))
      assert.equal(0, #named("app-a [being created]"))
    end)
  end)

  describe("the client's own token", function()
    it("delete and self delete refuse the token the command runs with, unless --allow-self", function()
      local me = make("me", { privileges = { { role = "admin", scope = "org" } } })
      local r = cli({ "delete", me.id, "--yes" }, me.key)
      assert.equal(3, r.status, r.err)
      assert.truthy(r.err:find("--allow-self", 1, true), r.err)
      assert.is_true(works(me.key))
      r = cli({ "delete", me.id, "--yes", "--allow-self" }, me.key)
      assert.equal(0, r.status, r.err)
      assert.is_false(works(me.key))

      local mine = e:make_self_token { name = "mine" }
      r = cli({ "self", "delete", mine.id, "--yes" }, mine.key)
      assert.equal(3, r.status, r.err)
      assert.is_true(works(mine.key))
      local other = e:make_self_token { name = "other" }
      r = cli({ "self", "delete", other.id, "--yes" }, mine.key)
      assert.equal(0, r.status, r.err)
    end)
  end)

  describe("5: key files that are no regular file, and a standard output that can't be written", function()
    local function refused(path, what)
      local old = make("ci")
      e:clear_log()
      local r = cli { "rotate", old.id, "--key-file", path }
      assert.equal(2, r.status, r.err)
      assert.truthy(r.err:find(what, 1, true), r.err)
      assert.equal(0, #e:log(), "a request was sent")
      assert.is_true(works(old.key))
    end

    it("refuses an empty directory and leaves it", function()
      local path = dir .. "/empty"
      assert(os.execute("mkdir " .. shell.quote(path)))
      refused(path, "a directory")
      assert.is_true(sh("test -d " .. shell.quote(path)))
    end)

    it("refuses a device node (a copy of /dev/null) and leaves it", function()
      local path = dir .. "/null"
      assert(os.execute("cp -a /dev/null " .. shell.quote(path) .. " 2>/dev/null || mknod "
        .. shell.quote(path) .. " c 1 3"))
      refused(path, "not a regular file")
      assert.is_true(sh("test -c " .. shell.quote(path)))
    end)

    it("refuses a symlink, even to a key file", function()
      local target, path = dir .. "/real.key", dir .. "/link.key"
      local f = assert(io.open(target, "w"))
      f:write("abcdefghijklmnopqrstuvwxyz\n")
      f:close()
      assert(os.execute("ln -s " .. shell.quote(target) .. " " .. shell.quote(path)))
      refused(path, "symlink")
      assert.equal("abcdefghijklmnopqrstuvwxyz", read(target))
    end)

    it("'-' into a pipe nobody reads: exit 6, not killed half-way; the new token deleted", function()
      local old = make("ci")
      -- stdout is a pipe whose last reader closed before the command started (a FIFO opened
      -- read-write, then its write end kept and the read-write end closed): no race
      local script = ("f=$(mktemp -u); mkfifo \"$f\"; exec 4<>\"$f\"; exec 5>\"$f\"; exec 4<&-; rm \"$f\";"
        .. " %s%s rotate %s --key-file - 1>&5 5>&-"):format(shell.client_env(e),
        shell.quote(ROOT .. "/bin/mistapi-tokens"), old.id)
      local r = shell.capture("bash -c " .. shell.quote(script))
      assert.equal(6, r.status, r.err)
      assert.truthy(r.err:find("broken pipe", 1, true), r.err)
      assert.is_true(works(old.key))
      assert.equal(2, #org_tokens())
    end)

    it("create --key-file - with a standard output that fails: the token is deleted again, exit 6", function()
      local r = cli({ "create", "--name", "piped", "--privilege", "read:org", "--key-file", "-" }, nil,
        function() return nil, "Broken pipe" end)
      assert.equal(6, r.status, r.err)
      assert.truthy(r.err:find("broken pipe", 1, true), r.err)
      assert.truthy(r.err:find("the new token was deleted", 1, true), r.err)
      assert.equal(0, #named("piped"))
    end)

    it("'-' with a standard output that can't be written (/dev/full): exit 6, the old token kept", function()
      local old = make("ci")
      local r = shell.capture(("(%s%s rotate %s --key-file - >/dev/full)"):format(shell.client_env(e),
        shell.quote(ROOT .. "/bin/mistapi-tokens"), old.id))
      assert.equal(6, r.status, r.err)
      assert.truthy(r.err:find("standard output", 1, true), r.err)
      assert.is_true(works(old.key))
      assert.equal(2, #org_tokens())   -- the bootstrap token and the old one; the new one deleted
    end)
  end)
end)
