-- Hostile answers: whatever a server sends, a call ends in `nil, err` of a
-- clear kind (decode, transport or timeout) with the raw body kept where one
-- arrived: never a crash, a hang past the timeout, or unbounded memory.
-- Faults come from the emulator; the few it can't make, from a raw socket.
local emu = require "support.emulator"
local raw = require "support.raw_server"
local mistapi = require "mistapi"
local core = require "mistapi.core"

-- With a 1 s timeout, a call must end, not hang: the bound is generous
-- (a loaded machine is slow; speed is make bench's), so only a hang fails.
-- The sanitizer and valgrind runs (MISTAPI_SANITIZED=1) skip the memory
-- bound (their allocators keep freed memory on purpose).
local SANITIZED = os.getenv("MISTAPI_SANITIZED") == "1"
local NO_HANG = 30

local function rss_kib()
  local f = io.open("/proc/self/status", "r")
  local text = f:read("*a")
  f:close()
  return tonumber(text:match("VmRSS:%s*(%d+)"))
end

describe("hostile answers", function()
  local e, client, tokens, id

  setup(function()
    e = emu.start()
    id = e:seed(1)[1]
    client = assert(mistapi.new{ base_url = e.url, token = e.token, timeout = 1, max_retries = 0 })
    tokens = client:orgs_api_tokens()
  end)

  teardown(function()
    client:close()
    e:stop()
  end)

  before_each(function()
    e:clear_faults()
  end)

  -- One GET through a fault; -> res, err, seconds taken
  local function get_with(fault, c)
    e:fault(fault)
    local t0 = core.now()
    local res, err = (c or client):orgs_api_tokens():get_org_api_token(e.org_id, id)
    return res, err, core.now() - t0
  end

  -- $body_bytes_sent of the latest logged GET of the token, or nil if none
  -- since the last call of clear_access_log()
  local access_mark = 0
  local function clear_access_log()
    local f = io.open(e.dir .. "/logs/access.log", "rb")
    access_mark = f and #f:read("*a") or 0
    if f then f:close() end
  end
  local function last_get_bytes_sent()
    local f = io.open(e.dir .. "/logs/access.log", "rb")
    if not f then return nil end
    local text = f:read("*a"):sub(access_mark + 1)
    f:close()
    local sent
    for line in text:gmatch("[^\n]+") do
      local n = line:match('"GET /api/v1/orgs/[^"]*/apitokens/' .. id:gsub("%-", "%%-") .. '" %d+ (%d+)')
      if n then sent = tonumber(n) end
    end
    return sent
  end

  -- the body is kept whole up to errors.MAX_ERROR_BODY, then its first part
  -- with its full size (the message says so)
  local function assert_decode_error(err, body, field)
    assert.is_table(err)
    assert.equal("decode", err.kind)
    local max = require("mistapi.errors").MAX_ERROR_BODY
    if #body <= max then
      assert.is_true(err.body == body, "the body kept whole")
    else
      assert.is_true(err.body == body:sub(1, max), "the body's first part kept")
      assert.equal(#body, err.body_size)
      assert.truthy(err.message:find("first " .. max .. " of the body's " .. #body .. " bytes", 1, true))
    end
    if field then
      assert.truthy(err.message:find(field, 1, true), "message names " .. field .. ": " .. err.message)
    end
  end

  describe("bodies that are not what a token is", function()
    it("100,000 nested '[' fail to decode, without a crash, the body kept", function()
      local body = ("["):rep(100000)
      local res, err = get_with{ kind = "raw", body = body }
      assert.is_nil(res)
      assert_decode_error(err, body)
      assert.truthy(err.message:find("deep", 1, true), err.message)
    end)

    it("100,000 nested '{\"a\":' fail to decode too", function()
      local body = ('{"a":'):rep(100000)
      local res, err = get_with{ kind = "raw", body = body }
      assert.is_nil(res)
      assert_decode_error(err, body)
    end)

    it("a 30-digit created_time is refused as not an integer", function()
      local body = '{"id":"' .. id .. '","name":"n","created_time":123456789012345678901234567890}'
      local res, err = get_with{ kind = "raw", body = body }
      assert.is_nil(res)
      assert_decode_error(err, body, "created_time")
    end)

    it("invalid UTF-8 in a string fails to decode, the body kept byte for byte", function()
      local body = '{"name":"\255\254 x"}'
      local res, err = get_with{ kind = "raw", body = body }
      assert.is_nil(res)
      assert_decode_error(err, body)
    end)

    it("a raw NUL byte inside a string fails to decode", function()
      local body = '{"name":"a\0b"}'
      local res, err = get_with{ kind = "raw", body = body }
      assert.is_nil(res)
      assert_decode_error(err, body)
    end)

    it("an escaped NUL (\\u0000) is kept whole: the string is not cut at it", function()
      local res, err = get_with{ kind = "raw", body = '{"id":"' .. id .. '","name":"a\\u0000b"}' }
      assert.is_nil(err)
      assert.equal("a\0b", res.data.name)
      assert.is_string(tostring(res.data))
    end)

    it("a duplicate key keeps the last value (as documented), the first never leaks through", function()
      local res, err = get_with{ kind = "raw",
        body = '{"id":"' .. id .. '","name":"first","name":"second","key":"k1","key":null}' }
      assert.is_nil(err)
      assert.equal("second", res.data.name)
      assert.is_nil(res.data.key)
    end)

    it("privileges as a string is a decode error naming the field", function()
      local body = '{"id":"' .. id .. '","name":"n","privileges":"admin"}'
      local res, err = get_with{ kind = "raw", body = body }
      assert.is_nil(res)
      assert_decode_error(err, body, "privileges")
    end)

    it("created_time as an object is a decode error naming the field", function()
      local body = '{"id":"' .. id .. '","name":"n","created_time":{"t":1}}'
      local res, err = get_with{ kind = "raw", body = body }
      assert.is_nil(res)
      assert_decode_error(err, body, "created_time")
    end)

    it("a list whose items are not objects is a decode error", function()
      e:fault{ kind = "raw", body = '[1, "two", null]' }
      local res, err = tokens:list_org_api_tokens(e.org_id)
      assert.is_nil(res)
      assert_decode_error(err, '[1, "two", null]')
    end)
  end)

  describe("transfers that break", function()
    it("a Content-Length longer than the body is a transport error, the partial body kept", function()
      local res, err, took = get_with{ kind = "raw", body = '{"name":"a"}', content_length = 1000 }
      assert.is_nil(res)
      assert.equal("transport", err.kind)
      assert.equal('{"name":"a"}', err.body)
      assert.truthy(took < NO_HANG)
    end)

    it("a Content-Length shorter than the body: the extra bytes never poison the next answer", function()
      local good = '{"id":"' .. id .. '","name":"ok"}'
      local srv = raw.start{
        { chunks = { "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n"
          .. '{"name":"x"}HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}' }, hold = 0.2 },
        { chunks = { "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " .. #good
          .. "\r\n\r\n" .. good } },
      }
      local c = assert(mistapi.new{ base_url = srv.url, token = e.token, timeout = 1, max_retries = 0 })
      local res, err = c:orgs_api_tokens():get_org_api_token(e.org_id, id)
      assert.is_nil(res)
      assert_decode_error(err, '{"nam')
      res, err = c:orgs_api_tokens():get_org_api_token(e.org_id, id)
      assert.is_nil(err)
      assert.equal("ok", res.data.name)
      c:close()
      srv:stop()
    end)

    it("a create whose kept-alive connection closes before the answer is not sent again", function()
      -- libcurl resends a request on a reused connection that died before any
      -- answer byte; for a create the server may have made the token already,
      -- and a second one would leave a live token whose key nobody has
      assert(tokens:list_org_api_tokens(e.org_id))   -- the connection is now kept alive
      e:clear_log()
      e:fault{ kind = "close", before_headers = true, method = "POST" }
      local res, err = tokens:create_org_api_token(e.org_id, {
        name = "hostile-once", privileges = { { role = "read", scope = "org" } } })
      local posts = 0
      for _, entry in ipairs(e:log()) do
        if entry.method == "POST" then posts = posts + 1 end
      end
      assert.equal(1, posts)
      assert.is_nil(res)
      assert.equal("transport", err.kind)
      local list = assert(tokens:list_org_api_tokens(e.org_id))
      for _, t in ipairs(list.data) do
        if t.name == "hostile-once" then assert(tokens:delete_org_api_token(e.org_id, t.id)) end
      end
    end)

    it("bytes that are no HTTP at all are a transport error", function()
      local srv = raw.start{ { chunks = { "SSH-2.0-OpenSSH_9.2\r\n\0\1\2garbage\r\n\r\n" } } }
      local c = assert(mistapi.new{ base_url = srv.url, token = e.token, timeout = 1, max_retries = 0 })
      local res, err = c:orgs_api_tokens():get_org_api_token(e.org_id, id)
      assert.is_nil(res)
      assert.equal("transport", err.kind)
      c:close()
      srv:stop()
    end)

    it("a body past max_body stops the transfer with a message naming the limit", function()
      local c = assert(mistapi.new{ base_url = e.url, token = e.token, timeout = 5, max_retries = 0,
        max_body = 1024 })
      local res, err, took = get_with({ kind = "oversize", bytes = 100000 }, c)
      assert.is_nil(res)
      assert.equal("transport", err.kind)
      assert.truthy(err.message:find("max_body", 1, true), err.message)
      assert.truthy(took < NO_HANG)
      c:close()
    end)

    it("100 MiB against a 1 MiB cap costs little memory, and the transfer stops early", function()
      local c = assert(mistapi.new{ base_url = e.url, token = e.token, timeout = 5, max_retries = 0,
        max_body = 1048576 })
      collectgarbage()
      clear_access_log()
      local before = rss_kib()
      local res, err, took = get_with({ kind = "oversize", bytes = 100 * 1048576 }, c)
      assert.is_nil(res)
      assert.equal("transport", err.kind)
      if not SANITIZED then
        assert.truthy(rss_kib() - before < 16 * 1024, "RSS grew by less than 16 MiB")
      end
      assert.truthy(took < NO_HANG)
      c:close()
      -- the client hung up: the emulator's access log shows it sent far less than it meant to
      local sent
      for _ = 1, 500 do   -- nginx logs the request once it has given up on it (bounded, ~10 s)
        sent = last_get_bytes_sent()
        if sent then break end
        core.sleep(0.02)
      end
      assert.is_number(sent)
      assert.truthy(sent < 50 * 1048576, "the server sent " .. tostring(sent) .. " bytes")
    end)

    it("one header of 1 MiB is a transport error that says the headers are too big", function()
      local res, err, took = get_with{ kind = "huge_header", bytes = 1048576 }
      assert.is_nil(res)
      assert.equal("transport", err.kind)
      assert.truthy(err.message:lower():find("header", 1, true), "message says header: " .. err.message)
      assert.truthy(took < NO_HANG)
    end)

    it("many headers past 256 KiB in all are a transport error that says so", function()
      local headers = {}
      for i = 1, 6 do
        headers["X-Pad-" .. i] = ("p"):rep(60000)
      end
      local res, err = get_with{ kind = "raw", body = "{}", headers = headers }
      assert.is_nil(res)
      assert.equal("transport", err.kind)
      assert.truthy(err.message:lower():find("header", 1, true), err.message)
    end)
  end)

  describe("many at once (curl_multi)", function()
    it("hostile answers among concurrent gets fail one by one, within the timeout", function()
      local ids = e:seed(8)
      local faults = {
        { kind = "raw", body = ("["):rep(100000) },
        { kind = "trickle", endless = true, interval_ms = 50, max_ms = 10000, content_length = 100000 },
        { kind = "raw", body = '{"name":"a"}', content_length = 1000 },
        { kind = "malformed" },
        { kind = "close", bytes = 5 },
        { kind = "raw", body = '{"name":"\255"}' },
      }
      for _, f in ipairs(faults) do f.method = "GET" end
      e:fault(faults)
      local t0 = core.now()
      local res = assert(tokens:get_org_api_tokens(e.org_id, ids, { concurrency = 8 }))
      local took = core.now() - t0
      assert.truthy(took < NO_HANG, ("took %.2f s"):format(took))
      assert.equal(#faults, res.failed)
      local kinds = { decode = 0, transport = 0, timeout = 0 }
      for i = 1, #ids do
        if res.data[i] then
          assert.equal(ids[i], res.data[i].id)
        else
          local err = res.errors[i]
          assert.truthy(kinds[err.kind], err.kind)
          kinds[err.kind] = kinds[err.kind] + 1
        end
      end
      assert.equal(3, kinds.decode)
      assert.equal(1, kinds.timeout)
      assert.equal(2, kinds.transport)
    end)
  end)

  describe("answers that never end", function()
    it("an endless trickle ends in a timeout error, not a hang, the bytes so far kept", function()
      local res, err, took = get_with{ kind = "trickle", endless = true, interval_ms = 50, max_ms = 10000,
        content_length = 100000 }
      assert.is_nil(res)
      assert.equal("timeout", err.kind)
      assert.truthy(took >= 0.9 and took < NO_HANG, ("took %.2f s"):format(took))
      assert.is_string(err.body)
      assert.truthy(#err.body > 0 and err.body:match("^ +$"))
    end)

    it("an endless trickle announcing 1 GiB is refused at once as past max_body", function()
      local res, err, took = get_with{ kind = "trickle", endless = true, interval_ms = 50, max_ms = 10000 }
      assert.is_nil(res)
      assert.truthy(err.kind == "transport" or err.kind == "timeout")
      assert.truthy(took < NO_HANG)
    end)

    it("a server that accepts and never answers ends in a timeout, not a hang", function()
      local srv = raw.start{ { chunks = {}, hold = 5 } }
      local c = assert(mistapi.new{ base_url = srv.url, token = e.token, timeout = 1, max_retries = 0 })
      local t0 = core.now()
      local res, err = c:orgs_api_tokens():get_org_api_token(e.org_id, id)
      local took = core.now() - t0
      assert.is_nil(res)
      assert.equal("timeout", err.kind)
      assert.truthy(took < NO_HANG, ("took %.2f s"):format(took))
      c:close()
      srv:stop()
    end)
  end)
end)
