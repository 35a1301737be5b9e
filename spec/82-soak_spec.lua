-- Soak: many requests through one client, many clients made and dropped.
-- Resident memory and open file descriptors must stay flat:
--   * RSS grows by less than 8 MiB from after the warm-up to the end;
--   * open fds never end more than 2 above the warm-up count.
-- The soak runs the collector in incremental mode: lua5.4 starts in
-- generational mode, where Lua 5.4.4 sets no proper target for the next
-- cycle after a full collection (a bug listed on lua.org), so the heap of
-- garbage would grow unchecked after each collectgarbage() and hide what
-- is measured here.
-- What RSS shows besides a leak is kept out of the measure: each loop
-- collects its garbage as often as its warm-up did (so the heap peaks where
-- it already had, whatever the collector's pace), and the gauge itself is
-- checked in a fresh interpreter (here, malloc may serve a new allocation
-- from memory earlier specs freed and that is still resident).
-- Under the sanitizer and valgrind runs (MISTAPI_SANITIZED=1) the counts
-- are cut by 20 and RSS is not judged (ASan's quarantine holds freed memory
-- on purpose); the fd bound still holds.
local emu = require "support.emulator"
local shell = require "support.shell"
local mistapi = require "mistapi"

local SANITIZED = os.getenv("MISTAPI_SANITIZED") == "1"
local SCALE = SANITIZED and 20 or 1
local REQUESTS = math.floor(10000 / SCALE)
local CLIENTS = math.floor(1000 / SCALE)
local CONCURRENT = 16
local ROUNDS = math.floor(300 / SCALE)
-- requests, bulk rounds and clients between two full collections, and in
-- each warm-up
local GETS_PER_GC = math.floor(200 / SCALE)
local ROUNDS_PER_GC = 10
local CLIENTS_PER_GC = math.min(100, CLIENTS)
local RSS_GROWTH_KIB = 8 * 1024
local FD_SLACK = 2

-- fds may drop (an earlier spec's garbage closing late) but not grow.
local function assert_fds(fds0, fds)
  assert.truthy(fds - fds0 <= FD_SLACK, ("fds %d -> %d"):format(fds0, fds))
end

-- The resident set in KiB, as source: this process loads it, and the
-- gauge's own check runs it in a fresh interpreter.
local RSS_SOURCE = [[
return function()
  local f = assert(io.open("/proc/self/status", "r"))
  local text = f:read("*a")
  f:close()
  return tonumber(text:match("VmRSS:%s*(%d+)"))
end]]
local load_source = loadstring or load -- luacheck: ignore
local rss_kib = assert(load_source(RSS_SOURCE))()

-- The interpreter running this spec, for a fresh process of the same kind.
local function this_lua()
  if jit then return "luajit" end  -- luacheck: ignore
  return "lua" .. _VERSION:match("%d+%.%d+")
end

-- This process's pid: /proc/self read by this process itself.
local function my_pid()
  local f = assert(io.open("/proc/self/stat", "r"))
  local pid = f:read("*l"):match("^(%d+)")
  f:close()
  return pid
end

-- What this process's open fds point at, listed by a child (the pipe to it
-- is one of them every time, so counts compare).
local function fd_links()
  local links = {}
  local d = assert(io.popen("ls -l /proc/" .. my_pid() .. "/fd"))
  for line in d:lines() do
    local target = line:match(" %d+ %-> (.*)$")
    if target then links[#links + 1] = target end
  end
  d:close()
  return links
end

local function open_fds()
  return #fd_links()
end

-- How many of them point at `path`: a gauge no other fd of the process (a
-- resolver's socket left by an earlier spec, say) can move.
local function fds_on(path)
  local n = 0
  for _, target in ipairs(fd_links()) do
    if target == path then n = n + 1 end
  end
  return n
end

describe("soak", function()
  local e, id, gc_mode

  setup(function()
    -- LuaJIT has one mode, and no such option
    local ok, mode = pcall(collectgarbage, "incremental")
    gc_mode = ok and mode or nil
    -- the soak is about the client, not the 5,000-an-hour limit
    e = emu.start{ config = { rate_limit = 1000000 } }
    id = e:seed(1)[1]
  end)

  teardown(function()
    e:stop()
    if gc_mode == "generational" then collectgarbage("generational") end
  end)

  local function settle()
    collectgarbage()
    collectgarbage()
  end

  it("the gauges see what they measure: a new fd, 64 MiB more resident", function()
    -- the fds this spec opens, by what they point at: other fds of the
    -- process may come and go meanwhile (earlier specs' garbage, resolvers)
    local status = "/proc/" .. my_pid() .. "/status"
    local on0 = fds_on(status)
    local f = assert(io.open("/proc/self/status", "r"))
    assert.equal(on0 + 1, fds_on(status))
    f:close()
    assert.equal(on0, fds_on(status))
    -- RSS: the same gauge in a fresh interpreter, whose heap holds no freed
    -- memory to serve the string from (here, earlier specs' may: 64 MiB
    -- then costs no new page); string.rep writes every byte of it
    local script = os.tmpname()
    local f2 = assert(io.open(script, "w"))
    f2:write("local rss = (loadstring or load)(", ("%q"):format(RSS_SOURCE), ")()\n",
      "local rss0 = rss()\nlocal big = ('x'):rep(64 * 1048576)\n",
      "io.write(rss() - rss0, ' ', #big)\n")
    f2:close()
    local r = shell.capture(this_lua() .. " " .. shell.quote(script))
    os.remove(script)
    assert.equal(0, r.status, r.err)
    local grew, size = r.out:match("^(%d+) (%d+)$")
    assert.equal(64 * 1048576, tonumber(size))
    assert.truthy(tonumber(grew) >= 60 * 1024, "a fresh interpreter's RSS grew by " .. tostring(grew) .. " KiB")
    assert.truthy(rss_kib() > 0)
  end)

  it(("%d requests through one client keep RSS and fds flat"):format(REQUESTS), function()
    -- more calls than a token's default budget (5000 an hour): this spec is
    -- about memory and fds, so its budget is as large as its run
    local client = assert(mistapi.new{ base_url = e.url, token = e.token, max_retries = 0,
      budget_limit = GETS_PER_GC + REQUESTS })
    local tokens = client:orgs_api_tokens()
    for _ = 1, GETS_PER_GC do
      assert(tokens:get_org_api_token(e.org_id, id))
    end
    settle()
    local rss0, fds0 = rss_kib(), open_fds()
    for i = 1, REQUESTS do
      local res, err = tokens:get_org_api_token(e.org_id, id)
      if not res then error(("request %d: %s"):format(i, tostring(err))) end
      if i % GETS_PER_GC == 0 then collectgarbage() end
    end
    settle()
    local grew, fds = rss_kib() - rss0, open_fds()
    if not SANITIZED then
      assert.truthy(grew < RSS_GROWTH_KIB, ("RSS grew by %d KiB"):format(grew))
    end
    assert_fds(fds0, fds)
    client:close()
    assert.truthy(open_fds() < fds0, "close() let its connection go")
  end)

  it(("%d gets through the concurrent path (%d rounds of bulk gets) keep RSS and fds flat"):format(
      ROUNDS * CONCURRENT, ROUNDS), function()
    settle()
    local fds_before = open_fds()
    local client = assert(mistapi.new{ base_url = e.url, token = e.token, max_retries = 0 })
    local tokens = client:orgs_api_tokens()
    local ids = e:seed(CONCURRENT)
    local function round()
      local res = assert(tokens:get_org_api_tokens(e.org_id, ids, { concurrency = CONCURRENT }))
      assert.equal(0, res.failed)
    end
    for _ = 1, ROUNDS_PER_GC do round() end
    settle()
    local rss0 = rss_kib()
    -- how many connections curl_multi keeps varies with timing (a slower
    -- run overlaps more), so fds are bounded by the pool, then checked
    -- against the count before the client once it is closed
    for i = 1, ROUNDS do
      round()
      assert_fds(fds_before, open_fds() - 2 * CONCURRENT)
      if i % ROUNDS_PER_GC == 0 then collectgarbage() end
    end
    settle()
    local grew = rss_kib() - rss0
    if not SANITIZED then
      assert.truthy(grew < RSS_GROWTH_KIB, ("RSS grew by %d KiB"):format(grew))
    end
    client:close()
    assert_fds(fds_before, open_fds())
  end)

  local function churn(n, close)
    for _ = 1, n do
      local client = assert(mistapi.new{ base_url = e.url, token = e.token, max_retries = 0 })
      assert(client:orgs_api_tokens():get_org_api_token(e.org_id, id))
      if close then client:close() end
    end
  end

  for _, close in ipairs{ true, false } do
    local how = close and "with close()" or "dropped without close()"
    it(("%d clients %s leave RSS and fds flat"):format(CLIENTS, how), function()
      -- a warm-up as big as a round: unclosed clients hold their
      -- connections until collected, so a round's peak is the warm-up's
      churn(CLIENTS_PER_GC, close)
      settle()
      local rss0, fds0 = rss_kib(), open_fds()
      -- in rounds, collecting between: an unclosed client's connection
      -- goes with its garbage, not before
      local left = CLIENTS
      while left > 0 do
        local n = math.min(CLIENTS_PER_GC, left)
        churn(n, close)
        settle()
        local fds = open_fds()
        assert_fds(fds0, fds)
        left = left - n
      end
      local grew = rss_kib() - rss0
      if not SANITIZED then
        assert.truthy(grew < RSS_GROWTH_KIB, ("RSS grew by %d KiB"):format(grew))
      end
    end)
  end
end)
