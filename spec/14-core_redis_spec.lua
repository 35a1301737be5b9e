-- The core's parts of the Redis client and the budget's key: the keyed
-- digest, hiredis's command writer and reply reader, and hiredis's blocking
-- client against a real redis-server. mistapi.redis on top: spec 15.
local core = require "mistapi.core"
local redis_server = require "support.redis_server"
local shell = require "support.shell"

local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$")) or "."

describe("core.keyed_digest", function()
  -- RFC 4231's test cases 1, 2 and 6 (a key longer than SHA-256's block)
  it("is HMAC-SHA256 in 64 lowercase hex characters", function()
    assert.equal("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
      core.keyed_digest(("\11"):rep(20), "Hi There"))
    assert.equal("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      core.keyed_digest("Jefe", "what do ya want for nothing?"))
    assert.equal("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
      core.keyed_digest(("\170"):rep(131), "Test Using Larger Than Block-Size Key - Hash Key First"))
  end)

  it("depends on every byte of the key and the text, NUL bytes too", function()
    local a = core.keyed_digest("k\0a", "token\0x")
    assert.matches("^%x+$", a)
    assert.equal(64, #a)
    assert.equal(a:lower(), a)
    assert.are_not.equal(a, core.keyed_digest("k\0b", "token\0x"))
    assert.are_not.equal(a, core.keyed_digest("k\0a", "token\0y"))
    assert.are_not.equal(a, core.keyed_digest("k", "token"))
    assert.equal(64, #core.keyed_digest("", ""))
  end)

  -- libcrypto is loaded on the first digest, as libcurl on the first session:
  -- a process that loads the core for JSON alone maps neither
  it("maps libcrypto only once a digest is asked for", function()
    local lua, cpath = "lua5.4", ROOT .. "/build/5.4/?.so"
    if rawget(_G, "jit") then lua, cpath = "luajit", ROOT .. "/build/5.1/?.so" end
    local child = ([[
      package.cpath = %q
      local function crypto()
        local f = assert(io.open("/proc/self/maps", "rb"))
        local maps = f:read("*a")
        f:close()
        return maps:find("libcrypto", 1, true) ~= nil
      end
      local core = require "mistapi.core"
      assert(core.decode("[1]"))
      io.write(tostring(crypto()), " ")
      assert(#core.keyed_digest("k", "t") == 64)
      io.write(tostring(crypto()), "\n")
    ]]):format(cpath)
    local r = shell.capture(("%s -e %s"):format(lua, shell.quote(child)))
    assert.equal(0, r.status, r.err)
    assert.equal("false true\n", r.out)
  end)

  it("raises on what is not a string", function()
    assert.has_error(function() core.keyed_digest(nil, "x") end)
    assert.has_error(function() core.keyed_digest("k", {}) end)
  end)
end)

describe("core.sha1_hex", function()
  it("is SHA-1 in 40 lowercase hex characters (a script's EVALSHA name)", function()
    assert.equal("a9993e364706816aba3e25717850c26c9cd0d89d", core.sha1_hex("abc"))
    assert.equal("da39a3ee5e6b4b0d3255bfef95601890afd80709", core.sha1_hex(""))
  end)
end)

describe("core.redis_format", function()
  it("writes Redis's protocol, binary-safe", function()
    assert.equal("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\r\n\0b\r\n", core.redis_format { "SET", "k", "a\r\n\0b" })
    assert.equal("*2\r\n$3\r\nGET\r\n$0\r\n\r\n", core.redis_format { "GET", "" })
  end)

  it("raises on an empty command or a word that is not a string", function()
    assert.has_error(function() core.redis_format {} end)
    assert.has_error(function() core.redis_format { "INCRBY", "k", 1 } end,
      "redis command word 3: a string expected, got number")
  end)
end)

describe("core.redis_reader", function()
  local function reply_of(bytes)
    local r = core.redis_reader()
    r:feed(bytes)
    return r:get()
  end

  it("turns each reply type into its Lua value", function()
    assert.same({ true, 42 }, { reply_of(":42\r\n") })
    assert.same({ true, -7 }, { reply_of(":-7\r\n") })
    assert.same({ true, "OK" }, { reply_of("+OK\r\n") })
    assert.same({ true, "a\r\nb" }, { reply_of("$4\r\na\r\nb\r\n") })
    assert.same({ true, false }, { reply_of("$-1\r\n") })
    assert.same({ true, {} }, { reply_of("*0\r\n") })
    assert.same({ true, { 1, "x", { 2, false }, "" } },
      { reply_of("*4\r\n:1\r\n$1\r\nx\r\n*2\r\n:2\r\n$-1\r\n$0\r\n\r\n") })
  end)

  it("keeps 64-bit integers whole on Lua 5.4", function()
    local ok, v = reply_of(":9007199254740993\r\n")
    assert.is_true(ok)
    if math.type then
      assert.equal(9007199254740993, v)
      assert.equal("integer", math.type(v))
    end
  end)

  it("waits for the rest of a reply fed a byte at a time", function()
    local bytes = "*2\r\n$5\r\nhello\r\n:12\r\n"
    local r = core.redis_reader()
    for i = 1, #bytes - 1 do
      r:feed(bytes:sub(i, i))
      assert.is_false(r:get())
    end
    r:feed(bytes:sub(-1))
    assert.same({ true, { "hello", 12 } }, { r:get() })
    assert.is_false(r:get())
  end)

  it("gives an error reply, even inside an array, as nil, its text, \"reply\"; the next reply reads", function()
    local r = core.redis_reader()
    r:feed("-NOSCRIPT No matching script\r\n*2\r\n:1\r\n-ERR inner\r\n:5\r\n")
    assert.same({ nil, "NOSCRIPT No matching script", "reply" }, { r:get() })
    assert.same({ nil, "ERR inner", "reply" }, { r:get() })
    assert.same({ true, 5 }, { r:get() })
  end)

  -- hiredis allocates an array's slots when its header arrives: one line
  -- from a broken server would ask for gigabytes
  it("refuses an array header of more than 1048576 elements before allocating it", function()
    local r = core.redis_reader()
    r:feed("*922337203\r\n:1\r\n")
    assert.same({ nil, "protocol error: a reply array of more than 1048576 elements", "protocol" }, { r:get() })
    r = core.redis_reader()
    r:feed("*1048577\r\n")   -- one past the bound
    assert.same({ nil, "protocol error: a reply array of more than 1048576 elements", "protocol" }, { r:get() })
    r = core.redis_reader()
    r:feed("*1048576\r\n")
    assert.is_false(r:get())
  end)

  it("refuses bytes that are not Redis's protocol", function()
    local r = core.redis_reader()
    r:feed("HTTP/1.1 200 OK\r\n")
    local v, message, kind = r:get()
    assert.is_nil(v)
    assert.equal("protocol", kind)
    assert.matches("^protocol error: ", message)
  end)
end)

describe("core.redis_connect (hiredis's blocking client)", function()
  local rs

  setup(function()
    rs = redis_server.start()
  end)

  teardown(function()
    if rs then rs:stop() end
  end)

  before_each(function()
    rs:restart()  -- running (a test before may have halted it) and empty
  end)

  it("sends commands and reads their replies", function()
    local c = assert(core.redis_connect(rs.host, rs.port, 5))
    assert.equal("PONG", c:command { "PING" })
    assert.equal("OK", c:command { "SET", "k", "v\0w" })
    assert.equal("v\0w", c:command { "GET", "k" })
    assert.is_false(c:command { "GET", "none" })
    assert.equal(3, c:command { "INCRBY", "n", "3" })
    assert.same({ nil, "ERR value is not an integer or out of range", "reply" }, { c:command { "INCRBY", "k", "1" } })
    assert.equal("PONG", c:command { "PING" })
    c:close()
  end)

  it("says why it can't connect, and closes idempotently; a closed conn raises", function()
    local c, err = core.redis_connect("127.0.0.1", require("support.ports").dead(), 5)
    assert.is_nil(c)
    assert.matches("^cannot connect to 127%.0%.0%.1:%d+: Connection refused$", err)
    c = assert(core.redis_connect(rs.host, rs.port, 5))
    c:close()
    c:close()
    assert.has_error(function() c:command { "PING" } end, "redis connection is closed")
  end)

  it("gives up on a server that answers nothing after the timeout, as \"timeout\"", function()
    local c = assert(core.redis_connect(rs.host, rs.port, 0.2))
    rs:pause()
    local v, message, kind = c:command { "PING" }
    rs:resume()
    c:close()
    assert.is_nil(v)
    assert.equal("timeout", kind)
    assert.equal("no answer within 0.2 seconds", message)
  end)

  it("waits the whole of a timeout under a second for a slow answer (a script busy for 100 ms)", function()
    local c = assert(core.redis_connect(rs.host, rs.port, 0.9))
    local busy = [[
      local function us() local t = redis.call("TIME") return t[1] * 1000000 + t[2] end
      local start = us()
      repeat until us() - start >= 100000
      return 1
    ]]
    assert.same({ 1 }, { c:command { "EVAL", busy, "0" } })
    c:close()
  end)

  -- (a CLI's child, an editor or a hook, must not hold the budget's socket)
  it("keeps its socket from the programs the process starts (close-on-exec)", function()
    local c = assert(core.redis_connect(rs.host, rs.port, 5))
    -- the socket to the server's port: its inode (/proc/net/tcp), then its fd
    local inodes = {}
    for line in shell.read_file("/proc/net/tcp"):gmatch("[^\n]+") do
      local f = {}
      for field in line:gmatch("%S+") do f[#f + 1] = field end
      local rport = f[3] and f[3]:match("^%x+:(%x+)$")
      if rport and tonumber(rport, 16) == rs.port then inodes[f[10]] = true end
    end
    local pid = shell.read_file("/proc/self/stat"):match("^%d+")
    local p = assert(io.popen("ls -l /proc/" .. pid .. "/fd"))
    local listing = p:read("*a")
    p:close()
    local checked = 0
    for n, inode in listing:gmatch(" (%d+) %-> socket:%[(%d+)%]") do
      if inodes[inode] then
        local flags = tonumber(shell.read_file("/proc/self/fdinfo/" .. n):match("flags:%s*(%d+)"), 8)
        assert.equal(1, math.floor(flags / 2 ^ 19) % 2, "the socket is not close-on-exec")
        checked = checked + 1
      end
    end
    c:close()
    assert.equal(1, checked)
  end)

  it("reports a server gone mid-run as \"closed\" (the next command too)", function()
    local c = assert(core.redis_connect(rs.host, rs.port, 5))
    assert.equal("PONG", c:command { "PING" })
    rs:halt()
    assert.same({ nil, "Server closed the connection", "closed" }, { c:command { "PING" } })
    assert.same({ nil, "Server closed the connection", "closed" }, { c:command { "PING" } })
    c:close()
  end)

  it("refuses a reply array of more than 1048576 elements from a broken server", function()
    local raw = require("support.raw_server").start { { chunks = { "*922337203\r\n" }, hold = 1 } }
    local c = assert(core.redis_connect("127.0.0.1", tonumber(raw.url:match(":(%d+)$")), 5))
    assert.same({ nil, "a reply array of more than 1048576 elements", "io" }, { c:command { "PING" } })
    c:close()
    raw:stop()
  end)

  -- hiredis writes with write(2): a write to a connection the server closed
  -- raises SIGPIPE, whose default action ends the process. This process
  -- can't show it (LuaSocket, which support.ports loads, ignores SIGPIPE,
  -- and children inherit that), so a child with the default action runs it.
  it("survives writing to a connection the server closed (no SIGPIPE kills the process)", function()
    local lua, cpath = "lua5.4", ROOT .. "/build/5.4/?.so"
    if rawget(_G, "jit") then lua, cpath = "luajit", ROOT .. "/build/5.1/?.so" end
    local child = ([[
      package.cpath = %q
      local core = require "mistapi.core"
      local c = assert(core.redis_connect("127.0.0.1", %d, 5))
      assert(c:command { "QUIT" } == "OK")  -- the server answers, then closes
      local v, message, kind = c:command { "SET", "k", ("x"):rep(16 * 1048576) }
      io.write(tostring(v), " ", kind, " ", message, "\n")
    ]]):format(cpath, rs.port)
    local r = shell.capture(("env --default-signal=PIPE %s -e %s"):format(lua, shell.quote(child)))
    assert.equal(0, r.status, r.err)
    assert.matches("^nil %a+ ", r.out)
  end)
end)
