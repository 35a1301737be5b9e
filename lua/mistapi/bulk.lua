--- Many calls of one operation at once, through the transport's `batch`
-- (curl_multi, or ngx threads inside nginx). The items go through the
-- pipeline's one send loop (`Pipeline:exchange`), in rounds: the same login,
-- retry policy, Retry-After, token rotation on 429 and logging as a single
-- call; each round waits the longest back-off it asks for, once.
-- @module mistapi.bulk

local config = require "mistapi.config"
local pipeline = require "mistapi.pipeline"
local result = require "mistapi.result"

local bulk = {}

local MAX_CONCURRENCY = config.MAX_CONCURRENCY
local CONCURRENCY = config.CONCURRENCY
bulk.MAX_CONCURRENCY = MAX_CONCURRENCY

--- Checks the options of a bulk call; wrong types raise.
function bulk.check_options(opts, level)
  level = (level or 1) + 1
  if opts == nil then return { concurrency = CONCURRENCY } end
  if type(opts) ~= "table" then error("options must be a table", level) end
  local n = opts.concurrency
  if n == nil then
    n = CONCURRENCY
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
  local out, done, total = {}, 0, #reqs
  local limits = { max_decoded = p.s.max_decoded, pipeline = p }
  local progress = opts.progress
  p:exchange(reqs, policy, opts.concurrency, function(i, item)
    if item.err then
      out[i] = item.err
    else
      local data, derr = pipeline.decode(policy.response, item.req, item.resp, item.attempts, limits)
      out[i] = derr or result.new(data, item.resp, item.attempts, item.token)
    end
    done = done + 1
    if progress then progress { done = done, total = total } end
  end)
  return out
end

return bulk
