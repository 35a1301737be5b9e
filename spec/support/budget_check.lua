-- Counting calls in windows, for the budget specs.
--   local check = require "support.budget_check"
--   check.most_in_any_window(times, window [, slack]) -> the most times in any span
--     shorter than window - slack (slack: two processes' clocks read a moment apart)
--   check.most_in_fixed_windows(entries, window) -> the most log entries of one token
--     in one of the emulator's windows (multiples of `window`, as it counts)
local M = {}

function M.most_in_any_window(times, window, slack)
  local sorted = {}
  for i, t in ipairs(times) do sorted[i] = t end
  table.sort(sorted)
  local span = window - (slack or 0)
  local most, j = 0, 1
  for i = 1, #sorted do
    while sorted[i] - sorted[j] >= span do j = j + 1 end
    if i - j + 1 > most then most = i - j + 1 end
  end
  return most
end

function M.most_in_fixed_windows(entries, window)
  local counts, most = {}, 0
  for _, e in ipairs(entries) do
    if e.token_id then
      local k = e.token_id .. ":" .. math.floor(e.time / window)
      counts[k] = (counts[k] or 0) + 1
      if counts[k] > most then most = counts[k] end
    end
  end
  return most
end

return M
