-- The results: one aligned table (work x implementation), the targets and
-- where each stands, the machine; printed and written as .txt and .json.
local cjson = require "cjson"

local M = {}

local function ms(s) return s and string.format("%.1f", s * 1000) or "-" end
local function mib(kib) return kib and string.format("%.1f", kib / 1024) or "-" end
local function ratio(x, base)
  if not x or not base or base == 0 then return "-" end
  return string.format("%.2fx", x / base)
end
local function count(n)
  if not n then return "-" end
  local s = string.format("%.0f", n)
  return (s:reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", ""))
end

local COLS = { "work", "implementation", "check", "wall ms", "x floor", "CPU ms*", "x floor",
  "peak MiB", "instr/req", "x floor", "TLS conns", "429s" }

local PROTO = { ["HTTP/2.0"] = "h2", ["HTTP/1.1"] = "h1" }
local function conns(t)
  if not t then return "-" end
  return (string.format("%d %s", t.handshakes, PROTO[t.proto] or t.proto or ""):gsub("%s+$", ""))
end

local function cells(r, floor)
  floor = floor or {}
  return { r.title, r.name, r.status, ms(r.wall), ratio(r.wall, floor.wall), ms(r.cpu),
    ratio(r.cpu, floor.cpu), mib(r.rss), count(r.ipr), ratio(r.ipr, floor.ipr), conns(r.tls), count(r.limited) }
end

-- Rows in order; the floor of each work is the row whose impl key is "floor".
function M.table(rows)
  local floors = {}
  for _, r in ipairs(rows) do
    -- the fleet's floor is its ideal, worked out from the run
    if r.key == "floor" and (r.status == "ok" or r.status == "ideal") then floors[r.work] = r end
  end
  local grid = { COLS }
  for _, r in ipairs(rows) do grid[#grid + 1] = cells(r, floors[r.work]) end
  local width = {}
  for _, row in ipairs(grid) do
    for i, c in ipairs(row) do width[i] = math.max(width[i] or 0, #c) end
  end
  local lines = {}
  for n, row in ipairs(grid) do
    local out = {}
    for i, c in ipairs(row) do
      out[i] = i <= 3 and c .. string.rep(" ", width[i] - #c) or string.rep(" ", width[i] - #c) .. c
    end
    lines[#lines + 1] = table.concat(out, "  ")
    if n == 1 then lines[#lines + 1] = string.rep("-", #lines[1]) end
  end
  return table.concat(lines, "\n")
end

M.NOTE = table.concat({
  "wall: median; CPU*: mean user+sys (hyperfine); peak: RSS of the checking run;",
  "instr/req: callgrind, (long run - short run) / extra requests; on the start-up rows, the whole process;",
  "TLS conns: connections (TLS handshakes) the server saw opened in the checking run, and their protocol;",
  "mistapi ngx: timed inside the handler of a second nginx, so no process start; new worker: that nginx",
  "restarted before each run, nothing pooled; warm worker: one worker run after run (conns: its last run's).",
  "fleet: the emulator behind the 80 ms round trip; x floor is x the ideal (round trips at that concurrency);",
  "429s: the emulator's 429 answers to the fleet's token (all its processes, one run each, wall of the whole)." }, "\n")

-- The fleet rows' notes: how the ideal was counted, what each fleet met.
function M.fleet(rows)
  local lines = {}
  for _, r in ipairs(rows) do
    if (r.work == "fleet" or r.work == "fleet429") and r.note then
      lines[#lines + 1] = ("  %s, %s: %s"):format(r.title, r.name, r.note)
    end
  end
  if #lines == 0 then return "" end
  table.insert(lines, 1, "Fleet:")
  return table.concat(lines, "\n") .. "\n"
end

function M.targets(targets)
  local lines = { "Targets:" }
  for _, t in ipairs(targets) do
    lines[#lines + 1] = string.format("  %-6s %-52s %s", t.met == nil and "n/a" or (t.met and "MET" or "MISSED"),
      t.name, t.detail)
  end
  return table.concat(lines, "\n")
end

function M.write(dir, stamp, text, doc)
  os.execute("mkdir -p '" .. dir .. "'")
  local base = dir .. "/" .. stamp
  local f = assert(io.open(base .. ".txt", "w"))
  f:write(text, "\n")
  f:close()
  f = assert(io.open(base .. ".json", "w"))
  f:write(cjson.encode(doc), "\n")
  f:close()
  -- latest.txt / latest.json point at this run
  for _, ext in ipairs({ ".txt", ".json" }) do
    os.remove(dir .. "/latest" .. ext)
    os.execute(string.format("ln -s '%s%s' '%s/latest%s'", stamp, ext, dir, ext))
  end
  return base
end

return M
