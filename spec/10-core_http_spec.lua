-- mistapi.core sessions: session:request over real HTTP to a local nginx.
local core = require "mistapi.core"
local static = require "support.static_nginx"

local SECRET = "Token s3cr3t-api-token-value"

-- Every response of the request as a table, or nil, info.
local function fetch(session, ...)
  local status, headers, body = session:request(...)
  if not status then return nil, headers end
  return { status = status, headers = headers, body = body }
end

local function refuses_secret(info, ...)
  for _, s in ipairs({ ... }) do
    assert.is_nil(info.message:find(s, 1, true), "message leaks a secret")
  end
end

describe("core.session", function()
  local srv, http

  setup(function()
    srv = static.start()
    http = core.session { allow_http = true, timeout = 5 }
  end)

  teardown(function()
    if http then http:close() end
    if srv then srv:stop() end
  end)

  it("reports the libcurl version", function()
    local v, full = core.curl_version()
    assert.matches("^%d+%.%d+%.%d+", v)
    assert.matches("libcurl/", full)
  end)

  describe("request", function()
    it("returns status, lower-cased headers with repeats joined, and the body", function()
      local status, headers, body = http:request("GET", srv.url .. "/multi")
      assert.equals(200, status)
      if math.type then assert.equals("integer", math.type(status)) end
      assert.equals("one, two, three", headers["x-multi"])
      assert.equals("Kept", headers["x-mixed-case"])
      assert.is_nil(headers["X-MiXeD-CaSe"])
      assert.equals("application/json", headers["content-type"])
      assert.equals('{"ok":true}', body)
    end)

    it("with a shape, hands a 2xx answer that is one object of its model over decoded, without its body",
      function()
      local token = '{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","name":"t","created_time":1700000000,'
        .. '"privileges":[{"scope":"org","role":"admin","org_id":"3fa85f64-5717-4562-b3fc-2c963f66afa7"}]}'
      local status, headers, body, decoded = http:request("POST", srv.url .. "/echo", nil, token, "token")
      assert.equals(200, status)
      assert.equals("POST", headers["x-echo-method"])
      assert.is_nil(body)
      assert.same(core.decode(token, "token"), decoded)
      assert.equals(getmetatable(core.decode(token, "token")), getmetatable(decoded))
      if math.type then assert.equals("integer", math.type(decoded.created_time)) end
      -- anything else comes as it would without a shape: the body, nothing decoded
      for _, text in ipairs { "[" .. token .. "]", '{"id":7}', "null", "{", "" } do
        local st, _, kept, none = http:request("POST", srv.url .. "/echo", nil, text, "token")
        assert.equals(200, st)
        assert.equals(text, kept)
        assert.is_nil(none)
      end
      status, headers, body, decoded = http:request("GET", srv.url .. "/missing", nil, nil, "token")
      assert.equals("application/json", headers["content-type"])
      assert.equals(404, status)
      assert.equals('{"detail":"not here"}', body)
      assert.is_nil(decoded)
      -- without a shape, the three values as ever (a select(3, ...) gets the body alone)
      assert.equals(3, select("#", http:request("POST", srv.url .. "/echo", nil, token)))
      assert.has_error(function() http:request("GET", srv.url .. "/multi", nil, nil, {}) end)
    end)

    it("sends each request's headers as they are then, the same table changed between calls too", function()
      local ua = core.session { allow_http = true, timeout = 5, user_agent = "ua-of-session/1" }
      local h = { ["X-Custom"] = "first" }
      local function echo(method, body)
        local res = assert(fetch(ua, method or "GET", srv.url .. "/echo", h, body))
        return res.headers["x-echo-custom"], res.headers["x-echo-user-agent"], res.headers["x-echo-content-type"]
      end
      assert.same({ "first", "ua-of-session/1", "none" }, { echo() })
      assert.same({ "first", "ua-of-session/1", "none" }, { echo() })
      h["X-Custom"] = "second"
      assert.same({ "second", "ua-of-session/1", "none" }, { echo() })
      h["User-Agent"] = "ua-of-call/2"
      assert.same({ "second", "ua-of-call/2", "none" }, { echo() })
      h["User-Agent"] = nil
      assert.same({ "second", "ua-of-session/1", "none" }, { echo() })
      h["X-Custom"] = ""   -- an empty value is sent empty ("Name;"), not the one before
      local custom, agent = echo()
      assert.is_true(custom == nil or custom == "", tostring(custom))
      assert.equals("ua-of-session/1", agent)
      h["X-Custom"] = "third"
      h["Content-Type"] = "application/json"
      assert.same({ "third", "ua-of-session/1", "application/json" }, { echo("POST", "{}") })
      h["Content-Type"] = nil
      -- no invented type for a body (curl's form type), after a list that had one
      assert.same({ "third", "ua-of-session/1", "none" }, { echo("POST", "{}") })
      assert.same({ "third", "ua-of-session/1", "none" }, { echo() })
      h["X-Custom"] = "bad\r\nX-Injected: 1"
      assert.has_error(function() ua:request("GET", srv.url .. "/echo", h) end,
        "headers: header X-Custom has CR, LF or NUL in its value")
      h["X-Custom"] = "fourth"
      assert.same({ "fourth", "ua-of-session/1", "none" }, { echo() })
      ua:close()
    end)

    it("answers an HTTP error status as a response, not a failure", function()
      local res = assert(fetch(http, "GET", srv.url .. "/missing"))
      assert.equals(404, res.status)
      assert.equals('{"detail":"not here"}', res.body)
    end)

    it("sends the body of a POST with its length and no invented content type", function()
      local res = assert(fetch(http, "POST", srv.url .. "/echo", { ["X-Custom"] = "yes" }, '{"a":1}'))
      assert.equals("POST", res.headers["x-echo-method"])
      assert.equals("7", res.headers["x-echo-content-length"])
      assert.equals("none", res.headers["x-echo-content-type"])
      assert.equals("yes", res.headers["x-echo-custom"])
      assert.equals('{"a":1}', res.body)
    end)

    it("does not carry a body, method or header into the next request", function()
      assert(fetch(http, "POST", srv.url .. "/echo", { ["X-Custom"] = "first" }, "payload"))
      local res = assert(fetch(http, "GET", srv.url .. "/echo"))
      assert.equals("GET", res.headers["x-echo-method"])
      assert.equals("none", res.headers["x-echo-content-length"])
      assert.equals("none", res.headers["x-echo-custom"])
      assert.equals("", res.body)
      res = assert(fetch(http, "DELETE", srv.url .. "/echo"))
      assert.equals("DELETE", res.headers["x-echo-method"])
      assert.equals("0", res.headers["x-echo-body-length"])
    end)

    it("sends PUT and POST with an empty body as Content-Length: 0", function()
      for _, method in ipairs({ "PUT", "POST" }) do
        local res = assert(fetch(http, method, srv.url .. "/echo"))
        assert.equals(method, res.headers["x-echo-method"])
        assert.equals("0", res.headers["x-echo-content-length"])
      end
      local res = assert(fetch(http, "PUT", srv.url .. "/echo", { ["Content-Type"] = "application/json" }, ""))
      assert.equals("0", res.headers["x-echo-content-length"])
      assert.equals("application/json", res.headers["x-echo-content-type"])
    end)

    it("sends a DELETE with a body when given one", function()
      local res = assert(fetch(http, "DELETE", srv.url .. "/echo", nil, "xyz"))
      assert.equals("DELETE", res.headers["x-echo-method"])
      assert.equals("xyz", res.body)
    end)

    it("keeps only the final response's headers after 100 Continue", function()
      local res = assert(fetch(http, "POST", srv.url .. "/echo", { Expect = "100-continue" }, "abc"))
      assert.equals(200, res.status)
      assert.equals("100-continue", res.headers["x-echo-expect"])
      for name in pairs(res.headers) do
        assert.is_nil(name:find("^http/"), "a status line leaked into headers")
      end
    end)

    it("keeps only the last response's headers after an interim 103", function()
      local res = assert(fetch(http, "GET", srv.url .. "/interim"))
      assert.equals(200, res.status)
      assert.equals("yes", res.headers["x-final"])
      assert.is_nil(res.headers["x-interim"])
      assert.is_nil(res.headers["link"])
      assert.equals("ok", res.body)
    end)

    it("joins a folded header line to its header", function()
      local res = assert(fetch(http, "GET", srv.url .. "/interim"))
      assert.equals("first second", res.headers["x-folded"])
    end)

    it("with raw_headers, hands back the header block, which core.headers makes the same table of", function()
      local raw_session = core.session { allow_http = true, timeout = 5, raw_headers = true }
      for _, path in ipairs { "/multi", "/interim" } do
        local status, raw, body = raw_session:request("GET", srv.url .. path)
        local _, headers, plain_body = http:request("GET", srv.url .. path)
        assert.equals(200, status)
        assert.equals("string", type(raw))
        assert.equals(plain_body, body)
        local made = core.headers(raw)
        for name, value in pairs(headers) do
          if name ~= "date" then assert.equals(value, made[name], name) end
        end
        for name in pairs(made) do assert.is_not_nil(headers[name], name) end
      end
      local items = raw_session:batch({ { method = "GET", url = srv.url .. "/multi" } }, 1)
      assert.equals("string", type(items[1].raw_headers))
      assert.is_nil(items[1].headers)
      assert.equals("one, two, three", core.headers(items[1].raw_headers)["x-multi"])
      raw_session:close()
      assert.has_error(function() core.headers(nil) end)
    end)

    it("sends the User-Agent it is given, and none of its own (the client names it)", function()
      local res = assert(fetch(http, "GET", srv.url .. "/echo"))
      assert.equals("none", res.headers["x-echo-user-agent"])
      assert.is_nil(core.version)
      local other = core.session { allow_http = true, user_agent = "my-script/2" }
      res = assert(fetch(other, "GET", srv.url .. "/echo"))
      other:close()
      assert.equals("my-script/2", res.headers["x-echo-user-agent"])
    end)

    it("accepts compressed answers and hands back the plain body", function()
      local res = assert(fetch(http, "GET", srv.url .. "/gzip"))
      assert.equals("gzip", res.headers["content-encoding"])
      assert.equals(string.rep("compress me ", 2000), res.body)
    end)

    it("keeps the connection between requests", function()
      assert(fetch(http, "GET", srv.url .. "/ping?reuse=1"))
      assert(fetch(http, "GET", srv.url .. "/ping?reuse=2"))
      local log = srv:log_after("reuse=2")
      local c1 = log:match("/ping%?reuse=1 conn=(%d+)")
      local c2 = log:match("/ping%?reuse=2 conn=(%d+)")
      assert.is_not_nil(c1)
      assert.equals(c1, c2)
    end)

    it("does not follow redirects", function()
      local res = assert(fetch(http, "GET", srv.url .. "/redirect", { Authorization = SECRET }))
      assert.equals(302, res.status)
      assert.matches("/landed$", res.headers.location)
      assert.is_nil(srv:settled_log(http):find("/landed", 1, true))
    end)
  end)

  describe("limits", function()
    it("aborts a body over max_body, with or without Content-Length", function()
      local s = core.session { allow_http = true, max_body = 100000 }
      for _, q in ipairs({ "?bytes=300000", "?bytes=300000&nolength=1" }) do
        local res, info = fetch(s, "GET", srv.url .. "/big" .. q)
        assert.is_nil(res)
        assert.equals("transport", info.kind)
        assert.equals("response body exceeds max_body (100000 bytes)", info.message)
        assert.is_true(info.reached)
        assert.is_true(info.body == nil or #info.body <= 100000)
      end
      local res = assert(fetch(s, "GET", srv.url .. "/big?bytes=100000&nolength=1"))
      assert.equals(100000, #res.body)
      s:close()
    end)

    it("aborts when the response headers exceed 256 KiB", function()
      local res, info = fetch(http, "GET", srv.url .. "/huge-headers")
      assert.is_nil(res)
      assert.equals("transport", info.kind)
      assert.equals("response headers exceed 262144 bytes", info.message)
    end)

    it("names the header when one header line is over libcurl's own limit", function()
      local res, info = fetch(http, "GET", srv.url .. "/huge-header-line")
      assert.is_nil(res)
      assert.equals("transport", info.kind)
      assert.matches("^response header too large", info.message)
    end)

    it("times out a slow answer after the request was sent (reached)", function()
      local s = core.session { allow_http = true, timeout = 0.5 }
      local res, info = fetch(s, "GET", srv.url .. "/slow")
      s:close()
      assert.is_nil(res)
      assert.equals("timeout", info.kind)
      assert.equals(28, info.code)
      assert.is_true(info.reached)
    end)

    it("times out a stalled TLS handshake as never reached", function()
      local s = core.session { timeout = 0.5, ca_file = srv.ca }
      local res, info = fetch(s, "GET", srv.stall_url .. "/x")
      s:close()
      assert.is_nil(res)
      assert.equals("timeout", info.kind)
      assert.is_false(info.reached)
    end)
  end)

  describe("failures before the server", function()
    it("reports a refused connection as transport, never reached", function()
      local res, info = fetch(http, "GET", "http://127.0.0.1:1/x")
      assert.is_nil(res)
      assert.equals("transport", info.kind)
      assert.equals(7, info.code)
      assert.is_false(info.reached)
      assert.is_string(info.message)
    end)

    it("refuses plain http unless allow_http, and nothing arrives", function()
      local s = core.session {}
      local res, info = fetch(s, "GET", srv.url .. "/ping?plain-refused")
      s:close()
      assert.is_nil(res)
      assert.equals("transport", info.kind)
      assert.equals(1, info.code)
      assert.is_false(info.reached)
      assert.is_nil(srv:settled_log(http):find("plain-refused", 1, true))
    end)

    it("verifies TLS: fails without the CA, passes with ca_file", function()
      local s = core.session {}
      local res, info = fetch(s, "GET", srv.tls_url .. "/ping?untrusted")
      s:close()
      assert.is_nil(res)
      assert.equals("transport", info.kind)
      assert.equals(60, info.code)
      assert.is_false(info.reached)
      assert.is_nil(srv:settled_log(http):find("untrusted", 1, true))

      s = core.session { ca_file = srv.ca }
      res = assert(fetch(s, "GET", srv.tls_url .. "/multi"))
      s:close()
      assert.equals(200, res.status)
      assert.equals("one, two, three", res.headers["x-multi"])
    end)

    it("reports an unreadable ca_file as never reached", function()
      local s = core.session { ca_file = srv.dir .. "/no-such-ca.pem" }
      local res, info = fetch(s, "GET", srv.tls_url .. "/ping")
      s:close()
      assert.is_nil(res)
      assert.equals("transport", info.kind)
      assert.equals(77, info.code)
      assert.is_false(info.reached)
    end)

    it("keeps URL credentials, proxy credentials and header values out of messages", function()
      local s = core.session { allow_http = true, timeout = 0.5 }
      local _, info = fetch(s, "GET", "http://apiuser:urlpassw0rd@127.0.0.1:1/x", { Authorization = SECRET })
      refuses_secret(info, "apiuser", "urlpassw0rd", SECRET, "s3cr3t")
      _, info = fetch(s, "GET", "http://apiuser:urlpassw0rd@127.0.0.1:" .. srv.port .. "/slow",
        { Authorization = SECRET })
      assert.equals("timeout", info.kind)
      refuses_secret(info, "apiuser", "urlpassw0rd", SECRET, "s3cr3t")
      s:close()

      local p = core.session { allow_http = true, proxy = "http://proxyuser:proxypassw0rd@127.0.0.1:1" }
      _, info = fetch(p, "GET", srv.url .. "/ping", { Authorization = SECRET })
      assert.is_false(info.reached)
      refuses_secret(info, "proxyuser", "proxypassw0rd", SECRET)
      assert.is_nil(tostring(p):find("proxypassw0rd", 1, true))
      p:close()
    end)
  end)

  describe("methods", function()
    it("sends PATCH (with its body), HEAD (no body read) and OPTIONS as named", function()
      local status, headers, body = http:request("PATCH", srv.url .. "/echo", nil, "patched")
      assert.equals(200, status)
      assert.equals("PATCH", headers["x-echo-method"])
      assert.equals("patched", body)
      status, headers, body = http:request("HEAD", srv.url .. "/echo")
      assert.equals(200, status)
      assert.equals("HEAD", headers["x-echo-method"])
      assert.equals("", body)
      status, headers = http:request("OPTIONS", srv.url .. "/echo")
      assert.equals(200, status)
      assert.equals("OPTIONS", headers["x-echo-method"])
      -- the handle sends GET again after them
      status, headers = http:request("GET", srv.url .. "/echo")
      assert.equals(200, status)
      assert.equals("GET", headers["x-echo-method"])
    end)

    it("sends each method as named when it comes again, after another, and after a batch on the handle", function()
      local url = srv.url .. "/echo"
      -- (method, body) in turn on one session: repeats, switches, bodies
      -- coming and going, and a batch (which uses the same handle) between
      local steps = {
        { "GET" }, { "GET" }, { "DELETE" }, { "DELETE" }, { "GET" }, { "GET", "b1" }, { "GET" },
        { "HEAD" }, { "HEAD" }, { "GET" }, { "OPTIONS" }, { "OPTIONS" }, { "POST", "p" }, { "GET" },
        { "batch" }, { "GET" }, { "DELETE", "d" }, { "DELETE" }, { "GET" },
      }
      for i, step in ipairs(steps) do
        if step[1] == "batch" then
          local out = http:batch({ { method = "PUT", url = url, body = "in a batch" } }, 1)
          assert.equals("PUT", out[1].headers["x-echo-method"])
        else
          local status, headers, body = http:request(step[1], url, nil, step[2])
          assert.equals(200, status, "step " .. i)
          assert.equals(step[1], headers["x-echo-method"], "step " .. i)
          if step[1] ~= "HEAD" then assert.equals(step[2] or "", body, "step " .. i) end
          local sent = headers["x-echo-content-length"]
          if step[2] then
            assert.equals(tostring(#step[2]), sent, "step " .. i)
          elseif step[1] ~= "POST" then
            assert.equals("none", sent, "step " .. i)
          end
        end
      end
    end)
  end)

  describe("misuse raises", function()
    it("on bad arguments to request", function()
      assert.has_error(function() http:request("TRACE", srv.url) end)
      assert.has_error(function() http:request("GET", {}) end)
      assert.has_error(function() http:request("GET", srv.url, "not a table") end)
      assert.has_error(function() http:request("GET", srv.url, nil, {}) end)
      assert.has_error(function() http:request("GET", srv.url, { [1] = "x" }) end)
      assert.has_error(function() http:request("GET", srv.url .. "\0/x") end)
    end)

    it("when a session's method is called on anything but a session", function()
      -- a file is a userdata with a metatable too: only the session's own passes
      for _, name in ipairs { "request", "batch", "close" } do
        for _, other in ipairs { io.stdout, io.stderr, {}, "s" } do
          local ok, err = pcall(http[name], other, "GET", srv.url)
          assert.is_false(ok, name)
          assert.truthy(tostring(err):find("mistapi.core.session expected", 1, true), tostring(err))
        end
      end
      assert.equals(200, (http:request("GET", srv.url .. "/echo")))
    end)

    it("on a header value with CR or LF, without echoing the value", function()
      local ok, err = pcall(http.request, http, "GET", srv.url, { ["X-Injected"] = "v\r\nX-Evil: 1" })
      assert.is_false(ok)
      assert.matches("X%-Injected", err)
      assert.is_nil(err:find("Evil", 1, true))
    end)

    it("on bad session options", function()
      assert.has_error(function() core.session("fast") end)
      assert.has_error(function() core.session { timeout = "10" } end)
      assert.has_error(function() core.session { timeout = 0 } end)
      assert.has_error(function() core.session { connect_timeout = -1 } end)
      assert.has_error(function() core.session { max_body = 0 } end)
      assert.has_error(function() core.session { max_body = 1.5 } end)
      assert.has_error(function() core.session { allow_http = "yes" } end)
      assert.has_error(function() core.session { raw_headers = 1 } end)
      assert.has_error(function() core.session { ca_file = 1 } end)
      local ok, err = pcall(core.session, { proxy = "ftp://user:proxypassw0rd@host" })
      assert.is_false(ok)
      assert.is_nil(err:find("proxypassw0rd", 1, true))
    end)
  end)

  describe("close", function()
    it("is idempotent, and a closed session raises on use", function()
      local s = core.session { allow_http = true }
      assert(fetch(s, "GET", srv.url .. "/ping"))
      s:close()
      s:close()
      local ok, err = pcall(s.request, s, "GET", srv.url .. "/ping")
      assert.is_false(ok)
      assert.matches("session is closed", err)
      ok, err = pcall(s.batch, s, {}, 1)
      assert.is_false(ok)
      assert.matches("session is closed", err)
    end)

    it("shows no secret in tostring", function()
      local s = core.session { proxy = "http://u:proxypassw0rd@127.0.0.1:1" }
      assert.matches("^mistapi%.core%.session: ", tostring(s))
      assert.is_nil(tostring(s):find("proxypassw0rd", 1, true))
      s:close()
      assert.matches("%(closed%)$", tostring(s))
    end)

    it("is collected without close", function()
      for _ = 1, 20 do
        local s = core.session { allow_http = true }
        assert(fetch(s, "GET", srv.url .. "/ping"))
      end
      collectgarbage()
      collectgarbage()
      assert(fetch(http, "GET", srv.url .. "/ping"))
    end)

    if _VERSION == "Lua 5.4" then
      it("closes a to-be-closed variable on scope exit", function()
        local chunk = assert(load([[
          local core = ...
          local kept
          do
            local s <close> = core.session {}
            kept = s
          end
          return kept
        ]]))
        local s = chunk(core)
        assert.matches("%(closed%)$", tostring(s))
        assert.has_error(function() s:request("GET", "https://127.0.0.1:1/") end, "session is closed")
      end)
    end
  end)
end)

describe("core.session against the emulator", function()
  local emu = require "support.emulator"
  local e, s

  local function auth(extra)
    local h = { Authorization = "Token " .. e.token }
    for k, v in pairs(extra or {}) do h[k] = v end
    return h
  end

  local function fault(f)
    local parts = {}
    for k, v in pairs(f) do
      parts[#parts + 1] = string.format("%q:%s", k, type(v) == "string" and string.format("%q", v) or v)
    end
    return { ["X-Emu-Fault"] = "{" .. table.concat(parts, ",") .. "}" }
  end

  setup(function()
    e = emu.start()
    s = core.session { allow_http = true, timeout = 10 }
  end)

  teardown(function()
    if s then s:close() end
    if e then e:stop() end
  end)

  it("gets a 200 with a JSON body and lower-cased headers", function()
    local status, headers, body = s:request("GET", e.url .. e:tokens_path(), auth())
    assert.equals(200, status)
    assert.matches("application/json", headers["content-type"])
    for name in pairs(headers) do
      assert.equals(name:lower(), name)
    end
    assert.matches("^%s*%[", body)
  end)

  it("gets a 404 as a response", function()
    local status, _, body = s:request("GET",
      e.url .. e:tokens_path("00000000-0000-4000-8000-000000000000"), auth())
    assert.equals(404, status)
    assert.is_string(body)
  end)

  it("times out on the latency fault", function()
    local quick = core.session { allow_http = true, timeout = 0.5 }
    local status, info = quick:request("GET", e.url .. e:tokens_path(), auth(fault { kind = "latency", ms = 3000 }))
    quick:close()
    assert.is_nil(status)
    assert.equals("timeout", info.kind)
    assert.is_true(info.reached)
  end)

  it("stops reading at max_body on the oversize fault", function()
    local small = core.session { allow_http = true, max_body = 100000 }
    local status, info = small:request("GET", e.url .. e:tokens_path(),
      auth(fault { kind = "oversize", bytes = 5000000 }))
    small:close()
    assert.is_nil(status)
    assert.equals("transport", info.kind)
    assert.equals("response body exceeds max_body (100000 bytes)", info.message)
  end)

  it("does not follow the redirect fault to the other host", function()
    e:clear_log()
    local status, headers = s:request("GET", e.url .. e:tokens_path(), auth(fault { kind = "redirect" }))
    assert.equals(302, status)
    assert.matches("^http://redirect%.invalid/", headers.location)
    assert.equals(1, #e:log())
  end)

  it("refuses its http URL without allow_http, and nothing arrives", function()
    e:clear_log()
    local strict = core.session {}
    local status, info = strict:request("GET", e.url .. e:tokens_path(), auth())
    strict:close()
    assert.is_nil(status)
    assert.is_false(info.reached)
    assert.equals(0, #e:log())
  end)

  it("verifies its TLS listener: fails without ca_file, passes with its CA, fails on a wrong name", function()
    local plain = core.session {}
    local status, info = plain:request("GET", e.tls_url .. e:tokens_path(), auth())
    plain:close()
    assert.is_nil(status)
    assert.equals(60, info.code)
    assert.is_false(info.reached)

    local trusted = core.session { ca_file = e.ca_file }
    status = trusted:request("GET", e.tls_url .. e:tokens_path(), auth())
    assert.equals(200, status)
    if e.tls_wrong_url then
      status, info = trusted:request("GET", e.tls_wrong_url .. e:tokens_path(), auth())
      assert.is_nil(status)
      assert.is_false(info.reached)
    end
    trusted:close()
  end)
end)
