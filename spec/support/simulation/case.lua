-- One case of the simulation: an operation, one step of it, one failure. It
-- resets the emulator, sets the world up, arms the failure, runs the operation,
-- runs it again with no failure (and, once done, a third time where that must
-- change nothing), and after each run takes a snapshot for the invariants.
-- A case holds what the user holds: the library caller's vault (every key a
-- store accepted), the CLI's key files and what it printed.
local core = require "mistapi.core"
local mistapi = require "mistapi"
local main = require "mistapi.cli.main"
local shell = require "support.shell"
local wire = require "support.simulation.wire"
local world = require "support.simulation.world"

local M = {}

local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/spec/support/simulation/[^/]*$") or ".")
local KILL_WAIT = 10      -- seconds a killed run may take to reach its held request
local HOLD_MS = 3000      -- how long the emulator holds that request before dropping it

local Case = {}
Case.__index = Case

local function no_env() return nil end

-- A 64-character key, as the API gives a new token's; masked ones hold "...".
local function is_key(v) return type(v) == "string" and #v == 64 and not v:find("...", 1, true) end

--- Whether the user holds `key`: the vault, a result the library returned, a key
-- file named by the command, or what the command printed on a standard output
-- that was really written.
function Case:holds(key)
  if self.held[key] then return true end
  if self.screen:find(key, 1, true) then return true end
  for _, path in ipairs(self.op.key_paths and self.op.key_paths(self) or {}) do
    -- PATH.new: a key staged by an in-place replace, which the next run with PATH finishes from
    for _, p in ipairs { path, path .. ".new" } do
      local text = shell.try_read(p)
      if text and text:find(key, 1, true) then return true end
    end
  end
  return false
end

