-- The three measurements, each with a public tool:
--   hyperfine       median wall time and mean user+sys CPU over N runs
--   /usr/bin/time   peak RSS, on the run that checks the answer
--   valgrind        instructions (callgrind), per request as the difference
--                   between a long and a short run, so start-up cancels out
local cjson = require "cjson"
local sh = require "shell"

local M = {}

local function median(xs)
  table.sort(xs)
  local n = #xs
  if n == 0 then return nil end
  if n % 2 == 1 then return xs[(n + 1) // 2] end
  return (xs[n // 2] + xs[n // 2 + 1]) / 2
end
M.median = median

-- Runs argv once under /usr/bin/time; returns what it printed, its exit
-- code and its peak RSS in KiB.
function M.output(argv, tmp)
  local rss_file = tmp .. "/rss.txt"
  os.remove(rss_file)
  local out, code = sh.capture(sh.join(sh.concat({ "/usr/bin/time", "-f", "%M", "-o", rss_file }, argv))
    .. " 2>/dev/null")
  return out, code, tonumber((sh.read(rss_file) or ""):match("(%d+)%s*$"))
end

-- The same, with the checksum it printed (or nil) in place of its output.
function M.checksum(argv, tmp)
  local out, code, rss = M.output(argv, tmp)
  return out:match("checksum (%d+)"), code, rss
end

-- `runs` timed runs of argv with hyperfine (no shell in between). Returns
-- { wall = median s, cpu = mean user+sys s } or nil, err. (hyperfine exports
-- only the mean of user and system time; /usr/bin/time's are in 10 ms steps.)
function M.timed(argv, runs, tmp, log)
  local json = tmp .. "/hyperfine.json"
  os.remove(json)
  local line = sh.join({ "hyperfine", "-N", "--style", "basic", "--runs", runs, "--export-json", json,
    sh.join(argv) }) .. " >>" .. sh.quote(log) .. " 2>&1"
  if not sh.run(line) then return nil, "hyperfine failed (see " .. log .. ")" end
  local r = cjson.decode(assert(sh.read(json))).results[1]
  return { wall = r.median, cpu = r.user + r.system }
end

-- Total instructions callgrind counts for argv, or nil.
local function instructions(argv, tmp)
  local out = tmp .. "/callgrind.out"
  os.remove(out)
  local line = sh.join(sh.concat({ "valgrind", "--tool=callgrind", "--callgrind-out-file=" .. out }, argv))
    .. " >/dev/null 2>&1"
  if not sh.run(line) then return nil end
  local text = sh.read(out) or ""
  return tonumber(text:match("\nsummary: (%d+)") or text:match("\ntotals: (%d+)"))
end

-- Instructions per request: (I(long) - I(short)) / (n_long - n_short).
function M.per_request(short_argv, long_argv, n_diff, tmp)
  local a = instructions(short_argv, tmp)
  local b = a and instructions(long_argv, tmp)
  if not b then return nil end
  return (b - a) / n_diff
end

M.instructions = instructions

return M
