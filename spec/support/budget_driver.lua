-- Runs inside the workers of support.nginx_workers: drives the shm budget (and,
-- for the end-to-end specs, mistapi clients) from every worker at once.
-- nginx config it needs:
--   lua_shared_dict ctl 1m;   (and the budget's own dict)
--   init_worker_by_lua_block { require("support.budget_driver").init_worker() }
--   location / { content_by_lua_block { require("support.budget_driver").handle() } }
-- Calls (JSON bodies):
--   POST /call {op = "take"|"left"|"fill"|"hold"|"clock"|"new"|"raw_set"|"log_hold_result",
--               dict, key, limit, window, seconds, now, n, name, value, ttl}
--     in whichever worker answers; "clock" sets the fake clock the "fake" backends read
--     (fake = true in take/hold; client_clock = N: a client's clock in settings.now),
--     "new" answers shm.new's error (or ok).
--   POST /job {kind, ...}: every worker runs it on a timer, at the same moment;
--     answers {id}.  GET /result?id=ID -> 200 {results = {per worker}} once every
--     worker is done, else 202.  GET /workers -> {count}: workers up.
--   Jobs: "hammer" (takes from the shm backend), "client" (calls through mistapi).
local cjson = require "cjson"
local shm = require "mistapi.budget.shm"

local ngx = rawget(_G, "ngx")

local M = {}

local WORKERS = tonumber(os.getenv("BUDGET_DRIVER_WORKERS")) or 2

local function ctl() return ngx.shared.ctl end

local function fake_now()
  return ctl():get("fake_now") or 0
end

local function reply(status, body)
  ngx.status = status
  ngx.say(cjson.encode(body))
  return ngx.exit(status)
end

-- fake: the fake clock; client_clock: a client's own clock passed as settings.now
-- (what mistapi.budget hands every backend), which shm must not read
local function backend(a)
  if a.fake then return shm.new(a.dict, { shm_now = fake_now }) end
  if a.client_clock then return shm.new(a.dict, { now = function() return a.client_clock end }) end
  return shm.new(a.dict)
end

local CALLS = {}

function CALLS.clock(a)
  ctl():set("fake_now", a.now)
  return { ok = true }
end

function CALLS.new(a)
  local b, err = shm.new(a.dict)
  return { ok = b ~= nil, err = err }
end

function CALLS.take(a)
  local b = assert(backend(a))
  local r, err = b:take(a.key, a.limit, a.window)
  return { result = r, err = err }
end

function CALLS.left(a)
  local b = assert(backend(a))
  local r, err = b:left(a.key, a.limit, a.window)
  return { result = r, err = err }
end

-- takes from a.key (limit a.limit) until the first answer that is not 0, at most a.n times
function CALLS.fill(a)
  local b = assert(backend(a))
  for i = 1, a.n do
    local r, err = b:take(a.key, a.limit, a.window)
    if r ~= 0 then return { taken = i - 1, result = r, err = err } end
  end
  return { taken = a.n }
end

-- a dict entry set behind the backend's back (a mutex some other worker holds)
function CALLS.raw_set(a)
  return { ok = ngx.shared[a.dict]:set(a.name, a.value, a.ttl or 0) }
end

-- what the log phase of the last request to /log_hold left (see log_hold)
function CALLS.log_hold_result()
  return { result = ctl():get("log_hold") }
end

function CALLS.hold(a)
  local b = assert(backend(a))
  local r, err = b:hold(a.key, a.seconds)
  return { result = r, err = err }
end

-- Every worker takes from one key as fast as it may: at once when there is
-- room, else asleep until the moment room comes back (so the workers race for
-- it), until the workers together took `total` or the deadline passed.
-- Answers the clock reading of each of its takes (the backend's own).
local JOBS = {}

function JOBS.hammer(a)
  local seen
  local b = assert(shm.new(a.dict, { shm_now = function()
    ngx.update_time()
    seen = ngx.now()
    return seen
  end }))
  local times, tries, errors = {}, 0, {}
  local done_key = "done:" .. a.id
  local deadline = ngx.now() + (a.deadline or 20)
  while (ctl():get(done_key) or 0) < a.total and ngx.now() < deadline do
    tries = tries + 1
    local r, err = b:take(a.key, a.limit, a.window)
    if r == 0 then
      times[#times + 1] = seen
      ctl():incr(done_key, 1, 0)
    elseif r then
      ngx.sleep(r)
    else
      errors[#errors + 1] = err
      ngx.sleep(0.01)
    end
  end
  return { times = times, tries = tries, errors = errors }
end

-- Every worker makes one mistapi client (a.opts: base_url, token, budget...)
-- and makes `a.calls` calls of GET /self one after the other (a.pause seconds
-- apart). Answers each call's status or error kind, and the log hook's warnings.
function JOBS.client(a)
  local mistapi = require "mistapi"
  local warnings = {}
  local opts = a.opts
  opts.getenv = function() return nil end
  opts.log = function(x)
    if x.warning then warnings[#warnings + 1] = x.warning end
  end
  local c = assert(mistapi.new(opts))
  local outcomes = {}
  for i = 1, a.calls do
    local res, err = c:get_self()
    outcomes[i] = res and res.status or err.kind
    if a.pause then ngx.sleep(a.pause) end
  end
  return { outcomes = outcomes, warnings = warnings }
end

local function run_job(text)
  local a = cjson.decode(text)
  local wait = a.start_at - ngx.now()
  if wait > 0 then ngx.sleep(wait) end
  local ok, out = pcall(JOBS[a.kind], a)
  if not ok then out = { raised = tostring(out) } end
  out.worker = ngx.worker.id()
  out.pid = ngx.worker.pid()
  ctl():set("result:" .. a.id .. ":" .. ngx.worker.id(), cjson.encode(out))
end

-- From a log phase (where ngx.sleep is not allowed): a hold of arg key for
-- arg seconds, its outcome kept in ctl "log_hold".
function M.log_hold()
  local b = assert(shm.new("budget"))
  local ok, r, err = pcall(b.hold, b, ngx.var.arg_key, tonumber(ngx.var.arg_seconds))
  ctl():set("log_hold", cjson.encode { ok = ok, result = r, err = err })
end

function M.init_worker()
  local last, busy
  ctl():set("worker:" .. ngx.worker.id(), true)
  assert(ngx.timer.every(0.01, function(premature)
    if premature or busy then return end
    local id = ctl():get("job:id")
    if not id or id == last then return end
    last, busy = id, true
    local ok, err = pcall(run_job, ctl():get("job:" .. id))
    busy = false
    if not ok then ngx.log(ngx.ERR, "budget_driver: ", err) end
  end))
end

function M.handle()
  local path = ngx.var.uri
  if path == "/workers" then
    local n = 0
    for i = 0, WORKERS - 1 do
      if ctl():get("worker:" .. i) then n = n + 1 end
    end
    return reply(200, { count = n })
  elseif path == "/result" then
    local id = tonumber(ngx.var.arg_id)
    local results = {}
    for i = 0, WORKERS - 1 do
      local text = ctl():get("result:" .. id .. ":" .. i)
      if not text then return reply(202, { waiting = i }) end
      results[#results + 1] = cjson.decode(text)
    end
    return reply(200, { results = results })
  end
  ngx.req.read_body()
  local a = cjson.decode(ngx.req.get_body_data() or "{}")
  if path == "/call" then
    local ok, out = pcall(CALLS[a.op], a)
    if not ok then out = { raised = tostring(out) } end
    out.worker = ngx.worker.id()
    return reply(200, out)
  elseif path == "/job" then
    local id = ctl():incr("job:n", 1, 0)
    a.id = id
    ngx.update_time()
    a.start_at = ngx.now() + 0.1
    ctl():set("job:" .. id, cjson.encode(a))
    ctl():set("job:id", id)
    return reply(200, { id = id })
  end
  return reply(404, { detail = "no such call" })
end

return M
