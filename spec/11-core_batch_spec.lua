-- mistapi.core sessions: session:batch over curl_multi, against a local nginx.
local core = require "mistapi.core"
local static = require "support.static_nginx"

-- The distinct nginx connection numbers that served lines matching pattern.
local function connections(log, pattern)
  local seen, n = {}, 0
  for line in log:gmatch("[^\n]+") do
    local c = line:find(pattern) and line:match("conn=(%d+)")
    if c and not seen[c] then
      seen[c] = true
      n = n + 1
    end
  end
  return n
end

describe("session:batch", function()
  local srv, http

  setup(function()
    srv = static.start()
    http = core.session { allow_http = true, timeout = 5 }
  end)

  teardown(function()
    if http then http:close() end
    if srv then srv:stop() end
  end)

  it("runs 20 requests at concurrency 8, results in input order", function()
    local reqs = {}
    for i = 1, 20 do
      reqs[i] = { method = "POST", url = srv.url .. "/echo?n=" .. i, body = "item-" .. i,
        headers = { ["X-Custom"] = "c" .. i } }
    end
    local results = http:batch(reqs, 8)
    assert.equals(20, #results)
    for i = 1, 20 do
      assert.is_nil(results[i].err)
      assert.equals(200, results[i].status)
      assert.equals("item-" .. i, results[i].body)
      assert.equals("c" .. i, results[i].headers["x-echo-custom"])
    end
  end)

  it("gives each failing item its own error and leaves the others alone", function()
    local s = core.session { allow_http = true, timeout = 0.5 }
    local results = s:batch({
      { "GET", srv.url .. "/multi" },
      { "GET", "http://127.0.0.1:1/refused" },
      { "GET", srv.url .. "/missing" },
      { "GET", srv.url .. "/slow" },
      { "PUT", srv.url .. "/echo", nil, "last" },
    }, 3)
    s:close()
    assert.equals(5, #results)
    assert.equals(200, results[1].status)
    assert.equals("one, two, three", results[1].headers["x-multi"])
    assert.equals("transport", results[2].err.kind)
    assert.equals(7, results[2].err.code)
    assert.is_false(results[2].err.reached)
    assert.is_nil(results[2].status)
    assert.equals(404, results[3].status)
    assert.equals("timeout", results[4].err.kind)
    assert.is_true(results[4].err.reached)
    assert.equals("PUT", results[5].headers["x-echo-method"])
    assert.equals("last", results[5].body)
  end)

  it("accepts named and positional request fields, and an empty list", function()
    local results = http:batch({
      { method = "DELETE", url = srv.url .. "/echo" },
      { "POST", srv.url .. "/echo", { ["Content-Type"] = "application/json" }, "{}" },
    }, 2)
    assert.equals("DELETE", results[1].headers["x-echo-method"])
    assert.equals("application/json", results[2].headers["x-echo-content-type"])
    assert.equals("{}", results[2].body)
    assert.same({}, http:batch({}, 4))
  end)

  it("asks ready(i) just before each request starts: its headers go out, false leaves it unsent", function()
    local reqs = {}
    for i = 1, 6 do reqs[i] = { method = "POST", url = srv.url .. "/echo?ready=" .. i, body = "b" .. i } end
    local asked, told, started = {}, {}, 0
    local results
    results = http:batch(reqs, 2, function(i)
      asked[#asked + 1] = i
      -- asked when a slot is free: at most one other transfer under way (concurrency 2)
      assert.is_true(started - #told <= 1)
      if i % 3 == 0 then return false end
      started = started + 1
      return { ["X-Custom"] = "r" .. i }
    end, function(i, result)
      told[#told + 1] = i
      assert.equals(results, nil)   -- heard of while the batch runs
      assert.equals(200, result.status)
    end)
    assert.same({ 1, 2, 3, 4, 5, 6 }, asked)
    table.sort(told)
    assert.same({ 1, 2, 4, 5 }, told)
    for i = 1, 6 do
      if i % 3 == 0 then
        assert.same({ skipped = true }, results[i])
      else
        assert.equals("r" .. i, results[i].headers["x-echo-custom"])
      end
    end
    local log = srv:log_after("ready=5")
    assert.is_nil(log:find("ready=3", 1, true))
    assert.is_nil(log:find("ready=6", 1, true))
  end)

  it("a ready or done that raises ends the batch with its error, and the session carries on", function()
    local reqs = { { "GET", srv.url .. "/ping?r=1" }, { "GET", srv.url .. "/ping?r=2" } }
    assert.has_error(function() http:batch(reqs, 1, function() error("no room", 0) end) end, "no room")
    assert.has_error(function() http:batch(reqs, 1, nil, function() error("told", 0) end) end, "told")
    assert.has_error(function() http:batch(reqs, 1, function() return { [1] = "x" } end) end)
    assert.has_error(function() http:batch(reqs, 1, "ready") end)
    assert.has_error(function() http:batch(reqs, 1, nil, 42) end)
    assert.equals(200, http:batch(reqs, 2)[2].status)
  end)

  it("reuses pooled handles and their connections across batches", function()
    local function run(tag)
      local reqs = {}
      for i = 1, 6 do
        reqs[i] = { "GET", srv.url .. "/ping?pool=" .. tag .. i }
      end
      for _, r in ipairs(http:batch(reqs, 2)) do
        assert.equals(200, r.status)
      end
    end
    run("a")
    run("b")
    local log = srv:log_after("pool=b6")
    assert.is_truthy(log:find("pool=b6", 1, true))
    assert.is_true(connections(log, "/ping%?pool=") <= 2)
  end)

  it("runs over TLS with the session's CA", function()
    local s = core.session { ca_file = srv.ca }
    local reqs = {}
    for i = 1, 10 do
      reqs[i] = { "POST", srv.tls_url .. "/echo", nil, "tls-" .. i }
    end
    local results = s:batch(reqs, 5)
    s:close()
    for i = 1, 10 do
      assert.equals("tls-" .. i, results[i].body)
    end
  end)

  it("keeps secrets out of each item's error", function()
    local results = http:batch({
      { "GET", "http://user:batchpassw0rd@127.0.0.1:1/", { Authorization = "Token batch-secret-key" } },
    }, 1)
    local msg = results[1].err.message
    assert.is_nil(msg:find("batchpassw0rd", 1, true))
    assert.is_nil(msg:find("batch-secret-key", 1, true))
  end)

  describe("misuse raises before anything is sent", function()
    it("on a bad concurrency, list or item", function()
      local good = { "GET", srv.url .. "/ping?never-sent" }
      assert.has_error(function() http:batch({ good }, 0) end)
      assert.has_error(function() http:batch("list", 1) end)
      local ok, err = pcall(http.batch, http, { good, "nope" }, 2)
      assert.is_false(ok)
      assert.matches("requests%[2%]", err)
      ok, err = pcall(http.batch, http, { good, { "TRACE", srv.url } }, 2)
      assert.is_false(ok)
      assert.matches("requests%[2%]%.method", err)
      ok, err = pcall(http.batch, http, { good, { "GET", srv.url, { ["X-A"] = "a\nb" } } }, 2)
      assert.is_false(ok)
      assert.matches("requests%[2%]%.headers", err)
      ok = pcall(http.batch, http, { good, { "GET", srv.url, nil, 42 } }, 2)
      assert.is_false(ok)
      assert.is_nil(srv:settled_log(http):find("never-sent", 1, true))
    end)
  end)
end)

describe("session:batch against the emulator", function()
  local emu = require "support.emulator"
  local e, s

  setup(function()
    e = emu.start()
    s = core.session { allow_http = true, timeout = 10 }
  end)

  teardown(function()
    if s then s:close() end
    if e then e:stop() end
  end)

  it("fetches 20 tokens at concurrency 8 in order; a failing item fails alone", function()
    local ids = e:seed(20)
    local headers = { Authorization = "Token " .. e.token }
    local reqs = {}
    for i, id in ipairs(ids) do
      reqs[i] = { method = "GET", url = e.url .. e:tokens_path(id), headers = headers }
    end
    reqs[7] = { method = "GET", url = "http://127.0.0.1:1/refused", headers = headers }
    local results = s:batch(reqs, 8)
    assert.equals(20, #results)
    for i, id in ipairs(ids) do
      if i == 7 then
        assert.is_false(results[i].err.reached)
      else
        assert.equals(200, results[i].status)
        assert.is_truthy(results[i].body:find(id, 1, true))
      end
    end
  end)
end)
