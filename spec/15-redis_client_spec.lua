-- mistapi.redis against a real redis-server: outside nginx through hiredis's
-- blocking client, inside nginx (a content handler, a cosocket phase) over
-- ngx.socket.tcp with a keepalive pool, and where cosockets are unavailable
-- (set_by_lua) through the blocking client again. The core's parts: spec 14.
local redis = require "mistapi.redis"
local core = require "mistapi.core"
local cjson = require "cjson"
local redis_server = require "support.redis_server"
local shell = require "support.shell"
local ports = require "support.ports"

local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$")) or "."
if ROOT:sub(1, 1) ~= "/" then
  ROOT = assert(io.popen("pwd")):read("*l") .. (ROOT == "." and "" or "/" .. ROOT)
end

-- Redis's count of one command's calls since CONFIG RESETSTAT (0 when none).
local function calls(rs, name)
  local info = assert(rs:command { "INFO", "commandstats" })
  return tonumber(info:match("cmdstat_" .. name .. ":calls=(%d+)")) or 0
end

local function connections_received(rs)
  local info = assert(rs:command { "INFO", "stats" })
  return tonumber(info:match("total_connections_received:(%d+)"))
end

describe("redis.parse_url", function()
  it("reads host, port and database, with 6379 and 0 by default", function()
    assert.same({ host = "127.0.0.1", port = 7000, db = 3 }, redis.parse_url("redis://127.0.0.1:7000/3"))
    assert.same({ host = "cache.example", port = 6379, db = 0 }, redis.parse_url("redis://cache.example"))
    assert.same({ host = "h", port = 1, db = 0 }, redis.parse_url("REDIS://h:1/"))
    assert.same({ host = "::1", port = 6380, db = 0 }, redis.parse_url("redis://[::1]:6380"))
  end)

  it("refuses what it can't use, without quoting the URL", function()
    for _, case in ipairs {
      { "http://h:1", "redis: the URL does not start with redis://" },
      { "rediss://h:1", "redis: rediss:// (TLS) is not supported" },
      { "redis://user:s3cr3t-pw@h:1", "redis: a user or password in the URL is not supported" },
      { "redis://h:1/0?x=s3cr3t-pw", "redis: the URL has a query or a fragment" },
      { "redis://h:70000", "redis: the URL's port is not from 1 to 65535" },
      { "redis://h:0", "redis: the URL's port is not from 1 to 65535" },
      { "redis://h:", "redis: the URL's port is empty" },
      { "redis://h:1/db", "redis: the URL's path is not a database number" },
      { "redis://h:1/1/2", "redis: the URL's path is not a database number" },
      { "redis://:1", "redis: the URL has no valid host" },
      { "redis://h w:1", "redis: the URL has no valid host" },
    } do
      assert.same({ nil, case[2] }, { redis.parse_url(case[1]) }, case[1])
    end
    assert.same({ nil, "redis: the URL is not a string" }, { redis.parse_url(nil) })
  end)
end)

