--- The result of a call that succeeded: `data`, `status`, `headers`,
-- `attempts`, and `token_index` (which of several tokens answered).
-- @module mistapi.result

local Result = { __name = "mistapi.Result" }
Result.__index = Result

local result = { mt = Result }

function result.new(data, resp, attempts, token_index, extra)
  local r = setmetatable({
    data = data, status = resp.status, headers = resp.headers,
    attempts = attempts, token_index = token_index,
  }, Result)
  if extra then
    for k, v in pairs(extra) do r[k] = v end
  end
  return r
end

return result
