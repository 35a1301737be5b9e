-- The shm budget backend (mistapi.budget.shm) alone, inside a real nginx with
-- two workers: the sliding log (at most `limit` takes in any `window`), holds,
-- and what it refuses. A fake clock in a shared dict drives it, so no test
-- sleeps. nginx runs LuaJIT itself, so these run once, in the Lua 5.4 run.
if jit then
  pending("nginx specs run in the Lua 5.4 run only")
  return
end

local cjson = require "cjson"
local core = require "mistapi.core"
local nginx_workers = require "support.nginx_workers"

local HTTP = [[
  lua_shared_dict ctl 1m;
  lua_shared_dict budget 2m;
  lua_shared_dict tiny 64k;
  init_worker_by_lua_block { require("support.budget_driver").init_worker() }
]]
local LOCATIONS = [[
    location / { content_by_lua_block { require("support.budget_driver").handle() } }
    location = /log_hold {
      return 204;
      log_by_lua_block { require("support.budget_driver").log_hold() }
    }
]]

describe("the shm budget inside nginx", function()
  local app
  local n = 0

  setup(function()
    app = nginx_workers.start { workers = 2, http = HTTP, locations = LOCATIONS }
  end)

  teardown(function()
    if app then app:stop() end
  end)

  local function call(args)
    local status, body = app:request("POST", "/call", cjson.encode(args))
    assert.equal(200, status, body)
    return cjson.decode(body)
  end

  -- a key no other test uses (busted shuffles; the dict lives on)
  local function fresh_key()
    n = n + 1
    return ("%064x"):format(n) .. tostring(os.time())
  end

  local function at(t) call { op = "clock", now = t } end

  local function take(key, limit, window)
    local out = call { op = "take", dict = "budget", key = key, limit = limit, window = window, fake = true }
    assert.is_nil(out.raised)
    if out.err ~= nil and out.err ~= cjson.null then return nil, out.err end
    return out.result
  end

  local function hold(key, seconds)
    local out = call { op = "hold", dict = "budget", key = key, seconds = seconds, fake = true }
    assert.is_nil(out.raised)
    return out.result
  end

  it("takes up to the limit, then answers the seconds until room and takes nothing", function()
    local key = fresh_key()
    at(1000)
    for _ = 1, 3 do assert.equal(0, take(key, 3, 10)) end
    assert.equal(10, take(key, 3, 10))
    assert.equal(10, take(key, 3, 10)) -- a refused take took nothing
    at(1004)
    assert.equal(6, take(key, 3, 10))
    at(1010)
    for _ = 1, 3 do assert.equal(0, take(key, 3, 10)) end
    assert.equal(10, take(key, 3, 10))
  end)

  it("slides: room comes back one take at a time, as each take ages out", function()
    local key = fresh_key()
    for _, t in ipairs { 1000, 1005, 1009 } do
      at(t)
      assert.equal(0, take(key, 3, 10))
    end
    at(1010)
    assert.equal(0, take(key, 3, 10))  -- the take of 1000 aged out
    assert.equal(5, take(key, 3, 10))  -- the next one leaves at 1015 (fixed windows would say 10)
    at(1015)
    assert.equal(0, take(key, 3, 10))
    assert.equal(4, take(key, 3, 10))
  end)

  it("keeps one budget per key", function()
    local a, b = fresh_key(), fresh_key()
    at(2000)
    assert.equal(0, take(a, 1, 60))
    assert.equal(60, take(a, 1, 60))
    assert.equal(0, take(b, 1, 60))
  end)

  it("takes nothing while a hold lasts, and a shorter hold does not cut a longer one", function()
    local key = fresh_key()
    at(3000)
    assert.is_true(hold(key, 30))
    assert.equal(30, take(key, 100, 10))
    at(3010)
    assert.is_true(hold(key, 5))
    assert.equal(20, take(key, 100, 10))
    assert.is_true(hold(key, 25))      -- a later end wins
    assert.equal(25, take(key, 100, 10))
    at(3035)
    assert.equal(0, take(key, 100, 10))
  end)

  it("reads nginx's clock, not the client's clock it is handed", function()
    local key = fresh_key()
    -- a hold made on a client clock of 0 would have ended long before nginx's now
    local out = call { op = "hold", dict = "budget", key = key, seconds = 600, client_clock = 0 }
    assert.is_true(out.result)
    out = call { op = "take", dict = "budget", key = key, limit = 5, window = 10 }
    assert.is_true(out.result > 500)
  end)

  it("answers an error, not a forgotten take, once a full dict would evict to make room", function()
    local key = fresh_key()
    at(4000)
    local out = call { op = "fill", dict = "tiny", key = key, limit = 100000, window = 60, n = 100000, fake = true }
    assert.is_nil(out.raised)
    assert.is_true(out.taken > 10)
    assert.is_nil(out.result)
    assert.matches("shm: lua_shared_dict tiny is full", out.err, 1, true)
  end)

  it("gives up on a hold whose mutex stays taken, with an error, after a bounded wait", function()
    local key = fresh_key()
    -- a worker that died holding the hold's mutex (it expires by itself; here not for 10 s)
    assert.is_true(call { op = "raw_set", dict = "budget", name = "mistapi.budget:" .. key .. ":hl", value = true,
                          ttl = 10 }.ok)
    local out = call { op = "hold", dict = "budget", key = key, seconds = 30 }
    assert.is_nil(out.raised)
    assert.is_nil(out.result)
    assert.matches("hold lock busy", out.err, 1, true)
    -- from the log phase, where nothing may sleep: tried, never slept on, no raise
    assert.equal(204, (app:request("GET", "/log_hold?key=" .. key .. "&seconds=30")))
    local kept
    for _ = 1, 100 do -- the log phase runs after the answer: bounded wait for its record
      kept = call { op = "log_hold_result" }.result
      if kept then break end
      core.sleep(0.02)
    end
    assert.is_string(kept)
    local got = cjson.decode(kept)
    assert.is_true(got.ok, got.result)
    assert.matches("hold lock busy", got.err, 1, true)
  end)

  it("answers an error for a dict that does not exist, and raises on misuse", function()
    local out = call { op = "new", dict = "shm:nope" }
    assert.is_false(out.ok)
    assert.matches("no lua_shared_dict named nope", out.err, 1, true)
    assert.is_true(call { op = "new", dict = "shm:budget" }.ok)
    for _, bad in ipairs {
      { op = "take", dict = "budget", key = "k", limit = 0, window = 10 },
      { op = "take", dict = "budget", key = "k", limit = 1.5, window = 10 },
      { op = "take", dict = "budget", key = "k", limit = 1, window = 0 },
      { op = "take", dict = "budget", key = "", limit = 1, window = 10 },
      { op = "hold", dict = "budget", key = "k", seconds = -1 },
    } do
      local r = call(bad)
      assert.is_string(r.raised)
      assert.matches("budget", r.raised, 1, true)
    end
  end)

  it("is refused outside nginx, with an error rather than a raise", function()
    local shm = require "mistapi.budget.shm"
    local b, err = shm.new("shm:budget")
    assert.is_nil(b)
    assert.matches("only inside nginx", err, 1, true)
  end)
end)