describe("mistapi.redis outside nginx (hiredis's blocking client)", function()
  local rs

  setup(function()
    rs = redis_server.start()
  end)

  teardown(function()
    if rs then rs:stop() end
  end)

  before_each(function()
    rs:restart()   -- running (a test before may have halted it), empty, no scripts cached
  end)

  it("runs a script with keys and arguments; replies become Lua values", function()
    local conn = assert(redis.connect(rs.url, { timeout = 5 }))
    assert.equal("hiredis", conn.via)
    local v = assert(conn:eval("return { KEYS[1], ARGV[1], ARGV[2], ARGV[3], redis.call('INCRBY', KEYS[1], ARGV[2]),"
      .. " { 1, { 'deep' } }, redis.call('GET', 'nothing') }", { "budget:abc" }, { "x", 7, 2.5 }))
    assert.same({ "budget:abc", "x", "7", "2.5", 7, { 1, { "deep" } }, false }, v)
    assert.equal(0, conn:eval("return 0", {}))
    assert.equal("OK", conn:command { "SET", "n", 41 })
    assert.equal(42, conn:command { "INCR", "n" })
    conn:close()
  end)

  it("sends EVALSHA first and EVAL only when the server answers NOSCRIPT", function()
    local conn = assert(redis.connect(rs.url, { timeout = 5 }))
    local script = "return redis.call('INCR', KEYS[1])"
    assert(rs:command { "CONFIG", "RESETSTAT" })
    assert.equal(1, conn:eval(script, { "n" }))   -- a new server: NOSCRIPT, then EVAL
    assert.equal(1, calls(rs, "eval"))
    assert(rs:command { "CONFIG", "RESETSTAT" })
    assert.equal(2, conn:eval(script, { "n" }))   -- known now: EVALSHA alone
    assert.equal(0, calls(rs, "eval"))
    assert.equal(1, calls(rs, "evalsha"))
    assert(rs:command { "SCRIPT", "FLUSH" })
    assert.equal(3, conn:eval(script, { "n" }))   -- forgotten: EVAL again
    conn:close()
  end)

  it("gives an error reply as nil, \"redis: ...\", and the connection goes on", function()
    local conn = assert(redis.connect(rs.url, { timeout = 5 }))
    assert.same({ nil, "redis: BUDGET refused" }, { conn:eval("return redis.error_reply('BUDGET refused')", {}) })
    local v, err = conn:eval("return redis.call('NOSUCHCOMMAND')", {})
    assert.is_nil(v)
    assert.matches("^redis: ", err)
    assert.same({ nil, "redis: ERR value is not an integer or out of range" },
      { conn:command { "INCRBY", "k", "x" } })
    assert.equal("PONG", conn:command { "PING" })
    conn:close()
  end)

  it("fails with nil, \"redis: ...\" while Redis is down, and works again once it is back", function()
    local conn = assert(redis.connect(rs.url .. "/5", { timeout = 5 }))
    assert.equal("OK", conn:command { "SET", "where", "five" })
    rs:halt()
    local v, err = conn:command { "GET", "where" }
    assert.is_nil(v)
    assert.matches("^redis: ", err)
    local c2
    c2, err = redis.connect(rs.url, { timeout = 5 })
    assert.is_nil(c2)
    assert.equal(("redis: cannot connect to 127.0.0.1:%d: Connection refused"):format(rs.port), err)
    rs:restart()
    -- the same conn reconnects, to its own database
    assert.equal("OK", conn:command { "SET", "where", "five again" })
    assert.equal("five again", redis.connect(rs.url .. "/5"):command { "GET", "where" })
    assert.is_false(redis.connect(rs.url .. "/0"):command { "GET", "where" })
    conn:close()
  end)

  it("goes on without a failure on a connection held across a Redis restart", function()
    local conn = assert(redis.connect(rs.url .. "/4", { timeout = 5 }))
    assert.equal(1, conn:eval("return redis.call('INCR', KEYS[1])", { "n" }))
    rs:restart()   -- the connection is stale, the script cache and the data gone
    assert.equal(1, conn:eval("return redis.call('INCR', KEYS[1])", { "n" }))
    assert.equal("1", redis.connect(rs.url .. "/4"):command { "GET", "n" })
    conn:close()
  end)

  it("gives up on a Redis that answers nothing after its timeout, and goes on once it answers", function()
    local conn = assert(redis.connect(rs.url, { timeout = 0.2 }))
    rs:pause()
    local v, err = conn:eval("return 1", {})
    rs:resume()
    assert.is_nil(v)
    assert.equal("redis: no answer within 0.2 seconds", err)
    assert.equal(1, conn:eval("return 1", {}))
    conn:close()
  end)

  it("raises on misuse; closes idempotently; a closed conn raises", function()
    assert.has_error(function() redis.connect(rs.url, { timeout = 0 }) end)
    assert.has_error(function() redis.connect(rs.url, 5) end)
    local conn = assert(redis.connect(rs.url))
    assert.has_error(function() conn:eval(nil, {}) end)
    assert.has_error(function() conn:eval("return 1", "k") end)
    assert.has_error(function() conn:eval("return 1", {}, { {} }) end)
    assert.has_error(function() conn:command {} end)
    assert.is_true(conn:close())
    assert.is_true(conn:close())
    assert.has_error(function() conn:command { "PING" } end)
    assert.same({ nil, "redis: a user or password in the URL is not supported" },
      { redis.connect("redis://u:s3cr3t-pw@127.0.0.1:" .. rs.port) })
  end)
end)

