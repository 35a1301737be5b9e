--- The result of a call that succeeded: `data`, `status`, `headers`,
-- `attempts`, and `token_index` (which of several tokens answered).
-- @module mistapi.result

local core = require "mistapi.lazy_core"

local Result = { __name = "mistapi.Result" }

local result = { mt = Result }

-- The curl transport's answers carry their header block unparsed
-- (`raw_headers`), since most callers never read it: such a result keeps the
-- block here (weakly, by result) and makes `headers` a plain table field of
-- its own when it is first read. The values are strings, which no weak
-- table drops, so "kv" keeps them as "k" would; it spares the collector the
-- ephemeron pass a "k" table costs on every cycle.
local unread = setmetatable({}, { __mode = "kv" })

function Result.__index(r, key)
  if key == "headers" then
    local raw = unread[r]
    if raw then
      unread[r] = nil
      local h = core.headers(raw)
      rawset(r, "headers", h)
      return h
    end
  end
  return Result[key]
end

--- A result of a 2xx answer whose header block is still unparsed (`raw`):
-- its `headers` are made when first read.
function result.unread(data, status, raw, attempts, token_index)
  -- no slot for headers until they are read: the GC's work grows with every byte made
  local r = setmetatable({ data = data, status = status, attempts = attempts, token_index = token_index }, Result)
  unread[r] = raw
  return r
end

function result.new(data, resp, attempts, token_index, extra)
  local headers = rawget(resp, "headers")
  local r
  if headers == nil then
    r = result.unread(data, resp.status, rawget(resp, "raw_headers"), attempts, token_index)
  else
    r = setmetatable({
      data = data, status = resp.status, headers = headers,
      attempts = attempts, token_index = token_index,
    }, Result)
  end
  if extra then
    for k, v in pairs(extra) do r[k] = v end
  end
  return r
end

return result
