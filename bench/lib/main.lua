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
local client = require "client"
local fleet = require "fleet"

local function options(argv)
  local o = { runs = 5, callgrind = sh.have("valgrind"), get_n = 2000, ids = 200, bulk_n = 40, rtt_n = 200,
    tls_n = 200, out = "bench/results" }
  local i = 1
  while argv[i] do
    local a = argv[i]
    if a == "--runs" then i = i + 1; o.runs = assert(tonumber(argv[i]), "--runs N")
    elseif a == "--quick" then
      -- every answer checked, nothing timed: small counts, no callgrind
      o.runs, o.get_n, o.ids, o.tls_n, o.rtt_n, o.callgrind, o.check_only = 1, 200, 40, 8, 8, false, true
    elseif a == "--no-callgrind" then o.callgrind = false
    elseif a == "--only" then
      i = i + 1
      o.only = {}
      for w in assert(argv[i], "--only WORK,..."):gmatch("[^,]+") do o.only[w] = true end
    elseif a == "--out" then i = i + 1; o.out = assert(argv[i], "--out DIR")
    elseif a == "--tmp" then i = i + 1; o.tmp = assert(argv[i], "--tmp DIR")
    else
      io.stderr:write("usage: bench/run [--runs N] [--quick] [--no-callgrind] ",
        "[--only get,list,decode,lat1,lat8,bulk,startup,first,require,tls_first,tls_lat1,tls_lat8,",
        "tls_lat8_h2,rtt_lat1,rtt_lat8,rtt_lat8_h2,fleet] [--out DIR]\n")
      os.exit(2)
    end
    i = i + 1
  end
  return o
end

local function say(...) io.stderr:write(...) end

local function median(xs)
  table.sort(xs)
  local n = #xs
  if n == 0 then return nil end
  return n % 2 == 1 and xs[(n + 1) // 2] or (xs[n // 2] + xs[n // 2 + 1]) / 2
end

-- The ngx handler's row: a first run checks the answer, then the median of
-- `runs` more; a `fresh` one restarts the client nginx before every run.
-- The connections counted are the first run's (fresh) or the last's (warm).
local function measure_inside(e, runs, row, cl, srv)
  local since
  local function one()
    if e.impl.fresh then
      local ok, err = client.restart(cl)
      if not ok then return nil, err end
    end
    since = e.work.tls and server.tls_lines(srv)
    return client.run(cl, e.q)
  end
  local got, ms = one()
  if since and e.impl.fresh then row.tls = server.tls_since(srv, since) end
  if got ~= e.expect then
    row.status = got and "WRONG" or "FAILED"
    row.note = got and ("checksum " .. got .. ", expected " .. e.expect) or tostring(ms)
    return nil
  end
  row.status = "ok"
  local xs = {}
  for i = 1, runs do
    local g, t = one()
    if g ~= e.expect then
      row.status, row.note = "FAILED", "run " .. i .. ": " .. tostring(t)
      return nil
    end
    xs[i] = t / 1000
  end
  if since and not e.impl.fresh then row.tls = server.tls_since(srv, since) end
  row.wall = median(xs)
  return row
end

-- One (work, implementation): check the answer, then time it, then count.
local function measure_one(e, o, tmp, log, srv, cl)
  local row = { work = e.work.key, title = e.work.title, key = e.impl.key, name = e.impl.name }
  local runs = e.work.runs and math.min(o.runs, e.work.runs) or o.runs
  if o.check_only then runs = 0 end
  say(string.format("%-38s %-28s ", e.work.title, e.impl.name))
  if e.na then
    row.status, row.note = "n/a", e.na
    say("n/a (", row.note, ")\n")
    return row
  elseif e.impl.inside and not cl then
    row.status, row.note = "FAILED", "the client nginx did not start"
    say("FAILED (", row.note, ")\n")
    return row
  end
  local since = e.work.tls and not e.impl.inside and server.tls_lines(srv)
  if e.impl.inside then
    if not measure_inside(e, runs, row, cl, srv) then
      say(row.status, " (", row.note, ")\n")
      return row
    end
  else
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
  end
  -- the connections (TLS handshakes) of the checking run
  if since then row.tls = server.tls_since(srv, since) end
  if not e.impl.inside and runs > 0 then
    local r, err = measure.timed(e.argv, runs, tmp, log)
    if not r then
      row.status, row.note = "FAILED", err
      say("FAILED (", err, ")\n")
      return row
    end
    row.wall, row.cpu = r.wall, r.cpu
  end
  say(row.wall and string.format("%.1f ms", row.wall * 1000) or "checked")
  if row.tls then say(string.format(", %d TLS connections (%s)", row.tls.handshakes, row.tls.proto or "?")) end
  if e.cg then
    row.ipr = measure.per_request(e.cg[1], e.cg[2], e.cg[3], tmp)
    say(row.ipr and string.format(", %.0f instr/req", row.ipr) or ", callgrind failed")
  elseif e.work.total and o.callgrind then
    row.ipr = measure.instructions(e.argv, tmp)
    say(row.ipr and string.format(", %.0f instr", row.ipr) or ", callgrind failed")
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
    say(string.format("%-38s %-28s ", row.title, impl.name))
    local runs = o.check_only and 1 or math.max(o.runs, 20)
    local a = measure.timed(base, runs, tmp, log)
    local b = a and measure.timed(req, runs, tmp, log)
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
      info[impl.key] = { ms = row.wall * 1000, network = network, bare = a.wall }
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
  local fx = data.generate(tmp, { ids = o.ids, subsets = { o.bulk_n, o.rtt_n, o.tls_n } })
  local srv = assert(server.start(tmp))
  local cl, cerr = client.start(tmp, srv.ca)
  if not cl then say("bench: ", tostring(cerr), "\n") end
  local rows, req_info = {}, {}
  local ok, err = pcall(function()
    for _, e in ipairs(works.plan(fx, srv, o)) do rows[#rows + 1] = measure_one(e, o, tmp, log, srv, cl) end
    if not o.only or o.only.require then measure_require(o, tmp, log, rows, req_info) end
    if not o.only or o.only.fleet then
      local got, ferr = fleet.run(o, tmp, log)
      if not got then
        say("bench: fleet: ", tostring(ferr), "\n")
        got = { { work = "fleet", title = "audit --all-orgs (fleet)", key = "mistapi-5.4",
          name = "mistapi CLI, Lua 5.4", status = "FAILED", note = tostring(ferr) } }
      end
      for _, r in ipairs(got) do rows[#rows + 1] = r end
    end
  end)
  client.stop(cl)
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
    report.fleet(rows),
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
