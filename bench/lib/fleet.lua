-- The fleet row (issue #24): the emulator holding an MSP of ORGS orgs, behind
-- bench/delay's 80 ms round trip over TLS, audited by `mistapi-tokens audit
-- --all-orgs` 8 at a time (timed against the ideal for that concurrency);
-- then three processes auditing the same orgs at once against an emulator
-- rate limit they exceed together, first each with its own memory budget,
-- then sharing one Redis budget: the 429s the emulator answered each fleet.
local cjson = require "cjson"
local http = require "socket.http"
local ltn12 = require "ltn12"
local socket = require "socket"
local sh = require "shell"
local server = require "server"
local measure = require "measure"
local figures = require "fleet_figures"

local M = {}

M.CONC, M.PROCS, M.TOKENS_EACH = 8, 3, 2
-- full and quick sizes: orgs; the emulator's limit (calls a window of
-- `window` s); the budgets' window `margin` s longer, so that a call taken in
-- one window can't arrive in the next. A bulk call takes each item's call
-- as the item starts, so a second covers a transfer at 80 ms.
M.FULL = { orgs = 300, limit = 600, window = 4, margin = 1 }
M.QUICK = { orgs = 16, limit = 20, window = 1, margin = 1 }
-- a TCP connect and a TLS 1.3 handshake before the first request
local SETUP_TRIPS = 2

local ports = server.ports

local function say(...) io.stderr:write(...) end

-- The emulator's control API (loopback, no auth): raises on anything but 200.
local function control(emu, method, name, body)
  local payload = body ~= nil and cjson.encode(body) or nil
  local out = {}
  local _, code = http.request {
    url = emu.url .. "/_emulator/" .. name, method = method, sink = ltn12.sink.table(out),
    source = payload and ltn12.source.string(payload),
    headers = payload and { ["content-type"] = "application/json", ["content-length"] = #payload } or nil,
  }
  if code ~= 200 then error("bench: emulator " .. method .. " " .. name .. ": " .. tostring(code), 0) end
  return cjson.decode(table.concat(out))
end

-- exec: the script's parent is then this process, which its watchdog follows
local function start_emulator(tmp)
  local p = assert(io.popen("exec emulator/bin/mist-emulator start --watch $PPID 2>" ..
    sh.quote(tmp .. "/emulator.err")))
  local emu = {}
  for line in p:lines() do
    local k, v = line:match("^MIST_EMU_([%u_]+)=(.*)$")
    if k then emu[k:lower()] = v end
  end
  p:close()
  if not emu.url or not emu.dir then
    return nil, "the emulator did not start: " .. (sh.read(tmp .. "/emulator.err") or "")
  end
  -- bench/run stops it by this, whatever ends the run
  local f = assert(io.open(tmp .. "/emulator.dir", "w"))
  f:write(emu.dir, "\n")
  f:close()
  return emu
end

local function stop_emulator(emu)
  if emu and emu.dir then os.execute("emulator/bin/mist-emulator stop " .. sh.quote(emu.dir) .. " >/dev/null 2>&1") end
end

local function ping(port)
  local c = socket.tcp()
  c:settimeout(0.5)
  if not c:connect("127.0.0.1", port) then return false end
  c:send("PING\r\n")
  local line = c:receive("*l")
  c:close()
  return line == "+PONG"
end

-- Debian's redis-server on a free loopback port, no persistence; its pid
-- file is where bench/run stops it.
local function start_redis(tmp)
  local dir = tmp .. "/redis"
  os.execute("mkdir -p " .. sh.quote(dir))
  return ports.retry(1, function(p)
    local port = p[1]
    os.remove(dir .. "/redis.log")
    os.execute(sh.join({ "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
      "--dir", dir, "--pidfile", tmp .. "/redis.pid", "--logfile", dir .. "/redis.log", "--daemonize", "yes" })
      .. " >/dev/null 2>&1")
    for _ = 1, 200 do -- up to ~5 s
      if ping(port) then return { port = port, url = "redis://127.0.0.1:" .. port, pid_file = tmp .. "/redis.pid" } end
      local log = sh.read(dir .. "/redis.log") or ""
      if log:find("Address already in use", 1, true) then return nil, log end
      socket.sleep(0.025)
    end
    return nil, "redis-server did not answer: " .. (sh.read(dir .. "/redis.log") or "")
  end)
end

local function stop_redis(rs)
  local pid = rs and tonumber((sh.read(rs.pid_file) or ""):match("%d+"))
  if pid then os.execute("kill " .. pid .. " 2>/dev/null") end
end

-- A token of the built-in user's own, which /self shows as MSP admin, in a
-- private file. -> its id, the file
local function token_file(emu, tmp, name)
  local t = control(emu, "POST", "self_tokens", { name = name })
  local path = tmp .. "/" .. name .. ".token"
  local f = assert(io.open(path, "w"))
  os.execute("chmod 600 " .. sh.quote(path))
  f:write(t.key, "\n")
  f:close()
  return t.id, path
end

-- The timed row: the CLI over every org, checked, then timed by hyperfine.
local function audit_row(o, emu, base, tmp, log, size, title)
  local row = { work = "fleet", title = title, key = "mistapi-5.4", name = "mistapi CLI, Lua 5.4" }
  local ideal_row = { work = "fleet", title = title, key = "floor", name = "ideal", status = "ideal" }
  local _, file = token_file(emu, tmp, "fleet-audit")
  local argv = { "lua5.4", "bin/mistapi-tokens", "audit", "--all-orgs", "--concurrency", M.CONC, "--fail-on", "never",
    "--base-url", base, "--ca-file", emu.ca, "--token-file", file, "--budget", "memory:" } -- whatever MIST_BUDGET says
  say(string.format("%-38s %-28s ", title, row.name))
  control(emu, "DELETE", "log")
  local out, code, rss = measure.output(argv, tmp)
  local got = figures.summary(out)
  if code ~= 0 or not got then
    row.status, row.note = "FAILED", "exit " .. tostring(code)
  elseif got.orgs ~= size.orgs or got.failed ~= 0 or got.tokens ~= size.orgs * M.TOKENS_EACH then
    row.status, row.note = "WRONG", ("%d orgs, %d failed, %d tokens"):format(got.orgs, got.failed, got.tokens)
  else
    row.status, row.rss = "ok", rss
  end
  if row.status ~= "ok" then
    say(row.status, " (", row.note, ")\n")
    return { ideal_row, row }
  end
  local ideal = figures.ideal(control(emu, "GET", "log"), server.RTT_MS, M.CONC, SETUP_TRIPS)
  ideal_row.wall = ideal.ms / 1000
  ideal_row.name = ("ideal: %d round trips"):format(ideal.round_trips)
  ideal_row.note = ("%d sequential calls, %d token lists in %d waves of %d, %d for the connection"):format(
    ideal.sequential, ideal.lists, ideal.waves, M.CONC, SETUP_TRIPS)
  if not o.check_only then
    local r, err = measure.timed(argv, o.runs, tmp, log)
    if not r then
      row.status, row.note = "FAILED", err
      say("FAILED (", err, ")\n")
      return { ideal_row, row }
    end
    row.wall, row.cpu = r.wall, r.cpu
  end
  say(row.wall and string.format("%.1f ms (ideal %.1f ms)\n", row.wall * 1000, ideal.ms) or "checked\n")
  return { ideal_row, row }
end

-- PROCS processes at once, each auditing every org with its budget; the
-- 429s the emulator answered their token.
local function fleet_row(emu, base, tmp, size, title, kind, budget)
  local row = { work = "fleet429", title = title, key = kind,
    name = kind == "independent" and "memory budget each" or "one Redis budget" }
  say(string.format("%-38s %-28s ", title, row.name))
  local id, file = token_file(emu, tmp, "fleet-" .. kind)
  control(emu, "DELETE", "log")
  local procs, outs = {}, {}
  -- start as one of the emulator's windows begins (they are multiples of it on
  -- the clock): a run that fell across two windows could pass twice the limit
  local now = socket.gettime()
  socket.sleep(size.window - now % size.window + 0.01)
  local t0 = socket.gettime()
  for i = 1, M.PROCS do
    outs[i] = ("%s/fleet-%s-%d.out"):format(tmp, kind, i)
    procs[i] = assert(io.popen(sh.join({ "lua5.4", "bench/run_fleet.lua", base, emu.ca, file, budget, size.limit,
      size.window + size.margin, M.CONC }) .. " >" .. sh.quote(outs[i]) .. " 2>&1", "r"))
  end
  local texts = {}
  for i = 1, M.PROCS do
    procs[i]:close()
    texts[i] = sh.read(outs[i]) or ""
  end
  row.wall = socket.gettime() - t0
  local t = figures.tally(texts)
  local seen = figures.calls(control(emu, "GET", "log"), id)
  row.limited, row.calls = seen.limited, seen.calls
  local ok, why = figures.complete(t, size.orgs, M.TOKENS_EACH)
  -- the independent fleet may lose orgs to 429s past its retries: a figure, not a wrong answer
  row.status = (ok or kind == "independent" and t.finished == t.processes) and "ok" or "FAILED"
  row.note = ("budgets of %d calls in %d s: %d calls, %d answered 429, %d budget warnings%s"):format(size.limit,
    size.window + size.margin, seen.calls, seen.limited, t.warnings, ok and "" or "; " .. why)
  say(string.format("%.1f ms, %s\n", row.wall * 1000, row.note))
  return row
end

-- -> rows (an ideal row as the work's floor, the CLI's; then the two fleets)
-- and the fleet's facts | nil, err
function M.run(o, tmp, log)
  local size = o.check_only and M.QUICK or M.FULL
  local emu, err = start_emulator(tmp)
  if not emu then return nil, err end
  local rs, rerr, delay
  local ok, rows = pcall(function()
    -- the emulator's TLS listener, 80 ms away
    local tls_port = tonumber(emu.tls_url:match(":(%d+)$"))
    local why
    delay, why = ports.retry(1, function(p)
      local pid, e = server.start_delay(tmp, p[1], tls_port)
      return pid and { pid = pid, port = p[1] }, e
    end)
    if not delay then error("bench: " .. tostring(why), 0) end
    local base = "https://127.0.0.1:" .. delay.port
    local msp = control(emu, "POST", "msps", { name = "Bench MSP" })
    control(emu, "POST", "orgs", { count = size.orgs, msp_id = msp.id, tokens = M.TOKENS_EACH })
    control(emu, "PUT", "user_privileges", { privileges = { { scope = "msp", role = "admin", msp_id = msp.id } } })
    local title = ("audit --all-orgs, %d orgs, 80ms RTT, %d at a time"):format(size.orgs, M.CONC)
    -- the timed row measures the audit, not the rate limit (its runs share a token)
    control(emu, "POST", "config", { rate_limit = 1000000 })
    local out = audit_row(o, emu, base, tmp, log, size, title)
    rs, rerr = start_redis(tmp)
    if not rs then error("bench: redis-server: " .. tostring(rerr), 0) end
    control(emu, "POST", "config", { rate_limit = size.limit, rate_window = size.window })
    local title429 = ("%d x audit %d orgs, 80ms RTT, %d calls/%d s"):format(M.PROCS, size.orgs, size.limit,
      size.window)
    out[#out + 1] = fleet_row(emu, base, tmp, size, title429, "independent", "memory:")
    out[#out + 1] = fleet_row(emu, base, tmp, size, title429, "shared", rs.url)
    return out
  end)
  if delay then os.execute("kill " .. delay.pid .. " 2>/dev/null") end
  stop_redis(rs)
  stop_emulator(emu)
  if not ok then return nil, rows end
  return rows, size
end

return M
