-- A clock for a client (mistapi.new's `clock` option) that never really
-- waits: sleep records what it was asked to wait, in clock.waits, and moves
-- `now` on by as much, so a spec reads the waits off instead of timing them.
--   local fake_clock = require("support.fake_clock").new
--   local clock = fake_clock()
--   mistapi.new { ..., clock = clock }   ...   clock.waits -> { 0.8, 1.9 }
local M = {}

function M.new()
  local clock = { t = 1000, waits = {} }
  clock.now = function() return clock.t end
  clock.sleep = function(seconds)
    clock.waits[#clock.waits + 1] = seconds
    clock.t = clock.t + seconds
  end
  return clock
end

return M
