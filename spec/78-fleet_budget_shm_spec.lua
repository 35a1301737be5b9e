-- The shm budget's read-only `left` (what the progress bar of a job across orgs
-- shows, through client:budget_left()), inside a real nginx with two workers: the
-- takes of the last window only, whichever worker took them, none while held, never
-- below 0, nothing taken by asking. A fake clock in a shared dict drives it. nginx
-- runs LuaJIT itself, so these run once, in the Lua 5.4 run.
if jit then
  pending("nginx specs run in the Lua 5.4 run only")
  return
end

local cjson = require "cjson"
local nginx_workers = require "support.nginx_workers"

local HTTP = [[
  lua_shared_dict ctl 1m;
  lua_shared_dict budget 2m;
  init_worker_by_lua_block { require("support.budget_driver").init_worker() }
]]
local LOCATIONS = [[
    location / { content_by_lua_block { require("support.budget_driver").handle() } }
]]

describe("the shm budget's left", function()
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
    local out = cjson.decode(body)
    assert.is_nil(out.raised)
    return out
  end

  -- a key no other test uses (busted shuffles; the dict lives on)
  local function fresh_key()
    n = n + 1
    return ("%064x"):format(n) .. tostring(os.time())
  end

  local function at(t) call { op = "clock", now = t } end
  local function take(key, limit, window)
    return call { op = "take", dict = "budget", key = key, limit = limit, window = window, fake = true }.result
  end
  local function left(key, limit, window)
    return call { op = "left", dict = "budget", key = key, limit = limit, window = window, fake = true }.result
  end

  it("counts the takes of the last window, from every worker, and asking takes nothing", function()
    local key = fresh_key()
    at(1000)
    assert.equal(3, left(key, 3, 10))
    assert.equal(0, take(key, 3, 10))
    at(1005)
    -- several requests: the two workers answer them in turn
    for _ = 1, 4 do assert.equal(2, left(key, 3, 10)) end
    assert.equal(0, take(key, 3, 10))
    assert.equal(1, left(key, 3, 10))
    at(1010)                                   -- the take of 1000 is a window old
    assert.equal(2, left(key, 3, 10))
    assert.equal(0, take(key, 3, 10))
    assert.equal(0, take(key, 3, 10))
    assert.equal(0, left(key, 3, 10))
    assert.equal(0, left(key, 2, 10))          -- spent past a smaller allowance: 0, not -1
    assert.equal(5, left(fresh_key(), 5, 10))  -- another key counts alone
  end)

  it("is 0 while a hold lasts", function()
    local key = fresh_key()
    at(2000)
    assert.is_true(call { op = "hold", dict = "budget", key = key, seconds = 30, fake = true }.result)
    assert.equal(0, left(key, 5, 10))
    at(2030)
    assert.equal(5, left(key, 5, 10))
  end)
end)
