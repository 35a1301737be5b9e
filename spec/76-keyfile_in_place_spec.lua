-- Key files replaced in place, as certbot replaces a live certificate: a
-- --key-file (or --key-dir file) that holds the key of the very token being
-- rotated gets the new key beside it (PATH.new, 0600), which is renamed over
-- PATH once proved, before the old token goes; --keep-old keeps the old key
-- at PATH.prev until --finish. Interrupted at each point, the same command
-- finishes the job. Keys are only compared, never printed.
local fresh_client = require "support.fresh_client"
local shell = require "support.shell"
local cli_run = require("support.cli").run
local keystore = require "mistapi.keystore"

local READ = { { role = "read", scope = "org" } }

describe("key files replaced in place", function()
  local fresh = fresh_client.new { max_retries = 0 }
  local e, tokens, dir

  setup(function() e = fresh:start() end)
  teardown(function() fresh:stop() end)
  before_each(function()
    tokens, dir = fresh:renew_in_dir(function() e:clear_faults() end)
  end)
  after_each(function() fresh:remove_dir() end)

  local function cli(argv) return cli_run(e, argv) end

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
  local function write(path, key)
    local f = assert(io.open(path, "w"))
    f:write(key, "\n")
    f:close()
  end
  local function count() return #assert(tokens:list_all_org_api_tokens(e.org_id)).data end

  -- A token whose key lives in a file, as a service reads it.
  local function live(name, extra)
    local t = make(name, extra)
    local path = dir .. "/" .. name .. ".key"
    write(path, t.key)
    return t, path
  end

  it("replaces the old key in place once the new one is proved; nothing left beside it", function()
    local old, path = live("ci")
    local r = cli { "rotate", old.id, "--key-file", path }
    assert.equal(0, r.status, r.err)
    assert.truthy(r.out:find("replaced the old one in " .. path, 1, true), r.out)
    assert.is_true(works(read(path)))
    assert.is_false(works(old.key))
    assert.equal("600", shell.mode(path))
    assert.is_false(shell.exists(path .. ".new"))
    assert.is_false(shell.exists(path .. ".prev"))
    assert.equal(2, count())
  end)

  it("a reader of PATH sees a whole, working key all through a rotation run by another process", function()
    local old, path = live("ci")
    assert.is_true(works(old.key))
    local seen, order, reads = { [old.key] = true }, { old.key }, 0
    -- slow the verify and the old token's DELETE, so the reader meets every stage
    e:fault { kind = "latency", ms = 700, method = "GET", path = "/api/v1/self", count = 1 }
    e:fault { kind = "latency", ms = 700, method = "DELETE", count = 1 }
    local done = dir .. "/done"
    local cmd = ("%s %s --max-retries 0 rotate %s --key-file %s >%s 2>&1; echo $? > %s"):format(
      shell.client_env(e), shell.quote(shell.CLI), old.id, shell.quote(path), shell.quote(dir .. "/out"),
      shell.quote(done))
    assert(os.execute("(" .. cmd .. ") </dev/null >/dev/null 2>&1 &"))
    for _ = 1, 600 do   -- at most about 30 s
      local key = read(path)
      reads = reads + 1
      assert.truthy(key and #key >= 32, "PATH held a whole key at every read")
      if not seen[key] then
        seen[key] = true
        order[#order + 1] = key
        assert.is_true(works(key), "a key is working when a reader first sees it")
      end
      if shell.exists(done) then break end
      require("mistapi.core").sleep(0.05)
    end
    assert.is_true(shell.exists(done), "the rotation ended")
    assert.equal("0", (shell.read_file(done):gsub("%s+$", "")), shell.try_read(dir .. "/out"))
    assert.equal(old.key, order[1])
    assert.equal(2, #order, "the old key, then the new one, nothing between")
    assert.is_true(reads > 10, "the reader read through the rotation")
    assert.is_true(works(read(path)))
    assert.is_false(works(old.key))
  end)

  it("stopped between the create and its store, the same --key-file clears the keyless token and rotates", function()
    if _VERSION == "Lua 5.1" and not rawget(_G, "jit") then
      pending("stops a rotation midway by yielding from its store, across a pcall: PUC Lua 5.1 can't")
      return
    end
    local old, path = live("ci")
    local ks = assert(keystore.file(path))
    local co = coroutine.create(function()
      return tokens:rotate_org_api_token(e.org_id, old.id, { store = function() coroutine.yield() end,
        load = ks.load, commit = ks.commit })
    end)
    assert(coroutine.resume(co))   -- the new token made, its key never stored: F still holds the old key
    assert.equal(3, count())
    local r = cli { "rotate", old.id, "--key-file", path }
    assert.equal(0, r.status, r.err)
    assert.equal(2, count())
    assert.is_true(works(read(path)))
    assert.is_false(works(old.key))
    assert.is_false(shell.exists(path .. ".prev"))
  end)

  it("a key file replaced in place keeps the old key at PATH.prev while the old token lives", function()
    local old, path = live("ci")
    e:fault { kind = "status", status = 503, method = "DELETE", count = 2 }
    local r = cli { "--max-retries", "0", "rotate", old.id, "--key-file", path }
    assert.equal(5, r.status, r.err)
    assert.is_true(works(old.key))
    assert.equal(old.key, read(path .. ".prev"))
    assert.equal("600", shell.mode(path .. ".prev"))
    assert.is_true(works(read(path)))
    e:clear_faults()
    r = cli { "rotate", old.id, "--key-file", path }
    assert.equal(0, r.status, r.err)
    assert.is_false(works(old.key))
    assert.is_false(shell.exists(path .. ".prev"))
  end)

  it("--keep-old keeps the old key at PATH.prev until --finish --key-file PATH", function()
    local old, path = live("ci")
    local r = cli { "rotate", old.id, "--key-file", path, "--keep-old" }
    assert.equal(0, r.status, r.err)
    assert.is_true(works(read(path)))
    assert.equal(old.key, read(path .. ".prev"))
    assert.equal("600", shell.mode(path .. ".prev"))
    assert.is_true(works(old.key))
    r = cli { "rotate", old.id, "--finish", "--key-file", path }
    assert.equal(0, r.status, r.err)
    assert.is_false(works(old.key))
    assert.is_false(shell.exists(path .. ".prev"))
    assert.is_true(works(read(path)))
  end)

  it("when the new key fails its check, the file keeps the old key and nothing is left beside it", function()
    local old, path = live("ci")
    local r = cli { "rotate", old.id, "--key-file", path, "--src-ip", "192.0.2.9" }
    assert.equal(4, r.status, r.err)
    assert.equal(old.key, read(path))
    assert.is_false(shell.exists(path .. ".new"))
    assert.is_true(works(old.key))
    assert.equal(2, count())
  end)

  it("a file holding another key is neither used nor changed (exit 6, no token left)", function()
    local old = make("ci")
    local other = make("other")
    local path = dir .. "/ci.key"
    write(path, other.key)
    local r = cli { "rotate", old.id, "--key-file", path }
    assert.equal(6, r.status, r.err)
    assert.equal(other.key, read(path))
    assert.is_true(works(old.key))
    assert.equal(3, count())
  end)

  it("stopped after the new key was staged: the same command finishes with PATH.new", function()
    if _VERSION == "Lua 5.1" and not rawget(_G, "jit") then
      pending("stops a rotation midway by yielding from its store, across a pcall: PUC Lua 5.1 can't")
      return
    end
    local old, path = live("ci")
    local ks = assert(keystore.file(path))
    local co = coroutine.create(function()
      return tokens:rotate_org_api_token(e.org_id, old.id, { store = function(key, token, name, was)
        assert(ks.store(key, token, name, was))
        coroutine.yield()
      end })
    end)
    assert(coroutine.resume(co))
    assert.equal(old.key, read(path))
    assert.is_string(read(path .. ".new"))
    local r = cli { "rotate", old.id, "--key-file", path }
    assert.equal(0, r.status, r.err)
    assert.truthy(r.out:find("finishing an interrupted rotation", 1, true))
    assert.is_true(works(read(path)))
    assert.is_false(works(old.key))
    assert.is_false(shell.exists(path .. ".new"))
    assert.equal(2, count())
  end)

  it("stopped after the rename, before the old token went: the same command finishes", function()
    local old, path = live("ci")
    e:fault { kind = "status", status = 503, method = "DELETE" }
    local r = cli { "rotate", old.id, "--key-file", path, "--max-retries", "0" }
    assert.equal(5, r.status, r.err)
    assert.is_true(works(read(path)))   -- the new key is live: it was proved before the rename
    assert.is_true(works(old.key))
    r = cli { "rotate", old.id, "--key-file", path }
    assert.equal(0, r.status, r.err)
    assert.is_false(works(old.key))
    assert.is_true(works(read(path)))
    assert.equal(2, count())
  end)

  it("a PATH.new left by someone else is never touched: exit 6, no token left, PATH as it was", function()
    local old, path = live("ci")
    write(path .. ".new", "not-ours-0123456789")
    local r = cli { "rotate", old.id, "--key-file", path }
    assert.equal(6, r.status, r.err)
    assert.truthy(r.err:find(path .. ".new exists", 1, true), r.err)
    assert.equal("not-ours-0123456789", read(path .. ".new"))
    assert.equal(old.key, read(path))
    assert.equal(2, count())
  end)

  it("--finish --key-file leaves a PATH.prev that holds another key", function()
    local old, path = live("ci")
    assert.equal(0, cli({ "rotate", old.id, "--key-file", path, "--keep-old" }).status)
    write(path .. ".prev", "someone-else-0123456789")
    local r = cli { "rotate", old.id, "--finish", "--key-file", path }
    assert.equal(0, r.status, r.err)
    assert.equal("someone-else-0123456789", read(path .. ".prev"))
  end)

  it("apply: an unfinished create is not finished with a key that is another token's", function()
    local keys = dir .. "/keys"
    assert(os.execute("mkdir " .. shell.quote(keys)))
    make("app-a [being created]")
    local other = make("other")
    write(keys .. "/app-a.key", other.key)   -- a working key with the same privileges, but not that token's
    local state = dir .. "/state.json"
    local f = assert(io.open(state, "w"))
    f:write('{ "prefix": "app-", "tokens": { "app-a": { "privileges": [ { "role": "read", "scope": "org" } ] } } }\n')
    f:close()
    local r = cli { "apply", state, "--key-dir", keys, "--yes" }
    assert.equal(6, r.status, r.err)
    assert.truthy(r.err:find("restart", 1, true), r.err)
    assert.equal(other.key, read(keys .. "/app-a.key"))
  end)

  it("apply --key-dir replaces DIR/<name>.key in place for a replace", function()
    local keys = dir .. "/keys"
    assert(os.execute("mkdir " .. shell.quote(keys)))
    local old = make("app-b", { src_ips = { "127.0.0.1" } })
    write(keys .. "/app-b.key", old.key)
    local state = dir .. "/state.json"
    local f = assert(io.open(state, "w"))
    f:write('{ "prefix": "app-", "tokens": { "app-b": { "privileges": [ { "role": "read", "scope": "org" } ],'
      .. ' "src_ips": [ "127.0.0.0/8" ] } } }\n')
    f:close()
    local r = cli { "apply", state, "--key-dir", keys, "--yes" }
    assert.equal(0, r.status, r.err)
    assert.truthy(r.out:find("1 replaced", 1, true))
    assert.is_true(works(read(keys .. "/app-b.key")))
    assert.is_false(works(old.key))
    assert.is_false(shell.exists(keys .. "/app-b.key.new"))
  end)
end)
