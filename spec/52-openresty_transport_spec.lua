-- The ngx transport itself, inside nginx: answers framed by Content-Length,
-- chunked or the close, the body cap, timeouts, keep-alive, redirects left
-- alone, batches on light threads, and clear errors where cosockets are off.
-- nginx runs LuaJIT itself, so these run once, in the Lua 5.4 run.
if jit then
  pending("nginx specs run in the Lua 5.4 run only")
  return
end

local cjson = require "cjson"
local emulator = require "support.emulator"
local nginx_app = require "support.nginx_app"

-- A raw HTTP server on @EXTRA_PORT@ that writes exactly the bytes a case names,
-- and /t/* probes on the app's own server that drive the transport.
local EXTRA = [==[
lua_shared_dict spec_results 1m;

init_worker_by_lua_block {
  local T = require "mistapi.transport.ngx"
  local resp, info = T.new { allow_http = true }:request {
    method = "GET", url = "http://127.0.0.1:@EXTRA_PORT@/raw?case=length", headers = {} }
  ngx.shared.spec_results:set("init_worker", require("cjson").encode { resp = resp ~= nil, err = info })
}

server {
  listen 127.0.0.1:@EXTRA_PORT@;
  location = /raw {
    content_by_lua_block {
      local RAW = {
        length = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nx-a: 2\r\nX-Folded: one\r\n two\r\n\r\nhello",
        chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
          .. "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
        chunked_plain = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        close = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the close",
        continue = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
        big_length = "HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n" .. string.rep("x", 200),
        big_chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
          .. "64\r\n" .. string.rep("x", 100) .. "\r\n64\r\n" .. string.rep("y", 100) .. "\r\n0\r\n\r\n",
        big_close = "HTTP/1.1 200 OK\r\n\r\n" .. string.rep("z", 200),
        truncated = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
        garbage = "SPDY/9 what\r\n\r\n",
        bad_chunk = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        redirect = "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\n\r\n",
        stall = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
        trickle = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        repeated = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" .. ("X-Rep: v1234\r\n"):rep(4000) .. "\r\nok",
      }
      local case = ngx.var.arg_case
      local sock = assert(ngx.req.socket(true))
      sock:send(RAW[case] or "HTTP/1.1 500 No Case\r\nContent-Length: 0\r\n\r\n")
      if case == "stall" then ngx.sleep(3) end
      if case == "trickle" then
        -- a byte every 50 ms: no single read waits long, only the whole attempt does
        for _ = 1, 60 do
          if not sock:send("1\r\nx\r\n") then break end
          ngx.sleep(0.05)
        end
        sock:send("0\r\n\r\n")
      end
    }
  }
  # Counts the requests of a round in flight at once (its most ever), and
  # holds each until `want` were in flight together, for at most `wait` s:
  # a barrier that parallel requests pass at once and serial ones never fill.
  location = /gather {
    content_by_lua_block {
      local d = ngx.shared.spec_results
      local a = ngx.req.get_uri_args()
      local key = "gather:" .. a.round
      local n = d:incr(key, 1, 0)
      if n > (d:get(key .. ":most") or 0) then d:set(key .. ":most", n) end
      local want, tries = tonumber(a.want), math.ceil(tonumber(a.wait) / 0.02)
      for _ = 1, tries do
        if d:get(key .. ":most") >= want then break end
        ngx.sleep(0.02)
      end
      d:incr(key, -1)
      ngx.header["Content-Type"] = "application/json"
      ngx.print(require("cjson").encode { i = tonumber(a.i), most = d:get(key .. ":most"),
                                          connection = tonumber(ngx.var.connection) })
    }
  }
  # What arrived: method, target, some headers, the body's length.
  location = /echo {
    content_by_lua_block {
      ngx.req.read_body()
      local body = ngx.req.get_body_data() or ""
      local h = ngx.req.get_headers()
      ngx.header["Content-Type"] = "application/json"
      ngx.print(require("cjson").encode {
        method = ngx.req.get_method(), uri = ngx.var.request_uri, host = h.host, ua = h["user-agent"],
        content_length = h["content-length"], body = body, custom = h["x-custom"],
        connection = tonumber(ngx.var.connection),
      })
    }
  }
}
]==]

-- Probes on the example server: run the transport with the query's options.
local PROBES = [==[
server {
  listen 127.0.0.1:@EXTRA_PORT_2@;
  location = /t/request {
    content_by_lua_block {
      local T = require "mistapi.transport.ngx"
      local a = ngx.req.get_uri_args()
      local t, why = T.new { allow_http = a.allow_http ~= "0", timeout = tonumber(a.timeout) or 5,
                        connect_timeout = tonumber(a.connect_timeout) or 5, max_body = tonumber(a.max_body),
                        ca_file = a.ca_file, ca_path = a.ca_path, proxy = a.proxy, base_url = a.base_url,
                        user_agent = a.ua,
                        keepalive_timeout = tonumber(a.keepalive_timeout) }
      if not t then
        ngx.print(require("cjson").encode { { new_error = why } })
        return
      end
      -- fault: an emulator fault for this request alone (X-Emu-Fault)
      local headers = { ["X-Custom"] = a.custom or "yes", ["X-Emu-Fault"] = a.fault }
      local out = {}
      -- gc=stop: the heap's growth over the requests, garbage included
      if a.gc == "stop" then collectgarbage("collect"); collectgarbage("stop") end
      local heap0 = collectgarbage("count")
      for i = 1, tonumber(a.times) or 1 do
        if i > 1 and a.pause then ngx.sleep(tonumber(a.pause)) end
        ngx.update_time()
        local t0 = ngx.now()
        local resp, info = t:request { method = a.method or "GET", url = a.url, headers = headers, body = a.body }
        out[i] = resp and { status = resp.status, headers = resp.headers, body = resp.body } or { err = info }
        ngx.update_time()
        out[i].elapsed = ngx.now() - t0
      end
      out[1].heap_growth = (collectgarbage("count") - heap0) * 1024
      collectgarbage("restart")
      ngx.header["Content-Type"] = "application/json"
      ngx.print(require("cjson").encode(out))
    }
  }
  location = /t/batch {
    content_by_lua_block {
      local T = require "mistapi.transport.ngx"
      local cjson = require "cjson"
      local a = ngx.req.get_uri_args()
      local reqs = cjson.decode(a.reqs)
      local t = assert(T.new { allow_http = true, timeout = tonumber(a.timeout) or 5,
                               pool_size = tonumber(a.pool_size) })
      local asked, told, ready, done = {}, {}, nil, nil
      if a.skip then
        -- ready(i) refuses item `skip`; done(i) is heard of as each ends
        ready = function(i)
          asked[#asked + 1] = i
          return i ~= tonumber(a.skip) and { ["X-Ready"] = tostring(i) }
        end
        done = function(i, r) told[#told + 1] = { i, r.status } end
      end
      local results = t:batch(reqs, tonumber(a.concurrency), ready, done)
      ngx.header["Content-Type"] = "application/json"
      ngx.print(cjson.encode { results = results, asked = asked, told = told })
    }
  }
  location = /t/client {
    content_by_lua_block {
      local mistapi = require "mistapi"
      local a = ngx.req.get_uri_args()
      local c, err = mistapi.new { base_url = a.base, token = a.token, max_retries = 0,
                                   ca_file = a.ca_file, ca_path = a.ca_path, proxy = a.proxy }
      ngx.print(c and tostring(c) or ("refused: " .. err.kind .. ": " .. err.message))
    }
  }
  location = /t/log_phase {
    content_by_lua_block { ngx.print("logged later") }
    log_by_lua_block {
      local mistapi = require "mistapi"
      local c = assert(mistapi.new { base_url = ngx.unescape_uri(ngx.var.arg_base),
                                     token = ngx.unescape_uri(ngx.var.arg_token) })
      local t0 = ngx.now()
      local res, err = c:orgs_api_tokens():list_org_api_tokens(ngx.var.arg_org)
      ngx.update_time()
      ngx.shared.spec_results:set("log", require("cjson").encode {
        res = res ~= nil, kind = err and err.kind, message = err and err.message, attempts = err and err.attempts,
        elapsed = ngx.now() - t0 })
    }
  }
  location = /t/set_phase {
    set_by_lua_block $outcome {
      local T = require "mistapi.transport.ngx"
      local _, info = T.new { allow_http = true }:request {
        method = "GET", url = ngx.unescape_uri(ngx.var.arg_url), headers = {} }
      return info and info.message or "no error"
    }
    return 200 $outcome;
  }
  location = /t/result {
    content_by_lua_block { ngx.print(ngx.shared.spec_results:get(ngx.var.arg_key) or "null") }
  }
  # What this worker maps once it has made a call and decoded its answer.
  location = /t/maps {
    content_by_lua_block {
      local mistapi = require "mistapi"
      local a = ngx.req.get_uri_args()
      local c = assert(mistapi.new { base_url = a.base, token = ngx.req.get_headers()["x-token"], max_retries = 0 })
      local res, err = c:orgs_api_tokens():list_org_api_tokens(a.org)
      local f = assert(io.open("/proc/" .. ngx.worker.pid() .. "/maps", "rb"))
      local maps = f:read("*a")
      f:close()
      ngx.print(require("cjson").encode { listed = res ~= nil, err = err and tostring(err),
        core = package.loaded["mistapi.core"] ~= nil and maps:find("/mistapi/core.so", 1, true) ~= nil,
        libcurl = maps:match("[^\n/]*libcurl[^\n]*") or false })
    }
  }
  location = /t/log_hook {
    content_by_lua_block {
      local mistapi = require "mistapi"
      local a = ngx.req.get_uri_args()
      local hook = require("mistapi.transport.ngx_log").hook { level = ngx.NOTICE, failure_level = ngx.ERR }
      -- the token comes in a header: nginx adds the request line to each line it logs
      local token = ngx.req.get_headers()["x-token"]
      local c = assert(mistapi.new { base_url = a.base, token = token, max_retries = 0, log = hook, budget = a.budget })
      local res = c:orgs_api_tokens():list_org_api_tokens(a.org)
      local dead = assert(mistapi.new { base_url = a.dead, token = token, max_retries = 0, log = hook })
      local _, err = dead:orgs_api_tokens():list_org_api_tokens(a.org)
      ngx.print(res and "listed" or "not listed", ", ", err and err.kind or "no error")
    }
  }
}

# The same port, by name: a call from server_rewrite_by_lua, answered by the content phase.
server {
  listen 127.0.0.1:@EXTRA_PORT_2@;
  server_name server-rewrite.test;
  server_rewrite_by_lua_block {
    local T = require "mistapi.transport.ngx"
    local resp, info = assert(T.new { allow_http = true, timeout = 5 }):request {
      method = "GET", url = ngx.unescape_uri(ngx.var.arg_url), headers = {} }
    ngx.ctx.outcome = resp and ("status " .. resp.status .. ": " .. resp.body) or info.message
  }
  location / { content_by_lua_block { ngx.print(ngx.ctx.outcome) } }
}
]==]

local function escape(s)
  return (s:gsub("[^%w%-_.~]", function(c) return ("%%%02X"):format(c:byte()) end))
end

describe("the ngx transport in nginx", function()
  local app, raw, probe_port, e

  setup(function()
    -- a resolver that never answers, given little time: lookups fail fast
    app = nginx_app.start { extra = EXTRA .. PROBES, resolver = "127.0.0.1:9", resolver_timeout = "500ms" }
    probe_port = app.extra_ports[2]
    raw = app.extra_url
    e = emulator.start()
  end)

  teardown(function()
    if app then app:stop() end
    if e then e:stop() end
  end)

  local function probe(path)
    local status, headers, body = app.session:request("GET", "http://127.0.0.1:" .. probe_port .. path, {}, nil)
    assert(status, headers and headers.message)
    return status, body
  end

  -- The transport's outcomes for `url`, `opts` as query options.
  local function run(url, opts)
    local q = { "url=" .. escape(url) }
    for k, v in pairs(opts or {}) do q[#q + 1] = k .. "=" .. escape(tostring(v)) end
    local status, body = probe("/t/request?" .. table.concat(q, "&"))
    assert.equal(200, status)
    return cjson.decode(body)
  end

  local function one(url, opts)
    return run(url, opts)[1]
  end

  describe("framing", function()
    it("reads a Content-Length answer, joins repeated headers, unfolds folded ones", function()
      local r = one(raw .. "/raw?case=length")
      assert.equal(200, r.status)
      assert.equal("hello", r.body)
      assert.equal("1, 2", r.headers["x-a"])
      assert.equal("one two", r.headers["x-folded"])
    end)

    it("reads a chunked answer with extensions and trailers", function()
      local r = one(raw .. "/raw?case=chunked")
      assert.equal(200, r.status)
      assert.equal("hello world", r.body)
    end)

    it("reads a chunked answer without trailers", function()
      assert.equal("abc", one(raw .. "/raw?case=chunked_plain").body)
    end)

    it("reads an answer that ends with the connection", function()
      assert.equal("until the close", one(raw .. "/raw?case=close").body)
    end)

    it("skips an interim 100 answer", function()
      local r = one(raw .. "/raw?case=continue")
      assert.equal(201, r.status)
      assert.equal("ok", r.body)
    end)

    it("returns a redirect as it is, without following it", function()
      local r = one(raw .. "/raw?case=redirect")
      assert.equal(302, r.status)
      assert.equal("http://127.0.0.1:1/elsewhere", r.headers.location)
    end)

    it("sends the method, target, Host, User-Agent, headers and body", function()
      local r = one(raw .. "/echo?a=1&b=two", { method = "POST", body = '{"name":"x"}', custom = "hi there" })
      assert.equal(200, r.status)
      local echo = cjson.decode(r.body)
      assert.equal("POST", echo.method)
      assert.equal("/echo?a=1&b=two", echo.uri)
      assert.equal("127.0.0.1:" .. app.extra_port, echo.host)
      assert.matches("^mistapi%-lua/[%d.]+ ngx_lua/", echo.ua)
      assert.equal("12", echo.content_length)
      assert.equal('{"name":"x"}', echo.body)
      assert.equal("hi there", echo.custom)
    end)

    it("refuses a header value that would break the request's framing", function()
      local r = one(raw .. "/echo", { custom = "a\r\nInjected: yes" })
      assert.equal("transport", r.err.kind)
      assert.is_false(r.err.reached)
      assert.matches("X%-Custom has a forbidden character", r.err.message)
      assert.is_nil(r.err.message:find("Injected", 1, true))
    end)
  end)

  describe("hostile answers and targets", function()
    it("joins a header repeated 4000 times in memory linear in its size", function()
      local r = one(raw .. "/raw?case=repeated", { gc = "stop" })
      assert.equal(200, r.status)
      assert.equal(4000 * 7 - 2, #r.headers["x-rep"])
      -- joining onto the growing value at each repeat made ~100 MB of garbage
      assert.is_true(r.heap_growth < 1048576 + 16 * 4000 * 14, ("heap grew by %d bytes"):format(r.heap_growth))
    end)

    for name, tail in pairs { ["CR LF"] = "/echo HTTP/1.1\r\nX-Injected: yes\r\n\r\nDELETE /x",
                              ["a NUL"] = "/echo\0", ["a space"] = "/echo x", ["a tab"] = "/echo\tx",
                              ["DEL"] = "/echo\127" } do
      it("never sends a request target holding " .. name, function()
        local r = one(raw .. tail, { base_url = raw })
        assert.equal("transport", r.err.kind)
        assert.is_false(r.err.reached)
        assert.truthy(r.err.message:find("not sent", 1, true), r.err.message)
      end)
    end

    it("never sends a request off the client's base URL", function()
      local r = one("http://127.0.0.1:" .. probe_port .. "/t/result?key=x", { base_url = raw })
      assert.is_false(r.err.reached)
      assert.truthy(r.err.message:find("base URL", 1, true), r.err.message)
      assert.equal(200, one(raw .. "/echo", { base_url = raw }).status)
    end)

    it("refuses a user_agent that would add headers", function()
      local r = one(raw .. "/echo", { ua = "ua\r\nX-Injected: yes" })
      assert.is_false(r.err.reached)
      assert.truthy(r.err.message:find("user_agent", 1, true), r.err.message)
    end)
  end)

  describe("failures", function()
    for _, case in ipairs { "big_length", "big_chunked", "big_close" } do
      it("caps the body at max_body: " .. case, function()
        local r = one(raw .. "/raw?case=" .. case, { max_body = 150 })
        assert.equal("transport", r.err.kind)
        assert.equal("response body exceeds max_body (150 bytes)", r.err.message)
        assert.is_true(r.err.reached)
      end)
    end

    it("takes a body exactly at max_body", function()
      assert.equal(200, #one(raw .. "/raw?case=big_chunked", { max_body = 200 }).body)
    end)

    it("reports a body cut short, with what arrived", function()
      local r = one(raw .. "/raw?case=truncated")
      assert.equal("transport", r.err.kind)
      assert.is_true(r.err.reached)
      assert.equal("abc", r.err.body)
    end)

    it("reports an answer that is not HTTP", function()
      local r = one(raw .. "/raw?case=garbage")
      assert.equal("transport", r.err.kind)
      assert.matches("malformed status line", r.err.message)
    end)

    it("reports a malformed chunk size", function()
      local r = one(raw .. "/raw?case=bad_chunk")
      assert.equal("transport", r.err.kind)
      assert.matches("malformed chunk size", r.err.message)
    end)

    it("times out a stalled answer as kind timeout, after reaching the server", function()
      local r = one(raw .. "/raw?case=stall", { timeout = 0.3 })
      assert.equal("timeout", r.err.kind)
      assert.is_true(r.err.reached)
    end)

    it("bounds the whole attempt by timeout, even when bytes keep coming", function()
      local r = one(raw .. "/raw?case=trickle", { timeout = 0.5 })
      assert.equal("timeout", r.err.kind)
      assert.is_true(r.err.reached)
      assert.matches("^x+$", r.err.body)
    end)

    it("reports a refused connection with reached = false", function()
      local dead = nginx_app.free_port()
      local r = one("http://127.0.0.1:" .. dead .. "/")
      assert.equal("transport", r.err.kind)
      assert.is_false(r.err.reached)
      assert.matches("connect to 127.0.0.1:" .. dead .. " failed", r.err.message, 1, true)
    end)

    it("asks for a resolver when nginx can't resolve a name", function()
      local r = one("https://api.mist.example/")
      assert.is_false(r.err.reached)
      assert.matches("resolver", r.err.message, 1, true)
    end)

    it("refuses plain http unless the client allows it", function()
      local r = one(raw .. "/echo", { allow_http = 0 })
      assert.equal("transport", r.err.kind)
      assert.is_false(r.err.reached)
      assert.matches("plain http", r.err.message, 1, true)
    end)

    it("refuses a proxy, which it can't use, when it is made", function()
      local r = one(raw .. "/echo", { proxy = "http://127.0.0.1:3128" })
      assert.matches("proxy", r.new_error, 1, true)
    end)

    it("refuses ca_file and ca_path when the client is made, naming lua_ssl_trusted_certificate", function()
      for _, name in ipairs { "ca_file", "ca_path" } do
        local r = one(raw .. "/echo", { [name] = "/nonexistent" })
        assert.is_nil(r.status, name .. " was accepted and ignored")
        assert.matches(name .. ": the ngx transport can't use a CA of its own", r.new_error, 1, true)
        assert.matches("lua_ssl_trusted_certificate", r.new_error, 1, true)
        -- the client, too: a validation error from new(), not a client that trusts something else
        local _, body = probe("/t/client?base=" .. escape(e.url) .. "&token=" .. escape(e.token)
          .. "&" .. name .. "=%2Fnonexistent")
        assert.matches("^refused: validation: " .. name .. ": ", body)
        assert.matches("lua_ssl_trusted_certificate", body, 1, true)
      end
    end)

    it("cuts an answer that trickles in at timeout, though every read gets a byte in time", function()
      -- the emulator sends a byte every 200 ms for 30 s; nginx restarts a read's
      -- timer on each byte, so only a deadline over the whole attempt ends it
      local fault = cjson.encode { kind = "trickle", endless = true, interval_ms = 200, max_ms = 30000,
                                  content_length = 100000 }
      local r = one(e.url .. "/api/v1/self", { timeout = 1, fault = fault })
      assert.is_table(r.err, "answered: " .. tostring(r.status))
      assert.equal("timeout", r.err.kind, r.err.message)
      assert.is_true(r.err.reached)
      assert.matches("^ *$", r.err.body)
      -- far below the trickle's 30 s; no tighter bound: the machine may be slow
      assert.is_true(r.elapsed < 10, ("took %.1f s"):format(r.elapsed))
    end)
  end)

  -- two GETs of a /gather round that each wait (bounded) for the other
  local function gathers_for_pool(pool_size, round)
    local tag = ("pool%d-%d-%s"):format(pool_size, round, tostring({}):match("%x+$"))
    local reqs = {}
    for i = 1, 2 do
      reqs[i] = { method = "GET", headers = {}, url = ("%s/gather?round=%s&want=2&wait=10&i=%d"):format(raw, tag, i) }
    end
    return reqs
  end

  describe("connections", function()
    it("keeps a connection alive between requests to the same server", function()
      local list = run(raw .. "/echo", { times = 3 })
      local first = cjson.decode(list[1].body).connection
      assert.equal(first, cjson.decode(list[2].body).connection)
      assert.equal(first, cjson.decode(list[3].body).connection)
    end)

    it("copes with pooled connections the server has since closed", function()
      -- no Connection: close, but the raw server hangs up after each answer
      local list = run(raw .. "/raw?case=length", { times = 3 })
      for i = 1, 3 do assert.equal("hello", list[i].body) end
    end)

    it("sends each create (POST) on a new connection, so a dead pooled one can't make it go twice", function()
      local list = run(raw .. "/echo", { times = 3, method = "POST", body = "{}" })
      local seen = {}
      for i = 1, 3 do
        local c = cjson.decode(list[i].body).connection
        assert.is_nil(seen[c])
        seen[c] = true
      end
      local gets = run(raw .. "/echo", { times = 2 })
      assert.equal(cjson.decode(gets[1].body).connection, cjson.decode(gets[2].body).connection)
    end)

    it("closes a pooled connection after keepalive_timeout idle seconds", function()
      -- idle 1 s in a pool that keeps connections 0.1 s: the second request needs a new one
      local list = run(raw .. "/echo", { times = 2, pause = 1, keepalive_timeout = 0.1 })
      assert.are_not.equal(cjson.decode(list[1].body).connection, cjson.decode(list[2].body).connection)
    end)

    it("keeps at most pool_size idle connections", function()
      -- two rounds of two requests in flight at once: a pool of 1 keeps one
      -- connection of the first round for the second, a pool of 2 both
      local function connections(pool_size)
        local seen = {}
        for round = 1, 2 do
          local reqs = gathers_for_pool(pool_size, round)
          local status, body = probe("/t/batch?concurrency=2&timeout=15&pool_size=" .. pool_size
            .. "&reqs=" .. escape(cjson.encode(reqs)))
          assert.equal(200, status)
          local doc = cjson.decode(body)
          seen[round] = {}
          for i = 1, 2 do
            assert.equal(2, cjson.decode(doc.results[i].body).most, "the two were not in flight together")
            seen[round][cjson.decode(doc.results[i].body).connection] = true
          end
        end
        local kept = 0
        for c in pairs(seen[2]) do if seen[1][c] then kept = kept + 1 end end
        return kept
      end
      assert.equal(1, connections(1))
      assert.equal(2, connections(2))
    end)

    it("does not reuse a connection the server closes", function()
      local list = run(raw .. "/raw?case=close", { times = 2 })
      assert.equal("until the close", list[1].body)
      assert.equal("until the close", list[2].body)
    end)
  end)

  describe("batch", function()
    -- n GETs of one round of /gather, each waiting (bounded) for `want` at once
    local rounds = 0
    local function gathers(n, want, wait)
      rounds = rounds + 1
      local round = rounds .. "-" .. tostring({}):match("%x+$")
      local reqs = {}
      for i = 1, n do
        reqs[i] = { method = "GET", headers = {},
          url = ("%s/gather?round=%s&want=%d&wait=%s&i=%d"):format(raw, round, want, wait, i) }
      end
      return reqs
    end

    it("runs 8 requests side by side, results in input order", function()
      -- all 8 must be in flight at once to pass the barrier; a batch that ran
      -- fewer at a time would leave each waiting out its 20 s, then time out
      local reqs = gathers(8, 8, 20)
      local status, body = probe("/t/batch?concurrency=8&timeout=15&reqs=" .. escape(cjson.encode(reqs)))
      assert.equal(200, status)
      local doc = cjson.decode(body)
      assert.equal(8, #doc.results)
      for i = 1, 8 do
        assert.equal(200, doc.results[i].status, doc.results[i].err and doc.results[i].err.message)
        local got = cjson.decode(doc.results[i].body)
        assert.equal(i, got.i)
        assert.equal(8, got.most)
      end
    end)

    it("keeps at most `concurrency` requests in flight", function()
      -- each waits (up to 0.5 s) for a second one beside it, which never comes
      local reqs = gathers(4, 2, 0.5)
      local status, body = probe("/t/batch?concurrency=1&timeout=30&reqs=" .. escape(cjson.encode(reqs)))
      assert.equal(200, status)
      local doc = cjson.decode(body)
      for i = 1, 4 do
        assert.equal(200, doc.results[i].status)
        assert.equal(1, cjson.decode(doc.results[i].body).most, "two requests in flight at once")
      end
    end)

    it("asks ready(i) just before each request: false leaves it unsent; done hears of each sent one", function()
      local reqs = gathers(3, 1, 0)
      local status, body = probe("/t/batch?concurrency=1&skip=2&reqs=" .. escape(cjson.encode(reqs)))
      assert.equal(200, status)
      local doc = cjson.decode(body)
      assert.same({ 1, 2, 3 }, doc.asked)
      assert.same({ { 1, 200 }, { 3, 200 } }, doc.told)
      assert.same({ skipped = true }, doc.results[2])
      assert.equal(3, cjson.decode(doc.results[3].body).i)
    end)

    it("gives each failure its own slot", function()
      local reqs = {
        { method = "GET", url = raw .. "/raw?case=length", headers = {} },
        { method = "GET", url = raw .. "/raw?case=garbage", headers = {} },
        { method = "GET", url = raw .. "/raw?case=chunked", headers = {} },
      }
      local _, body = probe("/t/batch?concurrency=2&reqs=" .. escape(cjson.encode(reqs)))
      local doc = cjson.decode(body)
      assert.equal("hello", doc.results[1].body)
      assert.equal("transport", doc.results[2].err.kind)
      assert.equal("hello world", doc.results[3].body)
    end)
  end)

  describe("libcurl", function()
    it("is never mapped by a worker that calls the API on cosockets and decodes with the core", function()
      local _, _, body = app.session:request("GET", "http://127.0.0.1:" .. probe_port .. "/t/maps?base="
        .. escape(e.url) .. "&org=" .. e.org_id, { ["X-Token"] = e.token }, nil)
      local doc = cjson.decode(body)
      assert.is_true(doc.listed, doc.err)
      assert.is_true(doc.core, "the C core is not loaded: the check would prove nothing")
      assert.is_false(doc.libcurl, "mapped: " .. tostring(doc.libcurl))
    end)
  end)

  describe("the ngx_log hook", function()
    it("writes each attempt to nginx's error log at the levels asked, never the token", function()
      local dead = "http://127.0.0.1:" .. nginx_app.free_port()
      -- a shared budget nobody answers for: its warning at the failure level, the call made
      local no_redis = "redis://127.0.0.1:" .. nginx_app.free_port()
      local _, _, body = app.session:request("GET", "http://127.0.0.1:" .. probe_port .. "/t/log_hook?base="
        .. escape(e.url) .. "&org=" .. e.org_id .. "&dead=" .. escape(dead) .. "&budget=" .. escape(no_redis),
        { ["X-Token"] = e.token }, nil)
      assert.equal("listed, transport", body)
      local log = app:error_log()
      local path = "/api/v1/orgs/" .. e.org_id .. "/apitokens"
      assert.truthy(log:find("%[notice%] [^\n]*mistapi: GET " .. path:gsub("%p", "%%%0") .. "[^\n]* %-> 200 in "), log)
      assert.truthy(log:find("%[error%] [^\n]*mistapi: GET " .. path:gsub("%p", "%%%0") .. "[^\n]* %-> transport in "),
        "no failure line")
      assert.truthy(log:find("%[error%] [^\n]*mistapi: budget: " .. no_redis:gsub("%p", "%%%0") .. " failed %(redis: "),
        "no budget warning")
      assert.is_nil(log:find(e.token, 1, true))
    end)
  end)

  describe("phases without cosockets", function()
    it("transport = auto picks ngx inside nginx", function()
      local status, body = probe("/t/client?base=" .. escape(e.url) .. "&token=" .. escape(e.token))
      assert.equal(200, status)
      assert.matches("transport ngx", body, 1, true)
    end)

    it("fails clearly in init_worker", function()
      local _, body = probe("/t/result?key=init_worker")
      local doc = cjson.decode(body)
      assert.is_false(doc.resp)
      assert.equal("transport", doc.err.kind)
      assert.matches('cosockets are not available in the nginx "init_worker" phase', doc.err.message, 1, true)
      assert.matches("ngx.timer.at(0, fn)", doc.err.message, 1, true)
    end)

    it("works in server_rewrite_by_lua, where cosockets are allowed", function()
      local status, _, body = app.session:request("GET", "http://127.0.0.1:" .. probe_port .. "/?url="
        .. escape(raw .. "/raw?case=length"), { Host = "server-rewrite.test" }, nil)
      assert.equal(200, status)
      assert.equal("status 200: hello", body)
    end)

    it("fails clearly in set_by_lua", function()
      local status, body = probe("/t/set_phase?url=" .. escape(raw .. "/raw?case=length"))
      assert.equal(200, status)
      assert.matches('not available in the nginx "set" phase', body, 1, true)
    end)

    it("fails clearly in log_by_lua through the client, without waiting on retries", function()
      local _, body = probe("/t/log_phase?base=" .. escape(e.url) .. "&token=" .. escape(e.token)
        .. "&org=" .. e.org_id)
      assert.equal("logged later", body)
      local doc
      for _ = 1, 500 do   -- the log phase runs after the answer went out (bounded, ~10 s)
        doc = cjson.decode(select(2, probe("/t/result?key=log")))
        if doc ~= cjson.null then break end
        require("mistapi.core").sleep(0.02)
      end
      assert.is_table(doc)
      assert.is_false(doc.res)
      assert.equal("transport", doc.kind)
      assert.matches('not available in the nginx "log" phase', doc.message, 1, true)
      -- the phase won't change between tries: one attempt, no retries
      assert.equal(1, doc.attempts)
    end)
  end)
end)