function Case:vault_store()
  local n = 0
  return function(key, _, name)
    n = n + 1
    self.stores[#self.stores + 1] = name
    local f = self.plan.store_fault
    if f and f.at == n and f.how == "nil" then return nil, "vault sealed" end
    if f and f.at == n and f.how == "raise" then error("vault unreachable") end
    self.held[key], self.vault[name] = true, key
    if f and f.at == n and f.how == "stop" then coroutine.yield("stopped") end
    return true
  end
end

function Case:vault_load()
  return function(_, name) return self.vault[name] end
end

-- A file of the user's in the way of the key store (see failures.lua): recorded,
-- so invariant 6 can tell it was kept.
function Case:user_file(kind)
  local dir = self.dir
  if kind == "exists" then
    local path = self.op.name:find("apply", 1, true) and (dir .. "/keys/app-new.key") or (dir .. "/token.key")
    if self.op.user_key_path then path = self.op.user_key_path(self) end
    os.execute("mkdir -p " .. shell.quote(path:match("^(.*)/[^/]*$")))
    local f = assert(io.open(path, "w"))
    f:write("not a key\n")
    f:close()
    self.user_files[#self.user_files + 1] = path
  elseif kind == "notdir" then
    local plain = dir .. "/plain"
    local f = assert(io.open(plain, "w"))
    f:write("a file, not a directory\n")
    f:close()
    self.key_path, self.key_dir = plain .. "/token.key", plain
    self.user_files[#self.user_files + 1] = plain
  elseif kind == "device" then
    local path = self.op.name:find("apply", 1, true) and (dir .. "/keys/app-new.key") or (dir .. "/token.key")
    os.execute("mkdir -p " .. shell.quote(dir .. "/keys"))
    -- the null device's numbers, made in the case's own directory (never /dev/null itself)
    if not os.execute("mknod " .. shell.quote(path) .. " c 1 3 2>/dev/null") then
      self.skip = "a device node needs root (mknod)"
      return
    end
    self.user_files[#self.user_files + 1] = path
  elseif kind == "denied" then
    -- the key's directory is root's, mode 0755, and the run is nobody's: creating the
    -- file fails with EACCES. The case's directories are only made traversable to reach it.
    local parent = dir:match("^(.*)/[^/]*$")
    if not os.execute("chmod 0711 " .. shell.quote(parent) .. " && chmod 0755 " .. shell.quote(dir)
        .. " && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null") then
      self.skip = "running as another user needs root (setpriv)"
    end
  end
end

-- What each user file is now: its type and bytes (a device node is not read).
function Case.file_state(_, path)
  local p = assert(io.popen("stat -c %F " .. shell.quote(path) .. " 2>/dev/null"))
  local kind = p:read("*l") or "missing"
  p:close()
  if kind == "regular file" or kind == "regular empty file" then return kind .. ":" .. shell.read_file(path) end
  return kind
end

-- The library: fn(client) in a coroutine, the wire armed. -> outcome
function Case:lib(fn)
  local client = assert(mistapi.new { base_url = self.e.url, token = self.token or self.e.token, getenv = no_env,
    max_retries = 0 })
  wire.install(self.plan)
  local co = coroutine.create(function() return fn(client) end)
  local ok, res, err = coroutine.resume(co)
  wire.uninstall()
  local stopped = ok and coroutine.status(co) == "suspended"
  client:close()
  if not ok then return { raised = tostring(res), message = tostring(res) } end
  if stopped then return { stopped = true, message = "" } end
  if res then self:keep_keys(res) end
  return { ok = res ~= nil, message = res == nil and tostring(err) or "" }
end

-- Keys in what the library returned are held: the caller has them.
function Case:keep_keys(v, depth)
  depth = depth or 0
  if depth > 6 then return end
  if type(v) == "table" then
    for _, x in pairs(v) do self:keep_keys(x, depth + 1) end
  elseif is_key(v) then
    self.held[v] = true
  end
end

function Case:env()
  return { MIST_BASE_URL = self.e.url, MIST_APITOKEN = self.token or self.e.token, MIST_ORG_ID = self.e.org_id }
end

local function cli_argv(_, argv)
  local full = { "--max-retries", "0" }
  for _, a in ipairs(argv) do full[#full + 1] = a end
  return full
end

-- mistapi-tokens in this process (main.run, as bin/mistapi-tokens calls it). -> outcome
function Case:cli_here(argv)
  local env = self:env()
  local out, err = {}, {}
  wire.install(self.plan)
  local co = coroutine.create(function()
    return main.run(cli_argv(self.plan, argv), {
      getenv = function(k) return env[k] end,
      stdout = function(s) out[#out + 1] = s end,
      stderr = function(s) err[#err + 1] = s end,
      stdin = function() return nil end,
      isatty = function() return false end,
    })
  end)
  local ok, status = coroutine.resume(co)
  wire.uninstall()
  local text = table.concat(out)
  self.screen = self.screen .. text
  if not ok then return { raised = tostring(status), message = tostring(status) } end
  return { ok = status == 0, status = status, message = text .. table.concat(err), out = text }
end

-- mistapi-tokens as its own process (bin/mistapi-tokens under lua5.4): for a kill,
-- a standard output that can't be written, a run as an unprivileged user, a run
-- whose file writes fail (RLIMIT_FSIZE). -> outcome
function Case:cli_child(argv)
  local envfile = self.dir .. "/.env"
  local f = assert(io.open(envfile, "w"))
  for k, v in pairs(self:env()) do f:write(k, "=", shell.quote(v), "\n") end
  f:close()
  local words = {}
  for i, a in ipairs(cli_argv(self.plan, argv)) do words[i] = shell.quote(a) end
  local outfile, errfile = self.dir .. "/.out", self.dir .. "/.err"
  local redirect = self.plan.stdout or (">" .. shell.quote(outfile))
  -- as the unprivileged user: root's mode bits stop nobody else (setpriv keeps the environment)
  local who = self.plan.as_nobody and "setpriv --reuid=65534 --regid=65534 --clear-groups " or ""
  local program = ("%slua5.4 %s %s"):format(who, shell.quote(ROOT .. "/bin/mistapi-tokens"),
    table.concat(words, " "))
  -- exec when it is killed: the pid the shell prints is then the client's own
  local cmd = ("set -a; . %s; set +a; %s%s %s 2>%s"):format(shell.quote(envfile),
    self.plan.kill_after and "exec " or "", program, redirect, shell.quote(errfile))
  local r
  if self.plan.kill_after then
    r = self:killed(cmd)
  elseif self.plan.file_size_zero then
    -- A full disk: under RLIMIT_FSIZE 0 every write to a regular file fails with EFBIG
    -- (SIGXFSZ ignored, so write returns the error instead of the signal killing it).
    -- Its stdout and stderr are pipes, to a cat outside the limit, so what it says is kept.
    local statusfile = self.dir .. "/.status"
    cmd = ("set -a; . %s; set +a; { { (ulimit -f 0; trap '' XFSZ; exec %s 2>&1 >&3 3>&-); echo $? >%s; }"
      .. " | cat >%s; } 3>&1 | cat >%s"):format(shell.quote(envfile), program, shell.quote(statusfile),
      shell.quote(errfile), shell.quote(outfile))
    os.execute(cmd)
    local status = tonumber((shell.try_read(statusfile) or ""):match("(%d+)"))
    os.remove(statusfile)
    r = { ok = status == 0, status = status }
  else
    local p = assert(io.popen(cmd .. "; echo $?"))
    local status = tonumber(p:read("*a"):match("(%d+)%s*$"))
    p:close()
    r = { ok = status == 0, status = status }
  end
  local out = self.plan.stdout and "" or shell.read_file(outfile)
  self.screen = self.screen .. out
  r.message, r.out = out .. shell.read_file(errfile), out
  os.remove(outfile); os.remove(errfile); os.remove(envfile)
  return r
end

-- Starts cmd in the background, waits (bounded) until the emulator holds the request
-- after step k, then kills it with SIGKILL. -> outcome { killed }
function Case:killed(cmd)
  local p = assert(io.popen("sh -c " .. shell.quote(cmd) .. " >/dev/null 2>&1 & echo $!"))
  local pid = tonumber(p:read("*l"))
  p:close()
  local want = self.plan.kill_after + 1
  local deadline = core.now() + KILL_WAIT
  while self.e:inflight().arrived < want and core.now() < deadline do core.sleep(0.01) end
  local reached = self.e:inflight().arrived >= want
  os.execute("kill -9 " .. pid .. " 2>/dev/null")
  -- gone (or a zombie nobody reaps yet): bounded
  for _ = 1, 500 do
    local stat = shell.try_read("/proc/" .. pid .. "/stat")
    if not stat or stat:match("^%d+ %b() ([ZX])") then break end
    core.sleep(0.01)
  end
  if not reached then return { raised = "the killed run never reached step " .. want, message = "" } end
  return { killed = true }
end

function Case:run_once(plan)
  self.plan = plan or {}
  for _, fault in ipairs(self.plan.faults or {}) do self.e:fault(fault) end
  if self.plan.kill_after and self.op.via == "cli" then
    self.e:fault { kind = "hold", ms = HOLD_MS, skip = self.plan.kill_after }
  end
  local runner = {
    lib = function(fn) return self:lib(fn) end,
    cli = function(argv)
      local p = self.plan
      if p.kill_after or p.stdout or p.as_nobody or p.file_size_zero then return self:cli_child(argv) end
      return self:cli_here(argv)
    end,
  }
  local outcome = self.op.run(self, runner)
  self.e:clear_faults()
  self.plan = {}
  return outcome
end

--- A case for operation `op` on emulator `e`, in a fresh directory under `base`.
function M.new(e, op, base, own)
  local dir = base .. "/" .. tostring(M.serial)
  M.serial = M.serial + 1
  assert(os.execute("rm -rf " .. shell.quote(dir) .. " && mkdir -p " .. shell.quote(dir)))
  e:reset()
  local c = setmetatable({ e = e, op = op, dir = dir, own = own, held = {}, vault = {}, screen = "",
    stores = {}, user_files = {}, plan = {} }, Case)
  op.setup(c)
  return c
end
M.serial = 1

function Case:cleanup()
  os.execute("rm -rf " .. shell.quote(self.dir))
end

function Case:snapshot()
  return world.snapshot(self.e)
end

return M
