-- What the failure simulation (spec/76) asks of the emulator: a fault on the
-- n-th request (skip), a status after the request was carried out, a request
-- held and dropped unanswered (hold), the count of requests that arrived and
-- are in flight, every token with its whole key, and the answers the spec
-- allows that differ from the common case (several tokens from self create,
-- privileges in another order).
local emu = require "support.emulator"
local socket = require "socket"

local TWO = { { role = "read", scope = "org" }, { role = "write", scope = "site",
  site_id = "c2d4e6f8-1a3b-4c5d-8e7f-9a0b1c2d3e4f" } }

describe("emulator controls for the failure simulation", function()
  local e
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function() e:reset() end)

  it("skip lets that many matching requests pass before the fault applies", function()
    e:fault { kind = "status", status = 503, skip = 2, method = "GET" }
    local got = {}
    for i = 1, 4 do got[i] = e:api("GET", e:tokens_path()) end
    assert.same({ 200, 200, 503, 200 }, got)
    -- a skipping fault lets the request reach the next queued one
    e:fault { { kind = "status", status = 500, skip = 1 }, { kind = "status", status = 418 } }
    assert.equal(418, (e:api("GET", e:tokens_path())))
    assert.equal(500, (e:api("GET", e:tokens_path())))
    assert.equal(200, (e:api("GET", e:tokens_path())))
    local status = e:request("POST", "/_emulator/faults", {}, '{"kind": "status", "skip": -1}')
    assert.equal(400, status)
  end)

  it("a status fault with phase after carries the request out, then answers the status", function()
    e:fault { kind = "status", status = 502, phase = "after", method = "POST" }
    local status = e:api("POST", e:tokens_path(), { name = "made anyway", privileges = TWO })
    assert.equal(502, status)
    local names = {}
    for _, t in ipairs(e:all_tokens()) do names[t.name] = true end
    assert.is_true(names["made anyway"])
  end)

  it("hold keeps a request in flight, then drops it unanswered and not carried out", function()
    e:fault { kind = "hold", ms = 300, method = "DELETE" }
    local victim = e:make_token { name = "victim" }
    local host, port = e.url:match("^http://([^:]+):(%d+)$")
    local c = assert(socket.tcp())
    c:settimeout(5)
    assert(c:connect(host, tonumber(port)))
    assert(c:send("DELETE " .. e:tokens_path(victim.id) .. " HTTP/1.0\r\nHost: x\r\nAuthorization: Token "
      .. e.token .. "\r\n\r\n"))
    local seen
    for _ = 1, 200 do
      seen = e:inflight()
      if seen.arrived >= 1 then break end
      socket.sleep(0.01)
    end
    assert.equal(1, seen.arrived)
    assert.equal(1, seen.in_flight)
    local data, _, partial = c:receive("*a")
    c:close()
    assert.equal("", data or partial)      -- closed with no answer
    assert.equal(0, e:inflight().in_flight)
    local ids = {}
    for _, t in ipairs(e:all_tokens()) do ids[t.id] = true end
    assert.is_true(ids[victim.id])          -- not deleted
  end)

  it("lists every token, org and user, with its whole key and its owner", function()
    local org = e:make_token { name = "o" }
    local mine = e:make_self_token { name = "u" }
    local by_id = {}
    for _, t in ipairs(e:all_tokens()) do by_id[t.id] = t end
    assert.equal("org", by_id[org.id].owner)
    assert.equal("user", by_id[mine.id].owner)
    assert.is_true(by_id[org.id].key == org.key)      -- compared, never shown
    assert.is_true(by_id[mine.id].key == mine.key)
    assert.is_not_nil(by_id[e:info().bootstrap_token_id])
  end)

  it("self_create_answer = several answers every token of the user's, the new one last with its key", function()
    e:make_self_token { name = "first" }
    e:config { self_create_answer = "several" }
    local status, data = e:api("POST", e:self_tokens_path(), { name = "second" }, false,
      { Authorization = e:basic() })
    assert.equal(200, status)
    assert.equal(2, #data)
    assert.equal("first", data[1].name)
    assert.truthy(data[1].key:find("...", 1, true))
    assert.equal("second", data[2].name)
    assert.equal(64, #data[2].key)
  end)

  it("privileges_order = reversed shows privileges in the other order, /self too", function()
    local t = e:make_token { name = "two", privileges = TWO }
    e:config { privileges_order = "reversed" }
    local _, data = e:api("GET", e:tokens_path(t.id))
    assert.same({ "write", "read" }, { data.privileges[1].role, data.privileges[2].role })
    local _, me = e:api("GET", "/api/v1/self", nil, t.key)
    assert.same({ "write", "read" }, { me.privileges[1].role, me.privileges[2].role })
    e:config { privileges_order = "given" }
    _, data = e:api("GET", e:tokens_path(t.id))
    assert.equal("read", data.privileges[1].role)
  end)
end)