-- An nginx (one worker) whose handlers use mistapi.redis; the spec's Redis
-- URL comes as the `url` argument.
local NGINX_CONF = [[
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
daemon off; master_process off; worker_processes 1;
pid DIR/nginx.pid; error_log DIR/error.log info;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path DIR/tmp/body; proxy_temp_path DIR/tmp/proxy;
  fastcgi_temp_path DIR/tmp/fastcgi; uwsgi_temp_path DIR/tmp/uwsgi; scgi_temp_path DIR/tmp/scgi;
  lua_package_path "ROOT/lua/?.lua;ROOT/lua/?/init.lua;;";
  lua_package_cpath "ROOT/build/5.1/?.so;;";
  server {
    listen 127.0.0.1:PORT;
    location = /ping { return 200 "pong"; }
    # one script: the handler's answer says which way it went and what came back
    location = /eval { content_by_lua_block {
      local cjson = require "cjson"
      local redis = require "mistapi.redis"
      local out = {}
      local conn, err = redis.connect(ngx.unescape_uri(ngx.var.arg_url), { timeout = 5 })
      if conn then
        out.via = conn.via
        out.value, out.err = conn:eval("return { KEYS[1], ARGV[1], redis.call('INCR', KEYS[1]) }", { "n" }, { "a" })
        conn:close()
      else
        out.err = err
      end
      ngx.say(cjson.encode(out))
    } }
    # the eval waits on a paused Redis in a light thread: if it yielded, this
    # handler ran on before it finished, which a blocking call can't allow
    location = /yields { content_by_lua_block {
      local cjson = require "cjson"
      local redis = require "mistapi.redis"
      local done = false
      local t = ngx.thread.spawn(function()
        local conn, err = redis.connect(ngx.unescape_uri(ngx.var.arg_url), { timeout = 0.3 })
        local v
        if conn then v, err = conn:eval("return 1", {}); conn:close() end
        done = true
        return v, err
      end)
      local went_on = not done
      local _, v, err = ngx.thread.wait(t)
      ngx.say(cjson.encode({ went_on = went_on, value = v, err = err }))
    } }
    # a command whose answer comes after its timeout (Redis stopped, then
    # started again), then the next command of the next conn: it must read
    # its own answer, never the late one of the first
    location = /late { content_by_lua_block {
      local cjson = require "cjson"
      local redis = require "mistapi.redis"
      local url, pid = ngx.unescape_uri(ngx.var.arg_url), tonumber(ngx.var.arg_pid)
      local conn = assert(redis.connect(url, { timeout = 0.3 }))
      assert(conn:command { "PING" })
      os.execute("kill -STOP " .. pid)
      local first, err = conn:command { "ECHO", "first" }
      os.execute("kill -CONT " .. pid)
      conn:close()
      -- no turn of the event loop from here to the answer: a pooled socket
      -- that still waited for the late answer would read it now
      local again = assert(redis.connect(url, { timeout = 5 }))
      local second = again:command { "ECHO", "second" }
      again:close()
      ngx.say(cjson.encode({ first = first, err = err, second = second }))
    } }
    # the Redis budget inside nginx: one take a request
    location = /take { content_by_lua_block {
      local b = assert(require("mistapi.budget.redis").new(ngx.unescape_uri(ngx.var.arg_url), {}))
      ngx.say(tostring(b:take("k", 100, 60)))
    } }
    # no cosockets in the set phase: the blocking client
    location = /set_phase {
      set_by_lua_block $answer {
        local redis = require "mistapi.redis"
        local conn, err = redis.connect(ngx.unescape_uri(ngx.var.arg_url), { timeout = 5 })
        if not conn then return "error " .. err end
        local v = conn:eval("return 'from ' .. ARGV[1]", {}, { "set" })
        conn:close()
        return conn.via .. " " .. tostring(v)
      }
      return 200 $answer;
    }
  }
}
]]

