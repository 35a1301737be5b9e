-- Two nginx workers share one shm budget (budget = "shm:NAME" over a
-- lua_shared_dict): the backend alone, both workers taking from one key at
-- once, each racing for room the moment it comes back; then mistapi clients in
-- both workers calling the emulator through it. nginx runs LuaJIT itself, so
-- these run once, in the Lua 5.4 run.
if jit then
  pending("nginx specs run in the Lua 5.4 run only")
  return
end

local cjson = require "cjson"
local core = require "mistapi.core"
local emulator = require "support.emulator"
local nginx_workers = require "support.nginx_workers"
local check = require "support.budget_check"
local mistapi = require "mistapi"
local redis_server = require "support.redis_server"
local shell = require "support.shell"

local HTTP = [[
  lua_shared_dict ctl 1m;
  lua_shared_dict budget 4m;
  init_worker_by_lua_block { require("support.budget_driver").init_worker() }
]]
local LOCATIONS = [[
    location / { content_by_lua_block { require("support.budget_driver").handle() } }
]]

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

  -- every worker starts the job at once; -> its id
  local function start_job(args)
    local status, body = app:request("POST", "/job", cjson.encode(args))
    assert.equal(200, status, body)
    return cjson.decode(body).id
  end

  -- -> each worker's answer to job `id` (from two processes), once all are done
  local function wait_job(id)
    for _ = 1, 3000 do -- bounded: ~60 s, only a hang ends it
      local s, text = app:request("GET", "/result?id=" .. id)
      if s == 200 then
        local results = cjson.decode(text).results
        assert.equal(2, #results)
        assert.are_not.equal(results[1].pid, results[2].pid)
        for _, r in ipairs(results) do assert.is_nil(r.raised) end
        return results
      end
      core.sleep(0.02)
    end
    error("the job did not end")
  end

  local function job(args)
    return wait_job(start_job(args))
  end

  it("never take more than the limit in any window, though they take past several windows", function()
    local limit, window = 2000, 1
    local key = ("%064x"):format(os.time()) .. "hammer"
    local results = job { kind = "hammer", dict = "budget", key = key, limit = limit, window = window,
                          total = 2 * limit + 10 }
    local all = {}
    for _, r in ipairs(results) do
      assert.same({}, r.errors)
      assert.is_true(r.tries > 0)
      for _, t in ipairs(r.times) do all[#all + 1] = t end
    end
    assert.is_true(#all >= 2 * limit + 10)
    -- A budget that lets extra takes through lets them through at the same
    -- instant; the slack covers a worker stopped by the scheduler between
    -- reading the clock and claiming its take (the time it stores is that
    -- reading).
    assert.is_true(check.most_in_any_window(all, window, 0.1) <= limit)
    -- and the limit was reached: the budget let the workers go as far as it allows
    assert.equal(limit, check.most_in_any_window(all, window, 0.1))
  end)

  describe("with mistapi clients calling the emulator", function()
    local e

    setup(function() e = emulator.start() end)
    teardown(function() if e then e:stop() end end)
    before_each(function() e:reset() end)

    local function client_opts(extra)
      local opts = { base_url = e.url, token = e.token, budget = "shm:budget", budget_wait = 30 }
      for k, v in pairs(extra) do opts[k] = v end
      return opts
    end

    -- the arrival time of the one 429 in `log`
    local function the_429(log)
      local met
      for _, entry in ipairs(log) do
        if entry.status == 429 then
          assert.is_nil(met)
          met = entry.time
        end
      end
      assert.is_number(met)
      return met
    end

    -- requests that arrived during a Retry-After, less what was on its way when
    -- the 429 came; and those after it
    local function around(log, met, retry_after)
      local during, after = 0, 0
      for _, entry in ipairs(log) do
        if entry.time > met + 0.5 and entry.time < met + retry_after then during = during + 1 end
        if entry.time >= met + retry_after then after = after + 1 end
      end
      return during, after
    end

    local function outcomes_of(results)
      local all = {}
      for _, r in ipairs(results) do
        assert.same({}, r.warnings) -- the shared budget answered throughout
        for _, o in ipairs(r.outcomes) do all[#all + 1] = o end
      end
      return all
    end

    it("make more calls than one window allows, and the emulator sees no 429 and at most N a window", function()
      local n, window = 8, 2
      e:config { rate_limit = n, rate_window = window }
      -- the budget's window a little longer than the server's: a call is counted
      -- when taken here and when it arrives there
      local results = job { kind = "client", calls = 12,
                            opts = client_opts { budget_limit = n, budget_window = window + 1 } }
      local outcomes = outcomes_of(results)
      assert.equal(24, #outcomes)
      for _, o in ipairs(outcomes) do assert.equal(200, o) end
      local log = e:log()
      assert.equal(24, #log)
      local times = {}
      for i, entry in ipairs(log) do
        assert.equal(200, entry.status)
        times[i] = entry.time
      end
      assert.is_true(check.most_in_fixed_windows(log, window) <= n)
      assert.is_true(check.most_in_any_window(times, window) <= n)
    end)

    it("wait together for the Retry-After of a 429 that one of them met", function()
      local retry_after = 3
      -- the 7th request is answered 429 as if a client outside the fleet spent the allowance
      e:fault { kind = "status", status = 429, retry_after = retry_after, skip = 6 }
      local results = job { kind = "client", calls = 40, pause = 0.05,
                            opts = client_opts { budget_limit = 1000, budget_window = 60 } }
      for _, o in ipairs(outcomes_of(results)) do assert.equal(200, o) end
      local log = e:log()
      -- what was on its way when the 429 came may still arrive; then nothing
      -- from either worker until the Retry-After is over
      local during, after = around(log, the_429(log), retry_after)
      assert.equal(0, during)
      assert.is_true(after > 40) -- both workers went on afterwards
    end)

    describe("and a process beside nginx, sharing a Redis budget", function()
      local rs

      setup(function() rs = redis_server.start() end)
      teardown(function() if rs then rs:stop() end end)
      before_each(function() rs:flush() end)

      -- this process's calls while the workers make theirs: -> outcomes, warnings
      local function calls_here(n, pause, extra)
        local warnings = {}
        local opts = { base_url = e.url, token = e.token, budget = rs.url, budget_wait = 30,
                       getenv = function() return nil end,
                       log = function(x) if x.warning then warnings[#warnings + 1] = x.warning end end }
        for k, v in pairs(extra) do opts[k] = v end
        local c = assert(mistapi.new(opts))
        local outcomes = {}
        for i = 1, n do
          local res, err = c:get_self()
          outcomes[i] = res and res.status or err.kind
          if pause then core.sleep(pause) end
        end
        c:close()
        return outcomes, warnings
      end

      -- two more processes (support/budget_worker.lua) sharing the budget: -> their lines
      local function start_processes(budget, calls)
        local procs = {}
        for i = 1, 2 do
          local out = os.tmpname()
          local command = ("%slua5.4 spec/support/budget_worker.lua %s %s %s %s %d %s %d %d >%s 2>&1"):format(
            shell.client_env(e), "./build/5.4/?.so", e.url, e.org_id, budget.budget, budget.budget_limit,
            tostring(budget.budget_window), 30, calls, shell.quote(out))
          procs[i] = { out = out, pipe = assert(io.popen(command)) }
        end
        return function()
          local lines = {}
          for _, p in ipairs(procs) do
            p.pipe:close()
            for line in shell.read_file(p.out):gmatch("[^\n]+") do lines[#lines + 1] = line end
            os.remove(p.out)
          end
          return lines
        end
      end

      it("two workers and three processes make more calls together than a window allows: no 429, at most N", function()
        local n, window = 9, 2
        e:config { rate_limit = n, rate_window = window }
        local budget = { budget = rs.url, budget_limit = n, budget_window = window + 1 }
        local id = start_job { kind = "client", calls = 8, opts = client_opts(budget) }
        local others = start_processes(budget, 8)
        local mine, warnings = calls_here(8, nil, budget)
        local outcomes = outcomes_of(wait_job(id))
        assert.same({}, warnings)
        for _, o in ipairs(mine) do outcomes[#outcomes + 1] = o end
        local lines = others()
        assert.equal(16, #lines)
        for _, line in ipairs(lines) do
          assert.equal("ok", line)
          outcomes[#outcomes + 1] = 200
        end
        assert.equal(40, #outcomes)
        for _, o in ipairs(outcomes) do assert.equal(200, o) end
        local log = e:log()
        assert.equal(40, #log)
        local times = {}
        for i, entry in ipairs(log) do
          assert.equal(200, entry.status)
          times[i] = entry.time
        end
        assert.is_true(check.most_in_fixed_windows(log, window) <= n)
        assert.is_true(check.most_in_any_window(times, window) <= n)
      end)

      it("all wait for the Retry-After of a 429 that one of them met", function()
        local retry_after = 3
        e:fault { kind = "status", status = 429, retry_after = retry_after, skip = 6 }
        local budget = { budget = rs.url, budget_limit = 1000, budget_window = 60 }
        local id = start_job { kind = "client", calls = 30, pause = 0.05, opts = client_opts(budget) }
        local mine, warnings = calls_here(30, 0.05, budget)
        local outcomes = outcomes_of(wait_job(id))
        assert.same({}, warnings)
        for _, o in ipairs(mine) do outcomes[#outcomes + 1] = o end
        for _, o in ipairs(outcomes) do assert.equal(200, o) end
        local log = e:log()
        local during, after = around(log, the_429(log), retry_after)
        assert.equal(0, during)
        assert.is_true(after > 40) -- the workers and this process went on afterwards
      end)
    end)
  end)
end)
