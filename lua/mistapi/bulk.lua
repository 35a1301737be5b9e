--- Many calls of one operation at once, through the transport's `batch`
-- (curl_multi, or ngx threads inside nginx). Items go in rounds: each round
-- sends every item still pending, then the ones that may be tried again wait
-- the longest back-off of the round and go again. The rules are those of a
-- single call: the same retry policy, Retry-After, token rotation on 429.
-- @module mistapi.bulk

local pipeline = require "mistapi.pipeline"
local result = require "mistapi.result"

local bulk = {}

local MAX_CONCURRENCY = 64
bulk.MAX_CONCURRENCY = MAX_CONCURRENCY

--- Checks the options of a bulk call; wrong types raise.
function bulk.check_options(opts, level)
  level = (level or 1) + 1
  if opts == nil then return { concurrency = 8 } end
  if type(opts) ~= "table" then error("options must be a table", level) end
  local n = opts.concurrency
  if n == nil then
    n = 8
  elseif type(n) ~= "number" or n ~= math.floor(n) or n < 1 or n > MAX_CONCURRENCY then
    error(("concurrency must be a whole number from 1 to %d"):format(MAX_CONCURRENCY), level)
  end
  if opts.progress ~= nil and type(opts.progress) ~= "function" then
    error("progress must be a function", level)
  end
  return { concurrency = n, progress = opts.progress }
end

--- Runs `reqs` ({method, path, body} each) under `policy`.
-- @return an array in input order: each a result, or an error (see errors.is_error)
function bulk.run(p, reqs, policy, opts)
  local s, t = p.s, p.transport
  local deadline = s.deadline and t.now() + s.deadline
  local total = #reqs
  local out, attempts, retries = {}, {}, {}
  local pending = {}
  for i, r in ipairs(reqs) do
    r.url = s.base_url .. r.path
    pending[i], attempts[i], retries[i] = i, 0, 0
  end
  local done = 0
  local function finish(i, value)
    out[i] = value
    done = done + 1
    if opts.progress then opts.progress { done = done, total = total } end
  end

  local rotations = 0
  while #pending > 0 do
    local batch = {}
    for k, i in ipairs(pending) do
      local r = reqs[i]
      batch[k] = { method = r.method, url = r.url, body = r.body,
                   headers = p:headers(r.method, r.body ~= nil) }
    end
    local started = t.now()
    local answers = t:batch(batch, opts.concurrency)
    local again, wait, rotated = {}, 0, false
    for k, i in ipairs(pending) do
      local r, a = reqs[i], answers[k]
      attempts[i] = attempts[i] + 1
      local resp, info = a.status and a or nil, a.err
      p:log(r, resp and resp.status, info, started, attempts[i])
      local status = resp and resp.status
      if status and status >= 200 and status < 300 then
        local data, derr = pipeline.decode(policy.response, r, resp, attempts[i],
          { max_decoded = s.max_decoded, pipeline = p })
        finish(i, derr or result.new(data, resp, attempts[i], nil))
      else
        local next_step = p:after_failure(policy, resp, info, retries[i], rotations, deadline)
        if next_step == "rotate" then
          rotated = true
          again[#again + 1] = i
        elseif next_step then
          retries[i] = retries[i] + 1
          if next_step > wait then wait = next_step end
          again[#again + 1] = i
        elseif resp then
          finish(i, p:http_error(r, resp, attempts[i]))
        else
          finish(i, p:transport_error(r, info, attempts[i]))
        end
      end
    end
    if rotated then
      -- One move a round: every item that met the 429 tries the next token.
      rotations = rotations + 1
      p:rotate()
    elseif wait > 0 and #again > 0 then
      t.sleep(wait)
    end
    pending = again
  end
  return out
end

return bulk
