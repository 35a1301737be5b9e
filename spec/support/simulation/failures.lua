-- What goes wrong, as data: each row names a failure a real deployment meets,
-- the steps it applies to, and how a case arms it. A new failure is a row.
--   on = "http"      the n-th HTTP request of the run (step.index = n)
--        "store"     the library caller's store function, its j-th call
--        "keystore"  the CLI's key file or key directory, or its standard output
--        "answer"    the server answers as the spec allows, but unlike the common case
--   arm(c, step) -> plan { refuse_at, stop_after, kill_after, timeout_at, store_fault,
--                          stdout, faults = { emulator fault, ... } }
-- Emulator faults target the n-th API request with `skip = n - 1` (no method or
-- path: every request of the run counts, the verify's own client too); in a run
-- across orgs, a request to one org is the n-th of that org's (step.path), and
-- step.global is its place among all.
local M = {}

-- A fault on the n-th API request of the run; of one org's requests (step.path)
-- when the run covers several orgs, whose lists go out together in any order.
local function at(step, fault)
  fault.skip = step.index - 1
  fault.path = step.path
  return { faults = { fault }, path = step.path, alone = step.index }
end

local function http(name, short, fault, extra)
  local row = { name = name, short = short, on = "http" }
  row.arm = function(_, step)
    local copy = {}
    for k, v in pairs(fault) do copy[k] = v end
    local plan = at(step, copy)
    for k, v in pairs(extra or {}) do plan[k] = v end
    return plan
  end
  return row
end

M.list = {
  -- libcurl's own "connection refused": the request went to a port nothing listens on
  { name = "never reached", short = "unreached", on = "http",
    arm = function(_, step) return { refuse_at = step.index, path = step.path } end },
  http("refused with 503, not acted on", "503", { kind = "status", status = 503, phase = "before" }),
  http("acted, then 502", "502", { kind = "status", status = 502, phase = "after" }),
  -- a step that fails and the clean-up after it too (a verify, then the DELETE of the new token)
  http("refused with 503, and so is the next", "503×2", { kind = "status", status = 503, phase = "before", count = 2 }),
  http("acted, then cut mid-body", "cut", { kind = "close", phase = "after" }),
  http("acted, then closed unanswered", "unanswered", { kind = "close", phase = "after", before_headers = true }),
  -- the answer never ends; that one request is sent with a 0.5 s timeout (wire.lua)
  { name = "acted, then timed out", short = "timeout", on = "http",
    arm = function(_, step)
      local plan = at(step, { kind = "trickle", phase = "after", endless = true, interval_ms = 100, max_ms = 3000 })
      plan.timeout_at = step.index
      return plan
    end },
  http("acted, then truncated body", "truncated", { kind = "truncate", phase = "after" }),
  http("acted, then undecodable body", "undecodable", { kind = "malformed", phase = "after" }),
  -- a DELETE of a token someone else deleted meanwhile: gone, and a 404
  { name = "acted, then 404 (gone already)", short = "404", on = "http", only = "DELETE",
    arm = function(_, step)
      return at(step, { kind = "status", status = 404, phase = "after", body = '{"detail": "Not found."}' })
    end },
  -- the library caller stops for good right after the step; the CLI gets SIGKILL
  -- while the next request is held unanswered (and never carried out)
  { name = "killed after it", short = "killed", on = "http", not_last = true,
    arm = function(_, step) return { stop_after = step.global, kill_after = step.global } end },

  { name = "store returns nil, err", on = "store",
    arm = function(_, step) return { store_fault = { at = step.index, how = "nil" } } end },
  { name = "store raises", on = "store",
    arm = function(_, step) return { store_fault = { at = step.index, how = "raise" } } end },
  { name = "killed after it", on = "store",
    arm = function(_, step) return { store_fault = { at = step.index, how = "stop" } } end },

  -- the CLI's key store: a file of the user's already there, a path under a regular
  -- file (ENOTDIR), a device node, a directory it may not write, a full disk, standard
  -- output on a full disk or closed
  { name = "key file exists (the user's)", on = "keystore", key = "exists",
    arm = function(c) c:user_file("exists") return {} end },
  { name = "key path under a regular file", on = "keystore", key = "notdir",
    arm = function(c) c:user_file("notdir") return {} end },
  { name = "key file is a device node", on = "keystore", key = "device",
    arm = function(c) c:user_file("device") return {} end },
  -- permission denied: the run as nobody, the key's directory root's (mode 0755)
  { name = "key directory not writable (permission denied)", on = "keystore", key = "denied",
    arm = function(c) c:user_file("denied") return { as_nobody = true } end },
  -- a full disk: the file is made, its writes fail (EFBIG under `ulimit -f 0`, not a
  -- tmpfs: its fullness would outlast the run, and the re-run must see a disk with room)
  { name = "disk full (file writes fail)", on = "keystore", key = "disk_full",
    arm = function() return { file_size_zero = true } end },
  { name = "stdout is /dev/full", on = "keystore", key = "stdout_full",
    arm = function() return { stdout = ">/dev/full" } end },
  { name = "stdout closed", on = "keystore", key = "stdout_closed",
    arm = function() return { stdout = ">&-" } end },

  { name = "privileges in another order", on = "answer", org = true,
    arm = function(c) c.e:config { privileges_order = "reversed" } return {} end },
  { name = "self create answers the token alone", on = "answer", key = "self_create_object",
    arm = function(c) c.e:config { self_create_answer = "object" } return {} end },
  { name = "self create answers several tokens", on = "answer", key = "self_create_several",
    arm = function(c) c.e:config { self_create_answer = "several" } return {} end },
}

local function has(list, x)
  for _, v in ipairs(list or {}) do if v == x then return true end end
  return false
end

--- Whether failure `f` applies to step `step` of operation `op`.
function M.applies(f, op, step)
  if f.on ~= step.on then return false end
  if f.on == "http" then
    if f.only and step.method ~= f.only then return false end
    if f.not_last and step.global >= step.count then return false end
    return true
  elseif f.on == "store" then
    return true
  elseif f.on == "keystore" then
    return has(op.keystores, f.key)
  end
  if f.org then return not op.name:find("self", 1, true) end
  return has(op.answers, f.key)
end

return M