local function start_nginx()
  local dir = shell.private_dir()
  for _, sub in ipairs { "/tmp" } do os.execute("mkdir -p " .. shell.quote(dir .. sub)) end
  local app = { dir = dir, session = core.session { allow_http = true, timeout = 30 } }
  local ok, why = ports.retry(1, function(p)
    local conf = NGINX_CONF:gsub("DIR", dir):gsub("ROOT", ROOT):gsub("PORT", tostring(p[1]))
    local f = assert(io.open(dir .. "/nginx.conf", "w"))
    f:write(conf)
    f:close()
    os.remove(dir .. "/error.log")
    os.remove(dir .. "/nginx.pid")
    local h = assert(io.popen(("nginx -p %s -c %s </dev/null >/dev/null 2>&1 & echo $!")
      :format(shell.quote(dir), shell.quote(dir .. "/nginx.conf"))))
    app.pid = tonumber(h:read("*l"))
    h:close()
    app.url = "http://127.0.0.1:" .. p[1]
    for _ = 1, 250 do   -- ~5 s
      local log = shell.try_read(dir .. "/error.log") or ""
      if ports.lost_race(log) then break end
      if shell.exists(dir .. "/nginx.pid") and app.session:request("GET", app.url .. "/ping", {}) == 200 then
        return true
      end
      core.sleep(0.02)
    end
    os.execute("kill -KILL " .. app.pid .. " 2>/dev/null")
    return nil, shell.try_read(dir .. "/error.log") or "nginx did not start"
  end)
  assert(ok, why)
  function app.get(path, url)
    local status, _, body = app.session:request("GET", app.url .. path .. "?url=" .. url:gsub("[:/]", function(c)
      return ("%%%02X"):format(c:byte())
    end), {})
    assert.equal(200, status, body)
    return body
  end
  function app.stop()
    os.execute("kill -TERM " .. app.pid .. " 2>/dev/null")
    for _ = 1, 250 do
      if os.execute("kill -0 " .. app.pid .. " 2>/dev/null") ~= true and
        os.execute("kill -0 " .. app.pid .. " 2>/dev/null") ~= 0 then break end
      core.sleep(0.02)
    end
    os.execute("kill -KILL " .. app.pid .. " 2>/dev/null")
    app.session:close()
    shell.remove_tree(dir)
  end
  return app
end

describe("mistapi.redis inside nginx", function()
  local rs, app

  setup(function()
    rs = redis_server.start()
    app = start_nginx()
  end)

  teardown(function()
    if app then app.stop() end
    if rs then rs:stop() end
  end)

  before_each(function()
    rs:restart()
  end)

  local function eval(url)
    return cjson.decode(app.get("/eval", url or rs.url))
  end

  it("uses a cosocket in a content handler, and its replies are the same Lua values", function()
    local out = eval()
    assert.equal("cosocket", out.via)
    assert.same({ "n", "a", 1 }, out.value)
    assert.same({ "n", "a", 2 }, eval().value)
  end)

  it("yields to the event loop while Redis is slow: the worker is never blocked", function()
    rs:pause()
    local out = cjson.decode(app.get("/yields", rs.url))
    rs:resume()
    assert.is_true(out.went_on)
    assert.matches("^redis: ", out.err)
    assert.same({ went_on = true, value = 1 }, cjson.decode(app.get("/yields", rs.url)))
  end)

  it("keeps the connection in a keepalive pool: many requests, one connection", function()
    eval()
    local before = connections_received(rs)   -- this probe's own connection counts too
    for _ = 1, 5 do eval() end
    assert.equal(before + 1, connections_received(rs))
  end)

  it("the Redis budget gives its connection back to the pool: many takes, one connection", function()
    assert.equal("0\n", app.get("/take", rs.url))
    local before = connections_received(rs)   -- this probe's own connection counts too
    for _ = 1, 5 do assert.equal("0\n", app.get("/take", rs.url)) end
    assert.equal(before + 1, connections_received(rs))
  end)

  it("replaces a pooled connection that Redis closed by restarting, and the script is loaded again", function()
    assert.same({ "n", "a", 1 }, eval().value)
    rs:restart()
    local out = eval()
    assert.is_nil(out.err)
    assert.same({ "n", "a", 1 }, out.value)
  end)

  it("pools per database: a pooled connection on /0 never serves /2", function()
    eval(rs.url .. "/0")
    assert.same({ "n", "a", 1 }, eval(rs.url .. "/2").value)
    assert.equal("1", rs:command { "GET", "n" })   -- db 0: its own count
    assert.equal("1", redis.connect(rs.url .. "/2"):command { "GET", "n" })
  end)

  it("answers nil, \"redis: ...\" while Redis is down", function()
    rs:halt()
    local out = eval()
    assert.equal(("redis: cannot connect to 127.0.0.1:%d: connection refused"):format(rs.port), out.err)
  end)

  it("never pools a connection whose answer did not come in time: the next conn reads its own answer", function()
    local status, _, body = app.session:request("GET", ("%s/late?pid=%d&url=%s"):format(app.url, rs.pid,
      rs.url:gsub("[:/]", function(c) return ("%%%02X"):format(c:byte()) end)), {})
    assert.equal(200, status, body)
    local out = cjson.decode(body)
    assert.is_nil(out.first)
    assert.equal("redis: no answer in time", out.err)
    assert.equal("second", out.second)
  end)

  it("uses the blocking client where nginx has no cosockets (set_by_lua)", function()
    assert.equal("hiredis from set", app.get("/set_phase", rs.url))
  end)
end)
