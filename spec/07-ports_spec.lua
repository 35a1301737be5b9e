-- The one way every server of the tree gets its listening port (support.ports,
-- which is emulator/lua/ports.lua): below the kernel's ephemeral range, free
-- for a real bind(), random per process, and retried when a bind loses a race.
local ports = require "support.ports"
local socket = require "socket"
local emu = require "support.emulator"
local static = require "support.static_nginx"
local prism = require "support.prism"

local function ephemeral()
  local f = assert(io.open("/proc/sys/net/ipv4/ip_local_port_range"))
  local lo, hi = f:read("*a"):match("(%d+)%s+(%d+)")
  f:close()
  return tonumber(lo), tonumber(hi)
end

describe("support.ports", function()
  it("hands out distinct ports outside the ephemeral range that a bind() accepts", function()
    local elo, ehi = ephemeral()
    local got = ports.pick(20)
    assert.equal(20, #got)
    local seen = {}
    for _, p in ipairs(got) do
      assert.is_nil(seen[p], "port " .. p .. " twice")
      seen[p] = true
      assert.is_true(p < elo or p > ehi, "port " .. p .. " is in the ephemeral range")
      assert.is_true(p >= 1024 and p <= 65535)
      local s = assert(socket.bind("127.0.0.1", p))
      s:close()
    end
  end)

  it("never hands out a port somebody listens on", function()
    local held = {}
    for _, p in ipairs(ports.pick(5)) do
      held[p] = assert(socket.bind("127.0.0.1", p))
    end
    finally(function() for _, s in pairs(held) do s:close() end end)
    -- those five stay taken; many more picks never return one of them
    for _ = 1, 20 do
      for _, p in ipairs(ports.pick(10)) do assert.is_nil(held[p]) end
    end
  end)

  it("does not repeat from one process to the next (seeded from /dev/urandom)", function()
    local me = debug.getinfo(1, "S").source:match("^@(.*)/spec/") or "."
    local function run(lua)
      local p = assert(io.popen(lua .. " " .. me .. "/emulator/lua/ports.lua 5"))
      local line = p:read("*l")
      p:close()
      return line
    end
    for _, lua in ipairs { "lua5.4", "luajit" } do
      local a, b = run(lua), run(lua)
      assert.matches("^%d+ %d+ %d+ %d+ %d+$", a)
      assert.are_not.equal(a, b)
    end
  end)

  it("recognises a lost bind race in nginx's and Node's words", function()
    assert.is_true(ports.lost_race("nginx: [emerg] bind() to 127.0.0.1:24001 failed (98: Address already in use)"))
    assert.is_true(ports.lost_race("Error: listen EADDRINUSE: address already in use 127.0.0.1:4010"))
    assert.is_false(ports.lost_race("nginx: [emerg] unknown directive \"lisen\""))
    assert.is_false(ports.lost_race(nil))
  end)

  it("retries a launch that lost a race, with other ports, and stops at any other failure", function()
    local tried = {}
    local value = ports.retry(2, function(p)
      tried[#tried + 1] = p
      if #tried < 3 then return nil, "bind() to 127.0.0.1:" .. p[1] .. " failed (98: Address already in use)" end
      return "up"
    end)
    assert.equal("up", value)
    assert.equal(3, #tried)
    assert.are_not.same(tried[1], tried[2])
    local calls = 0
    local none, why = ports.retry(1, function() calls = calls + 1 return nil, "config error" end)
    assert.is_nil(none)
    assert.equal("config error", why)
    assert.equal(1, calls)
    calls = 0
    none, why = ports.retry(1, function() calls = calls + 1 return nil, "Address already in use" end, 4)
    assert.is_nil(none)
    assert.equal(4, calls)
    assert.matches("already in use", why)
  end)

  describe("servers that lose a port to another process start on other ports", function()
    local held, taken
    before_each(function()
      taken = ports.pick(1)[1]
      held = assert(socket.bind("127.0.0.1", taken))   -- someone else's listener
    end)
    after_each(function() held:close() end)

    -- Runs start() with ports.pick handing out the taken port first, as a
    -- lost race would: -> whether it was handed out, then pcall(start, ...)'s results.
    local function with_taken_port_first(start, ...)
      local first = true
      local real_pick = ports.pick
      ports.pick = function(n)
        local got = real_pick(n)
        if first then first, got[1] = false, taken end
        return got
      end
      local function finish(...)
        ports.pick = real_pick
        return not first, ...
      end
      return finish(pcall(start, ...))
    end

    it("the emulator", function()
      local spare = ports.pick(2)
      local e = emu.start { try_ports = { taken, spare[1], spare[2] } }
      finally(function() e:stop() end)
      assert.are_not.equal(taken, tonumber(e.url:match(":(%d+)$")))
      assert.same(200, (e:api("GET", "/_emulator/health", nil, false)))
    end)

    it("an nginx started through ports.retry, as the specs' servers are", function()
      local handed, ok, srv = with_taken_port_first(static.start)
      assert(ok, srv)
      finally(function() srv:stop() end)
      assert.is_true(handed)
      assert.are_not.equal(taken, srv.port)
    end)

    -- make bench's "new worker" rows restart their client nginx on its port
    -- before each run: another process can take the port in between, and a
    -- port that merely answers is not the new worker's.
    it("the bench's client nginx, restarted while another process takes its port", function()
      if _VERSION ~= "Lua 5.4" or jit then
        pending("the bench runs under Lua 5.4: checked in the Lua 5.4 run")
        return
      end
      local saved = package.path
      package.path = "bench/lib/?.lua;" .. package.path
      local client = require "client"
      package.path = saved
      local dir = os.tmpname()
      os.remove(dir)
      assert(os.execute("mkdir -p '" .. dir .. "' && cd '" .. dir .. "' && openssl req -x509 -newkey ec"
        .. " -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key.pem -out cert.pem -days 1 -subj /CN=x"
        .. " >/dev/null 2>&1"))
      local c = assert(client.start(dir, dir .. "/cert.pem"))
      local old, thief = c.port, nil
      local real_stop = client.stop
      finally(function()
        client.stop = real_stop
        if thief then thief:close() end
        client.stop(c)
        os.execute("rm -rf '" .. dir .. "'")
      end)
      client.stop = function(x)   -- the old worker gone, someone binds its port at once
        real_stop(x)
        thief = thief or assert(socket.bind("127.0.0.1", old))
      end
      assert(client.restart(c))
      client.stop = real_stop
      assert.are_not.equal(old, c.port)
      assert.equal("http://127.0.0.1:" .. c.port, c.url)
      -- the new worker answers on its port, as nginx does (the thief never answers)
      local conn = assert(socket.connect("127.0.0.1", c.port))
      conn:settimeout(5)
      conn:send("GET /nothing HTTP/1.0\r\n\r\n")
      assert.matches("^HTTP/1%.1 404", conn:receive("*l"))
      conn:close()
    end)

    -- Prism takes seconds to load: until it listens, whoever else holds the
    -- port answers a connect, so only Prism's own "listening" line says it is up.
    it("Prism's validating proxy, which another listener on its port does not fool", function()
      if not prism.installed() then
        pending("Prism is not installed (make prism-install)")
        return
      end
      local upstream = "http://127.0.0.1:" .. ports.dead()
      local handed, ok, base, pid, log = with_taken_port_first(prism.start, upstream)
      assert(ok, base)
      finally(function() prism.stop(pid, log) end)
      assert.is_true(handed)
      assert.are_not.equal(taken, tonumber(base:match(":(%d+)$")))
    end)
  end)
end)
