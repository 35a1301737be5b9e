-- Two nginx workers share one shm budget (mistapi.budget.shm over a
-- lua_shared_dict): both take from one key at once, each racing for room the
-- moment it comes back, and together they never take more than `limit` in any
-- `window`. nginx runs LuaJIT itself, so these run once, in the Lua 5.4 run.
if jit then
  pending("nginx specs run in the Lua 5.4 run only")
  return
end

local cjson = require "cjson"
local core = require "mistapi.core"
local nginx_workers = require "support.nginx_workers"

local HTTP = [[
  lua_shared_dict ctl 1m;
  lua_shared_dict budget 4m;
  init_worker_by_lua_block { require("support.budget_driver").init_worker() }
]]
local LOCATIONS = [[
    location / { content_by_lua_block { require("support.budget_driver").handle() } }
]]

-- The most takes in any span shorter than `window` by `slack`, over every
-- worker's takes. `slack` covers the clocks of two processes read a moment
-- apart (ngx.now has milliseconds); a budget that lets extra takes through
-- lets them through at the same instant.
local function most_in_any_window(times, window, slack)
  table.sort(times)
  local most, j = 0, 1
  for i = 1, #times do
    while times[i] - times[j] >= window - slack do j = j + 1 end
    if i - j + 1 > most then most = i - j + 1 end
  end
  return most
end

describe("two nginx workers sharing one shm budget", function()
  local app

  setup(function()
    app = nginx_workers.start { workers = 2, http = HTTP, locations = LOCATIONS }
    for _ = 1, 250 do -- both workers' timers are up (bounded: ~5 s)
      local _, body = app:request("GET", "/workers")
      if cjson.decode(body).count == 2 then return end
      core.sleep(0.02)
    end
    error("the two workers did not come up")
  end)

  teardown(function()
    if app then app:stop() end
  end)

  -- every worker runs the job at once; -> each worker's answer
  local function job(args)
    local status, body = app:request("POST", "/job", cjson.encode(args))
    assert.equal(200, status, body)
    local id = cjson.decode(body).id
    for _ = 1, 3000 do -- bounded: ~60 s, only a hang ends it
      local s, text = app:request("GET", "/result?id=" .. id)
      if s == 200 then return cjson.decode(text).results end
      core.sleep(0.02)
    end
    error("the job did not end")
  end

  it("never take more than the limit in any window, though they take past several windows", function()
    local limit, window = 300, 1
    local key = ("%064x"):format(os.time()) .. "hammer"
    local results = job { kind = "hammer", dict = "budget", key = key, limit = limit, window = window,
                          total = 2 * limit + 10 }
    local all, pids = {}, {}
    for _, r in ipairs(results) do
      assert.is_nil(r.raised)
      assert.same({}, r.errors)
      assert.is_true(r.tries > 0)
      pids[r.pid] = true
      for _, t in ipairs(r.times) do all[#all + 1] = t end
    end
    assert.equal(2, #results)
    local n = 0
    for _ in pairs(pids) do n = n + 1 end
    assert.equal(2, n) -- two processes, not one worker twice
    assert.is_true(#all >= 2 * limit + 10)
    assert.is_true(most_in_any_window(all, window, 0.01) <= limit)
    -- and the limit was reached: the budget let the workers go as far as it allows
    assert.equal(limit, most_in_any_window(all, window, 0.01))
  end)
end)
