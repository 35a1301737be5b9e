-- The emulator's faults on demand: queued for the next N requests or given per request.
local emu = require "support.emulator"
local socket = require "socket"
local cjson = require "cjson"

local ADMIN = { { role = "admin", scope = "org" } }

-- The whole raw answer to one HTTP/1.0 request, read until the server closes (bounded by timeout).
local function raw_get(e, path, timeout)
  local host, port = e.url:match("^http://([^:]+):(%d+)$")
  local c = assert(socket.tcp())
  c:settimeout(timeout or 5)
  assert(c:connect(host, tonumber(port)))
  assert(c:send("GET " .. path .. " HTTP/1.0\r\nHost: x\r\nAuthorization: Token " .. e.token .. "\r\n\r\n"))
  local data, err, partial = c:receive("*a")
  c:close()
  return data or partial, err
end

local function split(raw)
  local head, body = raw:match("^(.-)\r\n\r\n(.*)$")
  return head or raw, body or ""
end

describe("emulator faults", function()
  local e
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function() e:reset() end)

  local function list(headers)
    return e:api("GET", e:tokens_path(), nil, nil, headers)
  end

  it("answers a given status to the next N requests, then behaves", function()
    for _, code in ipairs({ 500, 502, 503, 504 }) do
      e:fault{ kind = "status", status = code, count = 2 }
      assert.equal(code, (list()))
      assert.equal(code, (list()))
      assert.equal(200, (list()))
    end
    local entries = e:log()
    assert.equal("status", entries[1].fault)
    assert.equal(500, entries[1].status)
    assert.is_nil(entries[3].fault)
  end)

  it("sends Retry-After and a body with a status fault when asked", function()
    e:fault{ kind = "status", status = 503, retry_after = 7, body = "<html>down</html>" }
    local status, _, h, raw = list()
    assert.equal(503, status)
    assert.equal("7", h["retry-after"])
    assert.equal("<html>down</html>", raw)
  end)

  it("takes a fault for one request from the X-Emu-Fault header", function()
    local status = list{ ["X-Emu-Fault"] = cjson.encode{ kind = "status", status = 502 } }
    assert.equal(502, status)
    assert.equal(200, (list()))
  end)

  it("matches faults by method and path prefix", function()
    e:fault{ kind = "status", status = 500, method = "POST", path = "/api/v1/orgs/" }
    assert.equal(200, (list()))
    assert.equal(500, (e:api("POST", e:tokens_path(), { name = "x", privileges = ADMIN })))
    assert.equal(200, (e:api("POST", e:tokens_path(), { name = "x", privileges = ADMIN })))
  end)

  it("applies a status fault after the handler with phase = after (the POST happened)", function()
    e:fault{ kind = "status", status = 504, phase = "after" }
    assert.equal(504, (e:api("POST", e:tokens_path(), { name = "done-anyway", privileges = ADMIN })))
    local _, items = list()
    assert.equal("done-anyway", items[2].name)
  end)

  it("adds latency to one request, and to every request with latency_ms", function()
    local t0 = socket.gettime()
    e:fault{ kind = "latency", ms = 300 }
    assert.equal(200, (list()))
    assert.is_true(socket.gettime() - t0 >= 0.29)
    e:config{ latency_ms = 150 }
    t0 = socket.gettime()
    list()
    list()
    assert.is_true(socket.gettime() - t0 >= 0.29)
  end)

  it("closes the connection mid-body after doing the work, logged once", function()
    e:fault{ kind = "close", method = "POST" }
    local status, info = e:api("POST", e:tokens_path(), { name = "half", privileges = ADMIN })
    assert.is_nil(status)
    assert.equal("transport", info.kind)
    local posts = 0
    for _, entry in ipairs(e:log()) do
      if entry.method == "POST" then
        posts = posts + 1
        assert.equal("close", entry.fault)
        assert.equal(200, entry.status)
      end
    end
    assert.equal(1, posts)
    local _, items = list()
    assert.equal("half", items[2].name)
  end)

  it("closes before any answer with before_headers", function()
    e:fault{ kind = "close", before_headers = true, phase = "before" }
    local raw = raw_get(e, e:tokens_path())
    assert.equal("", raw)
  end)

  it("truncates a body inside a complete answer", function()
    e:fault{ kind = "truncate", bytes = 10 }
    local status, data, h, raw = list()
    assert.equal(200, status)
    assert.is_nil(data)
    assert.equal(10, #raw)
    assert.equal("10", h["content-length"])
  end)

  it("answers malformed JSON", function()
    e:fault{ kind = "malformed" }
    local status, data, _, raw = list()
    assert.equal(200, status)
    assert.is_nil(data)
    assert.is_false(pcall(cjson.decode, raw))
  end)

  it("trickles a body slowly but whole", function()
    e:fault{ kind = "trickle", chunk = 40, interval_ms = 10 }
    local status, data = list()
    assert.equal(200, status)
    assert.equal(1, #data)
  end)

  it("trickles an endless body, bounded by max_ms, then closes", function()
    e:fault{ kind = "trickle", endless = true, interval_ms = 20, max_ms = 300 }
    local raw = raw_get(e, e:tokens_path(), 5)
    local head, body = split(raw)
    assert.matches("Content%-Length: 1073741824", head)
    assert.is_true(#body >= 5 and #body < 100)
    assert.matches("^ +$", body)
  end)

  it("answers an oversized body of N bytes, valid JSON", function()
    e:fault{ kind = "oversize", bytes = 3 * 1048576 + 7 }
    local status, data, _, raw = list()
    assert.equal(200, status)
    assert.equal(3 * 1048576 + 7, #raw)
    assert.is_string(data.pad)
  end)

  it("redirects to another host", function()
    e:fault{ kind = "redirect" }
    local status, _, h = list()
    assert.equal(302, status)
    assert.equal("http://redirect.invalid" .. e:tokens_path(), h.location)
    e:fault{ kind = "redirect", status = 307, location = "https://elsewhere.example/x" }
    status, _, h = list()
    assert.equal(307, status)
    assert.equal("https://elsewhere.example/x", h.location)
  end)

  describe("raw", function()
    it("serves the test's bytes, status and header", function()
      e:fault{ kind = "raw", status = 200, body = "[", ["repeat"] = 100000, headers = { ["X-Test"] = "yes" } }
      local status, _, h, raw = list()
      assert.equal(200, status)
      assert.equal(("["):rep(100000), raw)
      assert.equal("yes", h["x-test"])
    end)

    it("serves NUL bytes and invalid UTF-8 given in base64", function()
      local bytes = '{"name":"a\0b\255\254"}'
      e:fault{ kind = "raw", body_base64 = (require("mime").b64(bytes)) }
      local _, _, _, raw = list()
      assert.equal(bytes, raw)
    end)

    it("serves numbers, duplicate keys and wrong types as given", function()
      local text = '[{"id":123456789012345678901234567890,"name":1,"name":"dup","privileges":"x"}]'
      e:fault{ kind = "raw", body = text }
      local _, _, _, raw = list()
      assert.equal(text, raw)
    end)

    it("declares a Content-Length longer than the body, then closes", function()
      e:fault{ kind = "raw", body = "[1,2", content_length = 1000 }
      local status, info = list()
      assert.is_nil(status)
      assert.equal("transport", info.kind)
      e:fault{ kind = "raw", body = "[1,2", content_length = 1000 }
      local head, body = split(raw_get(e, e:tokens_path()))
      assert.matches("Content%-Length: 1000", head)
      assert.equal("[1,2", body)
    end)
  end)

  it("sends a 1 MiB header", function()
    e:fault{ kind = "huge_header" }
    local head = split(raw_get(e, e:tokens_path()))
    local value = head:match("X%-Emu%-Huge: (h+)")
    assert.equal(1048576, #value)
  end)

  it("refuses a fault it does not know, and forgets queued faults on clear", function()
    assert.has_error(function() e:fault{ kind = "meteor" } end)
    assert.has_error(function() e:fault{ kind = "status", status = 1000 } end)
    e:fault{ kind = "status", status = 500, count = 5 }
    e:clear_faults()
    assert.equal(200, (list()))
  end)
end)
