--- Runs jobs of one client side by side, some at a time, each in a
-- coroutine. While they run, the client's transport is a wrapper that turns
-- a job's request (`request`, `send`, a bulk's `batch`) and its sleeps (retry
-- and budget waits, a wait for another job's login) into a yield. The
-- requests every runnable job has yielded go out as one `batch` of the real
-- transport (the bulk machinery), and each job goes on with its answer; a
-- job that sleeps lets the others go on. The pipeline's own rules (budget,
-- retries, login, token rotation) are unchanged: they run inside each job.
-- Calls made outside the jobs (the caller's callbacks) go straight through.
-- @module mistapi.interleave

local interleave = {}

local unpack = table.unpack or unpack   -- luacheck: ignore 143

local function pack(...) return { n = select("#", ...), ... } end

-- The wrapper over `inner`, for the coroutines in `mine` only.
local function wrapper(inner, mine)
  local function ours()
    local co = coroutine.running()
    return co ~= nil and mine[co] == true
  end
  local w = { name = inner.name, answer = inner.answer, interleaved = true }
  function w.now() return inner.now() end
  function w.sleep(seconds)
    if ours() then return coroutine.yield({ sleep = seconds }) end
    return inner.sleep(seconds)
  end
  function w.request(_, req, whole)
    if not ours() then return inner:request(req, whole) end
    local a = coroutine.yield({ one = req })
    if a.status then return a end
    return nil, a.err
  end
  if inner.send then
    -- (answered by a batch: never decoded, which the pipeline handles as a bulk answer)
    function w.send(_, method, url, headers, body, whole)
      if not ours() then return inner:send(method, url, headers, body, whole) end
      local a = coroutine.yield({ one = { method = method, url = url, headers = headers, body = body } })
      if a.status then return a.status, a.raw_headers, a.body end
      return nil, a.err
    end
  end
  function w.batch(_, reqs, concurrency, ready, done)
    if not ours() then return inner:batch(reqs, concurrency, ready, done) end
    return coroutine.yield({ many = reqs, ready = ready, done = done })
  end
  function w.close() return inner:close() end
  return w
end

-- Resumes job `a` with `...`: it runs until it yields a call or a sleep
-- (kept in a.want, a.wake) or ends (a.ended: what it returned).
local function step(a, now, ...)
  local res = pack(coroutine.resume(a.co, ...))
  if not res[1] then error(debug.traceback(a.co, tostring(res[2])), 0) end
  if coroutine.status(a.co) == "dead" then
    a.ended = res
    return
  end
  local want = res[2]
  if type(want) ~= "table" or not (want.one or want.many or want.sleep) then
    error("interleave: a job yielded something other than a call or a sleep", 0)
  end
  if want.sleep then
    a.wake, a.want = now() + want.sleep, nil
  else
    a.want = want
  end
end

-- The requests the waiting jobs yielded, as one batch. A job of one request
-- goes on as its answer comes (its next call waits for the next batch), so
-- that what it does with the answer (settle it, log it, hold the budget on a
-- 429, store a key) is not held up by the slowest request; a job of several
-- (a bulk call's) goes on once the batch is over, with all its answers.
-- (Inside nginx every job goes on after the batch: the answers end in light
-- threads of their own, which may not resume the jobs' coroutines.)
local function send_together(inner, waiting, concurrency)
  local at_once = inner.name == "curl"
  local reqs, owner, local_index = {}, {}, {}
  for _, job in ipairs(waiting) do
    local want = job.want
    job.first, job.asked, job.want = #reqs + 1, want, nil
    if want.one then
      reqs[#reqs + 1] = want.one
      owner[#reqs] = job
    else
      for k, r in ipairs(want.many) do
        reqs[#reqs + 1] = r
        owner[#reqs], local_index[#reqs] = job, k
      end
    end
  end
  local function ready(i)
    local asked = owner[i].asked
    if asked.one then return asked.one.headers end
    if not asked.ready then return reqs[i].headers or {} end
    return asked.ready(local_index[i])
  end
  local function done(i, answer)
    local job = owner[i]
    local asked = job.asked
    if asked.one then
      if not at_once then return end
      job.asked = nil
      step(job, inner.now, answer)
    elseif asked.done then
      asked.done(local_index[i], answer)
    end
  end
  local answers = inner:batch(reqs, concurrency, ready, done)
  for _, job in ipairs(waiting) do
    local asked = job.asked
    job.asked = nil
    if asked and asked.one then
      step(job, inner.now, answers[job.first])   -- answered unsent (a target refused)
    elseif asked then
      local mine = {}
      for k = 1, #asked.many do mine[k] = answers[job.first + k - 1] end
      step(job, inner.now, mine)
    end
  end
end

--- Runs `n` jobs, at most `concurrency` at a time: `job(i)` in a coroutine,
-- and `on_end(i, ...)` with what it returned as each ends (outside the
-- jobs). A job that raises stops the run: the error is raised again, once
-- the client's transport is its own again.
-- @param client the client whose calls the jobs make
-- @param n the number of jobs
-- @param concurrency jobs (and requests) at a time
-- @param job function(i)
-- @param on_end function(i, ...)
function interleave.run(client, n, concurrency, job, on_end)
  local p = client.pipeline
  local inner, own = p.transport, client.transport
  local mine = {}
  local w = wrapper(inner, mine)
  local function loop()
    local active, next_i = {}, 1
    local function start()
      while #active < concurrency and next_i <= n do
        local i = next_i
        next_i = i + 1
        local co = coroutine.create(function() return job(i) end)
        mine[co] = true
        active[#active + 1] = { co = co, i = i, args = pack(), runnable = true }
      end
    end
    start()
    while #active > 0 do
      for _, a in ipairs(active) do
        if a.runnable then
          a.runnable = false
          step(a, inner.now, unpack(a.args, 1, a.args.n))
        end
      end
      local kept = {}
      for _, a in ipairs(active) do
        if a.ended then
          mine[a.co] = nil
          on_end(a.i, unpack(a.ended, 2, a.ended.n))
        else
          kept[#kept + 1] = a
        end
      end
      active = kept
      start()
      local any_runnable, waiting, soonest = false, {}, nil
      for _, a in ipairs(active) do
        if a.runnable then any_runnable = true end
        if a.want then waiting[#waiting + 1] = a end
        if a.wake and (not soonest or a.wake < soonest) then soonest = a.wake end
      end
      if not any_runnable and #active > 0 then
        if #waiting > 0 then
          send_together(inner, waiting, concurrency)
        elseif soonest then
          local left = soonest - inner.now()
          if left > 0 then inner.sleep(left) end
        end
        local now, woke = inner.now(), #waiting > 0
        for _, a in ipairs(active) do
          if a.wake and (a.wake <= now or not woke and a.wake == soonest) then
            -- (the soonest wakes after its sleep even on a clock that did not move)
            a.wake, a.args, a.runnable, woke = nil, pack(), true, true
          end
        end
      end
    end
  end
  p.transport, client.transport = w, w
  local ok, err = pcall(loop)
  p.transport, client.transport = inner, own
  if not ok then error(err, 0) end
end

return interleave
