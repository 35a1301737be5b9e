--- The filters of `mistapi-tokens list`: by name (a shell-style pattern) and
-- by how long a token has gone unused.
-- @module mistapi.cli.filter

local filter = {}

--- A Lua pattern matching the whole of a shell-style PATTERN: `*` any text,
-- `?` one character, everything else itself.
function filter.glob(pattern)
  local out = pattern:gsub("[%^%$%(%)%%%.%[%]%+%-]", "%%%0"):gsub("%*", ".*"):gsub("%?", ".")
  return "^" .. out .. "$"
end

--- Is the token unused for `days` days at `now` (epoch seconds)? One never used
-- counts from its creation, so a token made an hour ago is not "unused for 30 days".
function filter.unused_for(t, days, now)
  local since = tonumber(t.last_used) or tonumber(t.created_time)
  if not since then return true end
  return now - since >= days * 86400
end

--- The tokens of `list` that pass the filters, in order.
-- @param list an array of tokens
-- @param opts { name = PATTERN, unused_days = N, now = epoch seconds }
function filter.tokens(list, opts)
  if not (opts.name or opts.unused_days) then return list end
  local pattern = opts.name and filter.glob(opts.name)
  local out = setmetatable({}, getmetatable(list))
  for _, t in ipairs(list) do
    local keep = true
    if pattern and not tostring(t.name or ""):match(pattern) then keep = false end
    if keep and opts.unused_days and not filter.unused_for(t, opts.unused_days, opts.now) then keep = false end
    if keep then out[#out + 1] = t end
  end
  return out
end

return filter
