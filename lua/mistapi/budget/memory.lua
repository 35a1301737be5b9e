--- The budget of one client alone: a sliding log per key in this process,
-- on the client's clock (transport.now, or the `clock` option). The default
-- backend, and the one a shared backend falls back to while it fails.
-- @module mistapi.budget.memory

local M = {}

local Memory = {}
Memory.__index = Memory

--- A memory budget. `settings.now` is the clock (seconds, a number).
-- @param spec "memory:" (nothing after the colon is read)
-- @param settings { now = function }
function M.new(spec, settings)
  if spec ~= nil and spec ~= "memory:" then return nil, ("budget: %q is not memory:"):format(spec) end
  if type(settings) ~= "table" or type(settings.now) ~= "function" then
    error("mistapi.budget.memory.new: settings.now must be a function", 2)
  end
  return setmetatable({ now = settings.now, logs = {}, holds = {} }, Memory)
end

--- Takes one call for `key` now (0), or says in how many seconds there is
-- room (nothing taken). Each key's log is a ring of `limit` times: the slot
-- to write next holds the oldest take, so one look decides (no scan, no
-- table made after the ring has grown).
function Memory:take(key, limit, window)
  local now = self.now()
  local holds = self.holds
  local held = holds[key]
  if held then
    if held > now then return held - now end
    holds[key] = nil
  end
  local log = self.logs[key]
  if not log or log.limit ~= limit then
    log = { pos = 1, limit = limit }
    self.logs[key] = log
  end
  local pos = log.pos
  local oldest = log[pos]
  if oldest and oldest > now - window then return oldest + window - now end
  log[pos] = now
  log.pos = pos < limit and pos + 1 or 1
  return 0
end

--- Nobody takes for `key` before now + seconds (the longer of two holds wins).
function Memory:hold(key, seconds)
  local till = self.now() + seconds
  local held = self.holds[key]
  if not held or held < till then self.holds[key] = till end
  return true
end

return M
