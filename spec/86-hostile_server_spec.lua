-- A hostile server and a careless caller, through the public API: an error
-- body that echoes the token megabytes long, a page far past what was asked,
-- `next` links and headers that would split a request or forge a log line,
-- cookies that would poison every later call, an environment proxy that would
-- see the token. Each ends in `nil, err` (or is ignored, for a bad cookie),
-- promptly and without a secret in it; nothing unsafe leaves the client.
-- Servers: the emulator's faults, and spec/support/raw_server.lua.
local emu = require "support.emulator"
local raw = require "support.raw_server"
local fresh_client = require "support.fresh_client"
local shell = require "support.shell"
local mistapi = require "mistapi"
local errors = require "mistapi.errors"
local core = require "mistapi.core"
local cjson = require "cjson"

local ROOT = os.getenv("PWD") or "."

local function no_env() return nil end

-- Every string anywhere in v (tables walked, depth bounded), for "is the
-- secret anywhere in this error?".
local function strings_of(v, out, depth)
  out, depth = out or {}, depth or 0
  if type(v) == "string" then
    out[#out + 1] = v
  elseif type(v) == "table" and depth < 6 then
    for k, x in pairs(v) do
      strings_of(k, out, depth + 1)
      strings_of(x, out, depth + 1)
    end
  end
  return out
end

local function holds(v, secret)
  for _, s in ipairs(strings_of(v)) do
    if s:find(secret, 1, true) then return true end
  end
  return tostring(v):find(secret, 1, true) ~= nil
end

-- Runs fn under a generous bound (seconds) enforced from inside: a count
-- hook raises once the bound has passed, so a quadratic path fails the spec
-- instead of hanging it. Never a small bound: this only tells "ends" from
-- "runs for minutes". -> fn's results, seconds taken
local function within(seconds, fn)
  local t0 = core.now()
  debug.sethook(function()
    if core.now() - t0 > seconds then
      debug.sethook()
      error(("still running after %d s"):format(seconds), 2)
    end
  end, "", 100000)
  local results = table.pack(pcall(fn))
  debug.sethook()
  local took = core.now() - t0
  assert(results[1], results[2])
  return took, table.unpack(results, 2, results.n)
end

describe("a hostile server", function()
  local fresh = fresh_client.new { max_retries = 0 }
  local e, tokens

  setup(function() e = fresh:start() end)
  teardown(function() fresh:stop() end)
  before_each(function() tokens = fresh:renew():orgs_api_tokens() end)

  local function gets_of_list() return #e:requests("GET", "/apitokens") end

  describe("denial of service from an answer", function()
    it("a 4 MiB error body echoing the token: nil, err promptly, the token nowhere in it", function()
      local unit = e.token .. " "
      local times = math.ceil(4 * 1048576 / #unit)
      e:fault { kind = "raw", status = 400, body = unit, ["repeat"] = times,
        headers = { ["Content-Type"] = "text/plain" } }
      local took, res, err = within(20, function()
        return tokens:get_org_api_token(e.org_id, e:seed(1)[1])
      end)
      -- the real time, for the record (make test's log); never asserted small
      print(("\n    4 MiB token-echoing error body: %.3f s"):format(took))
      assert.is_nil(res)
      assert.equal("http", err.kind)
      assert.equal(400, err.status)
      assert.is_false(holds(err, e.token), "the token is nowhere in the error")
      assert.is_true(#err.body <= errors.MAX_ERROR_BODY)
      assert.equal(#unit * times, err.body_size)
      assert.truthy(err.message:find("keeps the first " .. #err.body .. " of the body's", 1, true))
      assert.truthy(err.body:find("[redacted]", 1, true))
      local text = tostring(err)
      assert.is_nil(text:find(e.token, 1, true))
      assert.is_true(#text < 1000)
    end)

    -- One answer of `body` from a raw server; -> the result of fn(client), and
    -- how far the Lua heap grew meanwhile (collector stopped: all of it).
    local function answer_once(body, fn)
      local srv = raw.start { { chunks = { ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" ..
        "Content-Length: %d\r\nConnection: close\r\n\r\n"):format(#body), body } }, lifetime = 60 }
      local c = fresh:client { base_url = srv.url, timeout = 60 }
      collectgarbage("collect")
      collectgarbage("stop")
      local before = collectgarbage("count") * 1024
      local res, err = fn(c)
      local grown = collectgarbage("count") * 1024 - before
      collectgarbage("restart")
      c:close()
      srv:stop()
      return res, err, grown
    end

    it("a 16 MiB page of empty tokens is refused as a decode error, not held", function()
      local body = "[" .. ("{},"):rep(5592404) .. "{}]"
      local res, err, grown = answer_once(body, function(c)
        return c:orgs_api_tokens():list_all_org_api_tokens(e.org_id, { limit = 100 })
      end)
      assert.is_nil(res)
      assert.equal("decode", err.kind)
      assert.truthy(err.message:find("more than the 100 items asked for", 1, true), err.message)
      -- the answer itself (16 MiB), a capped copy on the error, and little more: before, about 2.7 GB
      assert.is_true(grown < 3 * #body, ("the heap grew by %d bytes"):format(grown))
    end)

    it("a 16 MiB generic page of empty arrays passes max_decoded and is refused", function()
      local body = "[" .. ("[],"):rep(5592404) .. "[]]"
      local res, err, grown = answer_once(body, function(c)
        return c:request("GET", "/api/v1/self/anything")
      end)
      assert.is_nil(res)
      assert.equal("decode", err.kind)
      assert.truthy(err.message:find("max_decoded", 1, true), err.message)
      -- the default budget: 4 times the answer and 4 MiB, then refused
      assert.is_true(grown < 6 * #body, ("the heap grew by %d bytes"):format(grown))
    end)

    it("max_decoded is the caller's to set, and refuses a real page past it", function()
      e:seed(20)
      local small = fresh:client { max_decoded = 4096 }
      local res, err = small:orgs_api_tokens():list_all_org_api_tokens(e.org_id)
      small:close()
      assert.is_nil(res)
      assert.equal("decode", err.kind)
      assert.truthy(err.message:find("max_decoded (4096 bytes)", 1, true), err.message)
      for _, bad in ipairs { 0, -1, 1.5, 2 ^ 60 } do
        local c, verr = mistapi.new { base_url = e.url, token = e.token, getenv = no_env, max_decoded = bad }
        assert.is_nil(c)
        assert.equal("validation", verr.kind)
      end
    end)
  end)

  describe("next links and paging headers", function()
    local function next_link(link)
      local _, list = e:api("GET", e:tokens_path())
      e:fault { kind = "raw", body = cjson.encode { results = { list[1] }, next = link }, count = 1,
        method = "GET", path = e:tokens_path(), headers = { ["Content-Type"] = "application/json" } }
      e:clear_log()
    end

    for name, tail in pairs {
      ["CR LF (a second request in the same line)"] = " HTTP/1.1\r\nHost: x\r\n\r\nDELETE /api/v1/x",
      ["an escaped NUL"] = "\0tail",
      ["a space"] = " x",
      ["a tab"] = "\tx",
    } do
      it("a next link holding " .. name .. " is a decode error, never a request", function()
        e:seed(2)
        next_link(e:tokens_path() .. "?page=2" .. tail)
        local seen = {}
        local logging = fresh:client { log = function(entry) seen[#seen + 1] = entry end }
        local ok, res, err = pcall(logging:orgs_api_tokens().list_all_org_api_tokens,
          logging:orgs_api_tokens(), e.org_id)
        logging:close()
        assert.is_true(ok, "no raise")
        assert.is_nil(res)
        assert.equal("decode", err.kind)
        assert.truthy(err.message:find("`next` link", 1, true), err.message)
        assert.equal(1, gets_of_list())
        -- nothing of it forges a line: not the error's text, not the log hook's paths
        assert.is_nil(tostring(err):find("[%c]"))
        for _, entry in ipairs(seen) do assert.is_nil(entry.path:find("[%c]")) end
      end)
    end

    it("a next link to another origin ends the list (as before), with nothing sent there", function()
      e:seed(2)
      next_link("http://192.0.2.1:9/api/v1/steal")
      local res = assert(tokens:list_all_org_api_tokens(e.org_id))
      assert.equal(1, #res.data)
      assert.equal(1, gets_of_list())
    end)

    for _, case in ipairs {
      { "X-Page-Limit", "1e300" }, { "X-Page-Limit", "0" }, { "X-Page-Limit", "100000" },
      { "X-Page-Page", "1e300" }, { "X-Page-Total", "-5" }, { "X-Page-Total", "1e300" },
    } do
      it(("%s: %s is a decode error, not a raise"):format(case[1], case[2]), function()
        local _, list = e:api("GET", e:tokens_path())
        e:seed(1)
        local headers = { ["Content-Type"] = "application/json", ["X-Page-Total"] = "5", ["X-Page-Limit"] = "1",
          ["X-Page-Page"] = "1" }
        headers[case[1]] = case[2]
        e:fault { kind = "raw", body = cjson.encode { list[1] }, count = 1, method = "GET",
          path = e:tokens_path(), headers = headers }
        local ok, res, err = pcall(tokens.list_all_org_api_tokens, tokens, e.org_id)
        assert.is_true(ok, "no raise")
        assert.is_nil(res)
        assert.equal("decode", err.kind)
        assert.truthy(err.message:find("paging headers", 1, true), err.message)
      end)
    end

    it("a page of 1e300 (or past 2^31) is a validation error, never a raise", function()
      for _, page in ipairs { 1e300, 2 ^ 31, math.huge } do
        local ok, res, err = pcall(tokens.list_org_api_tokens, tokens, e.org_id, { page = page })
        assert.is_true(ok, "list: no raise")
        assert.is_nil(res)
        assert.equal("validation", err.kind)
        ok, res, err = pcall(tokens.list_all_org_api_tokens, tokens, e.org_id, { page = page })
        assert.is_true(ok, "list_all: no raise")
        assert.is_nil(res)
        assert.equal("validation", err.kind)
      end
    end)
  end)

  describe("errors keep no session secret", function()
    it("a Set-Cookie on an error answer is not kept in err.headers", function()
      e:fault { kind = "raw", status = 500, body = '{"detail":"down"}',
        headers = { ["Set-Cookie"] = "sessionid=s3ss10nv4lu3; Path=/", ["X-Kept"] = "yes" } }
      local res, err = tokens:get_org_api_token(e.org_id, e:seed(1)[1])
      assert.is_nil(res)
      assert.equal("[redacted]", err.headers["set-cookie"])
      assert.equal("yes", err.headers["x-kept"])
      assert.is_false(holds(err, "s3ss10nv4lu3"))
    end)
  end)

  describe("a create's undecodable answer", function()
    it("is kept whole (the one-time key in it), however long, with the token hidden", function()
      local newkey = "N3wK3y" .. ("k"):rep(60)
      local body = '{"id":"x","key":"' .. newkey .. '","echo":"' .. e.token .. '"' .. (" "):rep(300000)
      e:fault { kind = "raw", status = 200, body = body, method = "POST", path = e:tokens_path(),
        headers = { ["Content-Type"] = "application/json" } }
      local res, err = tokens:create_org_api_token(e.org_id, { name = "n", privileges = {
        { role = "admin", scope = "org" } } })
      assert.is_nil(res)
      assert.equal("decode", err.kind)
      assert.is_nil(err.body_size)
      assert.equal(#body - #e.token + #"[redacted]", #err.body)
      assert.truthy(err.body:find(newkey, 1, true), "the key is never lost")
      assert.is_false(holds(err, e.token), "the token is nowhere in the error")
    end)
  end)

  describe("the CLI", function()
    local SCRIPT = ROOT .. "/bin/mistapi-tokens"

    it("`get` shows a server-sent id with terminal escapes scrubbed", function()
      local id = e:seed(1)[1]
      local _, tok = e:api("GET", e:tokens_path(id))
      tok.id = "\27]0;owned\7\27[2J" .. id .. "\194\155" .. "31m"
      e:fault { kind = "raw", body = cjson.encode(tok), count = 1, method = "GET", path = e:tokens_path(id),
        headers = { ["Content-Type"] = "application/json" } }
      local r = shell.capture(("%s%s get %s"):format(shell.client_env(e), shell.quote(SCRIPT), id))
      assert.equal(0, r.status, r.err)
      assert.is_nil(r.out:find("\27", 1, true), "no ESC on the terminal")
      assert.is_nil(r.out:find("\7", 1, true), "no BEL on the terminal")
      assert.is_nil(r.out:find("\194\155", 1, true), "no C1 CSI on the terminal")
      assert.truthy(r.out:find(id, 1, true))
    end)

    it("`list --page 1e300` is a validation failure, not a traceback or an internal error", function()
      local r = shell.capture(("%s%s list --page 1e300"):format(shell.client_env(e), shell.quote(SCRIPT)))
      assert.is_true(r.status ~= 0)
      assert.is_nil((r.out .. r.err):find("traceback", 1, true), r.err)
      assert.is_nil(r.err:find("internal error", 1, true), r.err)
      assert.truthy(r.err:find("invalid argument: page:", 1, true), r.err)
    end)
  end)
end)

describe("a careless caller", function()
  local e

  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)

  it("a user_agent (or proxy) with CR, LF or another control character is a validation error", function()
    for _, opt in ipairs { { user_agent = "ua\r\nX-Injected: 1" }, { user_agent = "ua\0x" },
                           { user_agent = "ua\nx" }, { proxy = "http://127.0.0.1:1\r\n" } } do
      opt.base_url, opt.token, opt.getenv, opt.insecure_http = e.url, e.token, no_env, true
      local c, err = mistapi.new(opt)
      assert.is_nil(c)
      assert.equal("validation", err.kind)
      assert.truthy(err.message:find("control characters", 1, true), err.message)
    end
    -- the core refuses it too, whoever calls it
    assert.has_error(function() core.session { user_agent = "ua\r\nX-Injected: 1" } end)
  end)

  it("plain http with a proxy named but no insecure_http is a validation error", function()
    local c, err = mistapi.new { base_url = e.url, token = e.token, getenv = no_env, proxy = "http://127.0.0.1:3128" }
    assert.is_nil(c)
    assert.equal("validation", err.kind)
    assert.truthy(err.message:find("insecure_http", 1, true))
  end)

  it("no request target with a control character or a space leaves the curl transport", function()
    local srv = raw.start { { chunks = { "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" } }, lifetime = 5 }
    local curl = require("mistapi.transport.curl").new { base_url = srv.url, allow_http = true, timeout = 5 }
    for _, tail in ipairs { "/a\r\nX: y", "/a\0b", "/a b", "/a\tb", "/\127" } do
      local resp, info = curl:request { method = "GET", url = srv.url .. tail, headers = {} }
      assert.is_nil(resp)
      assert.is_false(info.reached)
      assert.truthy(info.message:find("not sent", 1, true))
    end
    local resp, info = curl:request { method = "GET", url = "http://127.0.0.2:9/elsewhere", headers = {} }
    assert.is_nil(resp)
    assert.truthy(info.message:find("base URL", 1, true))
    local results = curl:batch({
      { method = "GET", url = srv.url .. "/a\r\nb", headers = {} },
      { method = "GET", url = srv.url .. "/fine", headers = {} },
    }, 2)
    curl:close()
    assert.truthy(results[1].err.message:find("not sent", 1, true))
    assert.equal(200, results[2].status)
    local seen = srv:requests()
    assert.equal(1, #seen)
    assert.truthy(seen[1]:find("^GET /fine HTTP/1.1"))
  end)
end)

describe("a login session", function()
  local function plan_login(set_cookie, then_answers)
    local plan = { { chunks = { "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n" ..
      set_cookie .. "Connection: close\r\n\r\n{}" } } }
    for _, a in ipairs(then_answers) do plan[#plan + 1] = a end
    plan.lifetime = 10
    return raw.start(plan)
  end
  local EMPTY = { chunks = { "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n" ..
    "Connection: close\r\n\r\n[]" } }
  local ORG = "2818e386-8dec-2562-9ede-5b8a0fbbdc71"

  it("a Set-Cookie with a bare CR is ignored: later calls answer, none raises", function()
    local srv = plan_login("Set-Cookie: sessionid=abc\rdef; Path=/\r\nSet-Cookie: csrftoken=goodtoken; Path=/\r\n",
      { EMPTY, EMPTY })
    local c = assert(mistapi.new { base_url = srv.url, email = "me@example.com", password = "pw-long-enough",
      max_retries = 0, getenv = no_env })
    local t = c:orgs_api_tokens()
    for _ = 1, 2 do
      local ok, res = pcall(t.list_org_api_tokens, t, ORG)
      assert.is_true(ok, "no raise: " .. tostring(res))
      assert.same({}, res.data)
    end
    c:close()
    local seen = srv:requests()
    assert.equal(3, #seen)
    for i = 2, 3 do
      assert.is_nil(seen[i]:find("abc", 1, true), "the bad cookie is never sent")
      assert.truthy(seen[i]:find("csrftoken=goodtoken", 1, true))
    end
  end)

  it("a short password echoed in an error is redacted", function()
    local srv = raw.start { { chunks = { "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n" ..
      "Content-Length: 44\r\nConnection: close\r\n\r\n" .. '{"detail":"password pw1234 is not accepted"}' } } }
    local c = assert(mistapi.new { base_url = srv.url, email = "me@example.com", password = "pw1234",
      max_retries = 0, getenv = no_env })
    local res, err = c:orgs_api_tokens():list_org_api_tokens(ORG)
    c:close()
    srv:stop()
    assert.is_nil(res)
    assert.is_false(holds(err, "pw1234"), "the password is nowhere in the error")
    assert.truthy(err.message:find("[redacted]", 1, true), err.message)
  end)
end)

describe("an environment proxy", function()
  local e

  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)

  -- One call from a fresh lua5.4 with http_proxy & co. naming a hostile
  -- proxy (a raw server that would answer 200 to anything).
  local function call_with_env_proxy(extra)
    local proxy = raw.start { { chunks = { "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]" } }, lifetime = 10 }
    local script = ([[
      package.path = %q .. "/lua/?.lua;" .. %q .. "/lua/?/init.lua;" .. package.path
      package.cpath = %q .. "/build/5.4/?.so;" .. package.cpath
      local mistapi = require "mistapi"
      local c = assert(mistapi.new { base_url = %q, token = %q, max_retries = 0, timeout = 5 %s })
      local res, err = c:orgs_api_tokens():list_org_api_tokens(%q)
      io.write(res and ("ok " .. #res.data) or ("err " .. tostring(err)))
    ]]):format(ROOT, ROOT, ROOT, e.url, e.token, extra or "", e.org_id)
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write(script)
    f:close()
    local env = ("http_proxy=%s HTTP_PROXY=%s https_proxy=%s ALL_PROXY=%s no_proxy= NO_PROXY= "):format(
      proxy.url, proxy.url, proxy.url, proxy.url)
    local r = shell.capture("env " .. env .. "lua5.4 " .. shell.quote(path))
    os.remove(path)
    return r, proxy:requests()
  end

  it("is never used for plain http to loopback: the token stays off it", function()
    local r, seen = call_with_env_proxy()
    assert.truthy(r.out:match("^ok %d+$"), r.out .. r.err)
    assert.equal(0, #seen, "nothing reached the environment's proxy")
  end)

  it("nor with insecure_http = true: only a proxy named in the options is used", function()
    local r, seen = call_with_env_proxy(", insecure_http = true")
    assert.truthy(r.out:match("^ok %d+$"), r.out .. r.err)
    assert.equal(0, #seen)
  end)
end)
