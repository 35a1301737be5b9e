-- Two runs of one rotation at once (a cron job that overlaps the last one,
-- two operators): two `bin/mistapi-tokens rotate` processes against the
-- emulator, the first held in its create by a latency fault so that they
-- truly overlap. The lock (F.lock, or a per-token lock for `--key-file -`)
-- lets one go on; the other is refused before it sends anything.
local fresh_client = require "support.fresh_client"
local shell = require "support.shell"
local core = require "mistapi.core"

local ROOT = os.getenv("PWD") or "."
local BIN = shell.quote(ROOT .. "/bin/mistapi-tokens")
local READ = { { role = "read", scope = "org" } }
local HOLD_MS = 5000

describe("a lock per rotation", function()
  local fresh = fresh_client.new { max_retries = 0 }
  local e, tokens, dir, secrets

  setup(function() e = fresh:start() end)
  teardown(function() fresh:stop() end)
  before_each(function()
    tokens, dir = fresh:renew_in_dir()
    secrets = { e.token }
  end)
  after_each(function() fresh:remove_dir() end)

  local function no_secret_in(text)
    for _, s in ipairs(secrets) do assert.is_nil(text:find(s, 1, true), "a secret in the output") end
  end

  local function make(name)
    local t = assert(tokens:create_org_api_token(e.org_id, { name = name, privileges = READ })).data
    secrets[#secrets + 1] = t.key
    return t
  end

  local function named(name)
    local out = {}
    for _, t in ipairs(assert(tokens:list_all_org_api_tokens(e.org_id)).data) do
      if t.name:sub(1, #name) == name then out[#out + 1] = t end
    end
    return out
  end

  -- Starts a command in the background; -> a function that waits for it (bounded) and gives { status, out, err }.
  local function background(args, env)
    local tag = dir .. "/bg" .. tostring(math.random(1e9))
    os.execute(("(%s%s%s %s >%s.out 2>%s.err; echo $? >%s.rc.tmp; mv %s.rc.tmp %s.rc) &"):format(
      shell.client_env(e), env or "", BIN, args, tag, tag, tag, tag, tag))
    return function()
      for _ = 1, 1200 do
        if shell.exists(tag .. ".rc") then break end
        core.sleep(0.05)
      end
      return { status = tonumber(shell.read_file(tag .. ".rc"):match("%d+")), out = shell.read_file(tag .. ".out"),
        err = shell.read_file(tag .. ".err") }
    end
  end

  -- the first run's create is held by the emulator: the two runs overlap from here
  local function held()
    for _ = 1, 600 do
      if e:inflight().in_flight > 0 then return true end
      core.sleep(0.02)
    end
    return false
  end

  local function overlap(key_arg, lock_path)
    local old = make("ci")
    e:clear_log()
    e:fault { kind = "latency", ms = HOLD_MS, method = "POST", path = e:tokens_path(), count = 1 }
    local first = background("rotate ci --key-file " .. key_arg)
    assert.is_true(held(), "the first run never sent its create")
    local lock_seen = shell.exists(lock_path)
    local second = shell.capture(("%s%s rotate ci --key-file %s"):format(shell.client_env(e), BIN, key_arg))
    local r1 = first()
    no_secret_in(r1.out .. r1.err .. second.out .. second.err)
    assert.equal(0, r1.status, r1.err)
    assert.equal(75, second.status, second.err)
    assert.matches("another rotation of " .. old.id .. " is running and holds its lock", second.err, 1, true)
    assert.matches("nothing was changed", second.err, 1, true)
    -- exactly one new token, the old one gone, nothing left half-way
    local now = named("ci")
    assert.equal(1, #now)
    assert.are_not.equal(old.id, now[1].id)
    assert.equal("ci", now[1].name)
    assert.equal(1, #e:requests("POST", "/apitokens"))
    assert.is_true(lock_seen, "the first run held no lock file")
    assert.is_false(shell.exists(lock_path), "the lock file was left behind")
    return r1, now[1]
  end

  it("a second rotate of the same key file is refused while the first runs (exit 75), one new token", function()
    local path = dir .. "/ci.key"
    local _, new = overlap(shell.quote(path), path .. ".lock")
    local key = shell.read_file(path):match("^(%S+)\n$")
    secrets[#secrets + 1] = key
    assert.equal(200, (e:api("GET", "/api/v1/self", nil, key)))
    assert.equal(new.key, key:sub(1, 4) .. "..." .. key:sub(-4))
    -- and once it is over, the same line runs again (the lock is gone)
    local again = shell.capture(("%s%s rotate ci --key-file %s"):format(shell.client_env(e), BIN, shell.quote(path)))
    assert.equal(0, again.status, again.err)
    assert.equal(1, #named("ci"))
  end)

  it("with --key-file - the lock is the token's, under $XDG_RUNTIME_DIR", function()
    local run = dir .. "/run"
    assert(os.execute("mkdir -m 700 " .. shell.quote(run)))
    local env = "XDG_RUNTIME_DIR=" .. shell.quote(run) .. " "
    local t = make("ci")
    local id_lock = ("%s/mistapi-tokens-%d-rotate-%s-%s.lock"):format(run, core.getuid(), e.org_id, t.id)
    e:fault { kind = "latency", ms = HOLD_MS, method = "POST", path = e:tokens_path(), count = 1 }
    local first = background("rotate ci --key-file -", env)
    assert.is_true(held(), "the first run never sent its create")
    local lock_seen = shell.exists(id_lock)
    local second = shell.capture(("%s%s%s rotate ci --key-file -"):format(shell.client_env(e), env, BIN))
    local r1 = first()
    secrets[#secrets + 1] = r1.out:match("^(%S+)\n$")
    no_secret_in(r1.err .. second.out .. second.err)
    assert.equal(0, r1.status, r1.err)
    assert.equal(75, second.status, second.err)
    assert.matches("another rotation of " .. t.id .. " is running", second.err, 1, true)
    assert.equal("", second.out)
    assert.equal(1, #named("ci"))
    assert.is_true(lock_seen, "the first run held no lock file")
    assert.is_false(shell.exists(id_lock))
  end)

  it("a second apply of the same key dir is refused while the first runs (exit 75)", function()
    local state, keys = dir .. "/tokens.json", dir .. "/keys"
    assert(os.execute("mkdir -m 700 " .. shell.quote(keys)))
    local f = assert(io.open(state, "w"))
    f:write('{"tokens":{"app-a":{"privileges":[{"role":"read","scope":"org"}]}}}')
    f:close()
    e:clear_log()
    e:fault { kind = "latency", ms = HOLD_MS, method = "POST", path = e:tokens_path(), count = 1 }
    local args = ("apply %s --key-dir %s --yes"):format(shell.quote(state), shell.quote(keys))
    local first = background(args)
    assert.is_true(held(), "the first run never sent its create")
    local second = shell.capture(("%s%s %s"):format(shell.client_env(e), BIN, args))
    local r1 = first()
    secrets[#secrets + 1] = shell.read_file(keys .. "/app-a.key"):match("%S+")
    no_secret_in(r1.out .. r1.err .. second.out .. second.err)
    assert.equal(0, r1.status, r1.err)
    assert.equal(75, second.status, second.err)
    assert.matches("another apply of --key-dir " .. keys .. " is running", second.err, 1, true)
    assert.equal(1, #named("app-a"))
    assert.equal(1, #e:requests("POST", "/apitokens"))
    assert.is_false(shell.exists(keys .. "/.mistapi-tokens-apply.lock"))
  end)

  it("a lock path that is a symlink is refused, and nothing is sent", function()
    local old = make("ci")
    local path = dir .. "/ci.key"
    assert(os.execute(("ln -s %s %s"):format(shell.quote(dir .. "/elsewhere"), shell.quote(path .. ".lock"))))
    e:clear_log()
    local r = shell.capture(("%s%s rotate %s --key-file %s"):format(shell.client_env(e), BIN, old.id,
      shell.quote(path)))
    assert.equal(2, r.status, r.err)
    assert.matches("cannot take the lock", r.err, 1, true)
    assert.is_false(shell.exists(dir .. "/elsewhere"))
    assert.equal(0, #e:requests("POST", "/apitokens"))
    assert.is_false(shell.exists(path))
  end)
end)
