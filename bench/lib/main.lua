-- The benchmark runner behind bench/run: fixtures, the static nginx, every
-- (work, implementation) checked then timed, callgrind, the report.
local data = require "data"
local server = require "server"
local sh = require "shell"
local measure = require "measure"
local works = require "works"
local report = require "report"
local targets = require "targets"
local machine = require "machine"

local function options(argv)
  local o = { runs = 5, callgrind = sh.have("valgrind"), get_n = 2000, ids = 200, out = "bench/results" }
  local i = 1
  while argv[i] do
    local a = argv[i]
    if a == "--runs" then i = i + 1; o.runs = assert(tonumber(argv[i]), "--runs N")
    elseif a == "--quick" then o.runs, o.get_n, o.ids, o.callgrind = 1, 200, 40, false
    elseif a == "--no-callgrind" then o.callgrind = false
    elseif a == "--only" then
      i = i + 1
      o.only = {}
      for w in assert(argv[i], "--only WORK,..."):gmatch("[^,]+") do o.only[w] = true end
    elseif a == "--out" then i = i + 1; o.out = assert(argv[i], "--out DIR")
    elseif a == "--tmp" then i = i + 1; o.tmp = assert(argv[i], "--tmp DIR")
    else
      io.stderr:write("usage: bench/run [--runs N] [--quick] [--no-callgrind] ",
        "[--only get,list,decode,lat1,lat8,require] [--out DIR]\n")
      os.exit(2)
    end
    i = i + 1
  end
  return o
end

local function say(...) io.stderr:write(...) end

-- One (work, implementation): check the answer, then time it, then count.
local function measure_one(e, o, tmp, log)
  local row = { work = e.work.key, title = e.work.title, key = e.impl.key, name = e.impl.name }
  say(string.format("%-32s %-28s ", e.work.title, e.impl.name))
  if e.na then
    row.status, row.note = "n/a", e.na
    say("n/a (", e.na, ")\n")
    return row
  end
  local got, code, rss = measure.checksum(e.argv, tmp)
  if code == 3 then
    row.status, row.note = "n/a", "not implemented yet"
    say("n/a (not implemented yet)\n")
    return row
  elseif got ~= e.expect then
    row.status = got and "WRONG" or "FAILED"
    row.note = got and ("checksum " .. got .. ", expected " .. e.expect) or ("exit " .. tostring(code))
    say(row.status, " (", row.note, ")\n")
    return row
  end
  row.status, row.rss = "ok", rss
  local r, err = measure.timed(e.argv, o.runs, tmp, log)
  if not r then
    row.status, row.note = "FAILED", err
    say("FAILED (", err, ")\n")
    return row
  end
  row.wall, row.cpu = r.wall, r.cpu
  say(string.format("%.1f ms", r.wall * 1000))
  if e.cg then
    row.ipr = measure.per_request(e.cg[1], e.cg[2], e.cg[3], tmp)
    say(row.ipr and string.format(", %.0f instr/req", row.ipr) or ", callgrind failed")
  end
  say("\n")
  return row
end

-- `require "mistapi"`: the extra time and instructions over a bare start,
-- and whether it touches the network (strace, when installed).
local function measure_require(o, tmp, log, rows, info)
  for _, impl in ipairs({ works.IMPLS[2], works.IMPLS[3] }) do
    local base = { impl.cmd[1], impl.cmd[2], "startup" }
    local req = { impl.cmd[1], impl.cmd[2], "require" }
    local row = { work = "require", title = 'require "mistapi"', key = impl.key, name = impl.name }
    say(string.format("%-32s %-28s ", row.title, impl.name))
    local a = measure.timed(base, math.max(o.runs, 20), tmp, log)
    local b = a and measure.timed(req, math.max(o.runs, 20), tmp, log)
    if not b then
      row.status = "FAILED"
    else
      row.status, row.wall, row.cpu = "ok", b.wall - a.wall, b.cpu - a.cpu
      row.rss = select(3, measure.checksum(req, tmp))
      if o.callgrind then row.ipr = measure.per_request(base, req, 1, tmp) end
      local network
      if sh.have("strace") then
        local trace = tmp .. "/strace.txt"
        sh.run(sh.join({ "strace", "-f", "-qq", "-e", "trace=socket,connect", "-o", trace }) .. " " ..
          sh.join(req) .. " >/dev/null 2>&1")
        network = 0
        for l in (sh.read(trace) or ""):gmatch("[^\n]+") do
          if l:match("AF_INET") then network = network + 1 end
        end
      end
      info[impl.key] = { ms = row.wall * 1000, network = network }
      say(string.format("+%.2f ms, network syscalls: %s\n", row.wall * 1000, tostring(network)))
    end
    rows[#rows + 1] = row
  end
end

local function main(argv)
  local o = options(argv)
  for _, tool in ipairs({ "nginx", "hyperfine", "/usr/bin/time", "lua5.4", "luajit", "python3" }) do
    if not sh.have(tool) then error("bench: " .. tool .. " is missing; run make deps") end
  end
  if not sh.have("build/bench/floor") then error("bench: build/bench/floor is missing; run make bench") end
  if not os.getenv("MIST_APITOKEN") then error("bench: run it through bench/run") end

  local tmp = assert(o.tmp, "bench: run it through bench/run") -- which removes it at the end
  local log = tmp .. "/hyperfine.log"
  say("bench: fixtures and nginx in ", tmp, "\n")
  local fx = data.generate(tmp, { ids = o.ids })
  local srv = assert(server.start(tmp))
  local rows, req_info = {}, {}
  local ok, err = pcall(function()
    for _, e in ipairs(works.plan(fx, srv, o)) do rows[#rows + 1] = measure_one(e, o, tmp, log) end
    if not o.only or o.only.require then measure_require(o, tmp, log, rows, req_info) end
  end)
  server.stop(srv)
  if not ok then
    say("bench: ", tostring(err), "\n")
    os.exit(1)
  end

  local facts = machine.facts()
  local judged = targets.judge(rows, req_info)
  local stamp = os.date("!%Y%m%d-%H%M%S")
  local text = table.concat({
    "mistapi benchmark, " .. os.date("!%Y-%m-%d %H:%M UTC") .. string.format(", median of %d runs", o.runs),
    "machine: " .. machine.describe(facts),
    "",
    report.table(rows),
    report.NOTE,
    "",
    report.targets(judged),
  }, "\n")
  print(text)
  local base = report.write(o.out, stamp, text, { date = stamp, runs = o.runs, machine = facts,
    rows = rows, targets = judged })
  print("\nwritten: " .. base .. ".txt, " .. base .. ".json")
  -- a wrong or failed answer fails make bench; n/a rows and missed targets don't
  for _, r in ipairs(rows) do
    if r.status == "WRONG" or r.status == "FAILED" then os.exit(1) end
  end
end

main(arg)
