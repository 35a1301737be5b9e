-- The fleet row's arithmetic, apart from the processes that feed it (spec 87
-- checks it): the ideal wall time of an audit across orgs, read from the
-- emulator's log of the run; the calls and 429s of one token in that log;
-- what the CLI's summary line and the fleet processes said; the targets.
local M = {}

-- An org's token list: the calls the bulk machinery makes side by side.
local LIST = "^/api/v1/orgs/[^/]+/apitokens$"

-- The round trips no client can avoid at `conc` at a time, from the log of
-- one run (oldest first): a TCP connect and a TLS 1.3 handshake (`setup`
-- round trips), every call that is not an org's token list one after another
-- (/self, the MSP's pages of orgs: each needs the last's answer), and the
-- token lists `conc` at a time.
-- -> { ms =, round_trips =, sequential =, lists =, waves = }
function M.ideal(log, rtt_ms, conc, setup)
  if type(conc) ~= "number" or conc < 1 then error("ideal: conc must be 1 or more", 2) end
  local lists, sequential = 0, 0
  for _, entry in ipairs(log) do
    if entry.path:match(LIST) then lists = lists + 1 else sequential = sequential + 1 end
  end
  local waves = math.ceil(lists / conc)
  local trips = (setup or 0) + sequential + waves
  return { ms = trips * rtt_ms, round_trips = trips, sequential = sequential, lists = lists, waves = waves }
end

-- The calls the emulator logged for `token_id`, and how many it answered 429.
function M.calls(log, token_id)
  local n, limited = 0, 0
  for _, entry in ipairs(log) do
    if entry.token_id == token_id then
      n = n + 1
      if entry.status == 429 then limited = limited + 1 end
    end
  end
  return { calls = n, limited = limited }
end

-- The CLI's last line: "... in T tokens of O orgs; F orgs failed".
-- -> { tokens, orgs, failed } | nil
function M.summary(out)
  local t, o, f = out:match("in (%d+) tokens? of (%d+) orgs?; (%d+) orgs? failed%s*$")
  if not t then return nil end
  return { tokens = tonumber(t), orgs = tonumber(o), failed = tonumber(f) }
end

-- The lines of the fleet's processes (bench/run_fleet.lua), one text each;
-- a process that printed no line counts as not finished.
-- -> { processes, finished, orgs, failed, tokens, warnings }
function M.tally(outs)
  local t = { processes = #outs, finished = 0, orgs = 0, failed = 0, tokens = 0, warnings = 0 }
  for _, out in ipairs(outs) do
    local o, f, k, w = out:match("orgs (%d+) failed (%d+) tokens (%d+) warnings (%d+)")
    if o then
      t.finished = t.finished + 1
      t.orgs, t.failed, t.tokens = t.orgs + tonumber(o), t.failed + tonumber(f), t.tokens + tonumber(k)
      t.warnings = t.warnings + tonumber(w)
    end
  end
  return t
end

-- Whether a run audited what the emulator holds: every org of every process,
-- each with its tokens, none failed. -> true | false, why
function M.complete(t, orgs, tokens_each)
  if t.finished < t.processes then
    return false, ("%d of %d processes did not finish"):format(t.processes - t.finished, t.processes)
  end
  local want = t.processes * orgs
  if t.orgs ~= want then return false, ("%d orgs listed, %d expected"):format(t.orgs, want) end
  if t.failed > 0 then return false, ("%d orgs failed"):format(t.failed) end
  if t.tokens ~= want * tokens_each then
    return false, ("%d tokens audited, %d expected"):format(t.tokens, want * tokens_each)
  end
  return true
end

-- The targets of the issue this row answers. `independent` and `shared`
-- are the rows of the two fleets (`limited`: their 429s).
function M.judge(independent, shared)
  local name = "fleet: a shared budget sees no 429"
  if not (independent and shared and independent.limited and shared.limited) then
    return { { name = name, detail = "not measured" } }
  end
  local detail = ("%d 429s shared, %d with independent budgets"):format(shared.limited, independent.limited)
  if independent.limited == 0 then
    -- the emulator's limit was never reached: the run compared nothing
    return { { name = name, detail = detail .. " (the limit was not reached: no comparison)" } }
  end
  return { { name = name, met = shared.limited == 0 and shared.status == "ok", detail = detail } }
end

return M
