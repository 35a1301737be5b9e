-- Loopback listening ports for every server the tree starts: the emulator,
-- the specs' nginx instances and proxies, the bench's nginx.
--
--   local ports = dofile(ROOT .. "/emulator/lua/ports.lua")  -- or require "support.ports" in specs
--   ports.pick(n)            -> { p1, ..., pn }: distinct ports that a bind() accepted just now
--   ports.lost_race(text)    -> true when a server's log says its bind() lost a race
--   ports.retry(n, launch)   -> launch(ports) with fresh ports until it does not lose a race
--
-- As a script, for the emulator's bash: `lua5.4 ports.lua N` prints N ports on one line.
--
-- Why: the kernel's ephemeral range (ip_local_port_range) is where every client
-- socket gets its local port, and a closed client connection keeps its port in
-- TIME_WAIT for a minute. A port chosen in that range may look free to a
-- connect() probe while nginx's bind() on it fails. So ports come from below
-- that range, are probed by a real bind() (with SO_REUSEADDR, as nginx binds),
-- and are drawn from /dev/urandom (LuaJIT never seeds math.random). A server
-- may still lose a port to another process between probe and bind: retry.
-- Works on Lua 5.1, 5.4 and LuaJIT; needs LuaSocket (Debian lua-socket).
local socket = require "socket"

local M = {}

-- the lowest port we hand out; below it live well-known services
local FLOOR = 20000
-- ports handed out by this process lately, not handed out again
local given, given_order, REMEMBER = {}, {}, 256

local function ephemeral_range()
  local f = io.open("/proc/sys/net/ipv4/ip_local_port_range", "r")
  local text = f and f:read("*a") or ""
  if f then f:close() end
  local lo, hi = text:match("(%d+)%s+(%d+)")
  return tonumber(lo) or 32768, tonumber(hi) or 60999
end

-- The ranges to draw from: below the ephemeral range, else above it, else
-- anywhere above FLOOR (then only the bind() probe and the retry protect us).
function M.ranges()
  local lo, hi = ephemeral_range()
  if lo - 1 - FLOOR >= 1000 then return { { FLOOR, lo - 1 } } end
  if lo - 1 - 10000 >= 1000 then return { { 10000, lo - 1 } } end
  if 65535 - (hi + 1) >= 1000 then return { { hi + 1, 65535 } } end
  return { { FLOOR, 65535 } }
end

-- A source of random integers: /dev/urandom, else math.random seeded from the
-- clock, the pid and an address (so two processes differ).
local urandom = io.open("/dev/urandom", "rb")
if not urandom then
  local stat = io.open("/proc/self/stat", "r")
  local pid = stat and tonumber((stat:read("*l") or ""):match("^%d+")) or 0
  if stat then stat:close() end
  local addr = tonumber(tostring({}):match("0x(%x+)") or "0", 16) or 0
  math.randomseed((os.time() + pid * 7919 + math.floor(os.clock() * 1e6) + addr) % 2147483647)
end

local function random_below(n)
  if urandom then
    local b = urandom:read(4)
    if b and #b == 4 then
      local v = ((b:byte(1) * 256 + b:byte(2)) * 256 + b:byte(3)) * 256 + b:byte(4)
      return v % n
    end
  end
  return math.random(0, n - 1)
end

local function remember(port)
  given[port] = true
  given_order[#given_order + 1] = port
  if #given_order > REMEMBER then
    given[table.remove(given_order, 1)] = nil
  end
end

-- Does a listening bind() on 127.0.0.1:port succeed now?
local function bindable(port)
  local s = socket.bind("127.0.0.1", port)
  if not s then return false end
  s:close()
  return true
end

function M.pick(n)
  n = n or 1
  local ranges, size = M.ranges(), 0
  for _, r in ipairs(ranges) do size = size + r[2] - r[1] + 1 end
  local out, chosen = {}, {}
  for _ = 1, 500 do
    if #out == n then break end
    local k = random_below(size)
    local port
    for _, r in ipairs(ranges) do
      local width = r[2] - r[1] + 1
      if k < width then port = r[1] + k break end
      k = k - width
    end
    if not given[port] and not chosen[port] and bindable(port) then
      chosen[port] = true
      out[#out + 1] = port
    end
  end
  if #out < n then error("ports: no free loopback port found", 2) end
  for _, p in ipairs(out) do remember(p) end
  return out
end

-- nginx: "bind() to 127.0.0.1:P failed (98: Address already in use)";
-- Node.js: "EADDRINUSE: address already in use"
function M.lost_race(text)
  return type(text) == "string" and text:lower():find("address already in use", 1, true) ~= nil
end

-- Calls launch(ports) (n fresh ports) until it succeeds or fails for a reason
-- other than a lost port race. launch returns a value, or nil, why. -> value | nil, why
function M.retry(n, launch, tries)
  local why
  for _ = 1, tries or 8 do
    local value
    value, why = launch(M.pick(n))
    if value then return value end
    if not M.lost_race(why) then break end
  end
  return nil, why
end

-- Run as a script: print N ports.
if arg and arg[0] and arg[0]:match("ports%.lua$") then
  print(table.concat(M.pick(tonumber(arg[1]) or 1), " "))
end

return M
