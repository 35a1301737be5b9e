--- The budget of one client alone: a sliding log per key in this process,
-- on the client's clock (transport.now, or the `clock` option). The default
-- backend, and the one a shared backend falls back to while it fails.
-- @module mistapi.budget.memory

local M = {}

local Memory = {}
Memory.__index = Memory

--- A memory budget on a clock: `settings.clock`, a table whose `now` is
-- read at each take (the client's transport, whose clock may change to a
-- cheaper one once the core is loaded), or `settings.now`, a function.
-- @param spec "memory:" (nothing after the colon is read)
-- @param settings { clock = { now = function } } or { now = function }
function M.new(spec, settings)
  if spec ~= nil and spec ~= "memory:" then return nil, ("budget: %q is not memory:"):format(spec) end
  local clock = type(settings) == "table" and (settings.clock or { now = settings.now })
  if not clock or type(clock.now) ~= "function" then
    error("mistapi.budget.memory.new: settings.clock.now or settings.now must be a function", 2)
  end
  return setmetatable({ clock = clock, takers = {}, logs = {}, holds = {}, held = false }, Memory)
end

-- The take of one (limit, window) as a closure over its rings: the
-- default budget of every call, so each line here is paid by every GET
-- (make bench's GET row counts it); a closure reads upvalues where a
-- method would look up fields.
function Memory:taker(limit, window)
  -- one set of rings a (limit, window): every taker of it, `take` and `left` count alike
  local name = limit .. "/" .. window
  local logs, holds, clock = self.logs[name] or {}, self.holds, self.clock
  self.logs[name] = logs
  local state = self
  return function(key)
    local log = logs[key]
    if log == nil then
      log = { pos = 1 }
      logs[key] = log
    end
    local now = clock.now()
    if state.held then   -- any hold at all (a 429 met): most clients never look
      local till = holds[key]
      if till and till > now then return till - now end
    end
    local pos = log.pos
    local oldest = log[pos]
    if oldest and oldest > now - window then return oldest + window - now end
    log[pos] = now
    log.pos = pos < limit and pos + 1 or 1
    return 0
  end
end

--- Takes one call for `key` now (0), or says in how many seconds there is
-- room (nothing taken). Each key's log is a ring of `limit` times: the slot
-- to write next holds the oldest take, so one look decides (no scan, no
-- table made after the ring has grown). A ring counts for one limit and
-- window.
function Memory:take(key, limit, window)
  local name = limit .. "/" .. window
  local take = self.takers[name]
  if not take then
    take = self:taker(limit, window)
    self.takers[name] = take
  end
  return take(key)
end

--- How many calls `key` could take now (nothing taken): `limit` less the
-- takes of the last `window` seconds, 0 while a hold lasts.
function Memory:left(key, limit, window)
  local now = self.clock.now()
  local till = self.holds[key]
  if till and till > now then return 0 end
  local logs = self.logs[limit .. "/" .. window]
  local log = logs and logs[key]
  if not log then return limit end
  local taken = 0
  for i = 1, limit do
    local t = log[i]
    if t == nil then break end   -- the ring has not filled yet
    if t > now - window then taken = taken + 1 end
  end
  return limit - taken
end

--- Nobody takes for `key` before now + seconds (the longer of two holds wins).
function Memory:hold(key, seconds)
  self.held = true
  local till = self.clock.now() + seconds
  local held = self.holds[key]
  if not held or held < till then self.holds[key] = till end
  return true
end

return M
