--- When to try again and how long to wait first.
-- @module mistapi.retry

local errors = require "mistapi.errors"

local retry = {}

local MONTHS = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6,
                 Jul = 7, Aug = 8, Sep = 9, Oct = 10, Nov = 11, Dec = 12 }

-- Days since 1970-01-01 of a civil date (proleptic Gregorian), so an
-- HTTP-date converts without the local time zone that os.time applies.
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local floor = math.floor
  local era = floor((y >= 0 and y or y - 399) / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

--- Seconds to wait from a Retry-After value: delta-seconds or an HTTP-date.
-- @param value the header's text
-- @param now the current time, epoch seconds (default os.time())
-- @return seconds (>= 0), or nil when the value means nothing
function retry.parse_retry_after(value, now)
  if type(value) ~= "string" then return nil end
  local secs = value:match("^%s*(%d+)%s*$")
  if secs then return tonumber(secs) end
  local d, mon, y, hh, mm, ss = value:match("^%s*%a+,%s*(%d+)%s+(%a+)%s+(%d+)%s+(%d+):(%d+):(%d+)%s+GMT%s*$")
  if not d or not MONTHS[mon] then return nil end
  local epoch = days_from_civil(tonumber(y), MONTHS[mon], tonumber(d)) * 86400
    + tonumber(hh) * 3600 + tonumber(mm) * 60 + tonumber(ss)
  local wait = epoch - (now or os.time())
  return wait > 0 and wait or 0
end

--- Full-jitter exponential back-off: a random wait in [0, min(cap, base * 2^n)].
function retry.backoff(n, base, cap, random)
  local ceiling = math.min(cap, base * 2 ^ n)
  return (random or math.random)() * ceiling
end

--- Whether an outcome may be tried again.
-- POST creates a token: it is tried again only when the server surely never
-- saw it (no connection was made) or it answered 429 (refused, not done).
-- @param op the operation (its `idempotent`)
-- @param status the HTTP status, or nil on a transport failure
-- @param info the transport failure (`kind`, `reached`, `permanent`), or nil
function retry.may_retry(op, status, info)
  if status then
    if status == 429 then return true end
    return op.idempotent and errors.RETRYABLE_STATUS[status] == true
  end
  if not info then return false end
  -- a transport's refusal (a phase without cosockets, say) fails the same way every time
  if info.permanent then return false end
  if op.idempotent then return true end
  return info.reached == false
end

return retry
