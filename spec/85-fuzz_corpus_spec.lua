-- The fuzz seed corpus (fuzz/corpus/, where every fixed crash's input also
-- goes) replayed through the loaded module with the promises the fuzz
-- targets check, so `make asan` and `make valgrind` cover those inputs too.
-- The header collector is internal to the C core; its corpus is replayed
-- by the fuzz binary when it has been built (make fuzz-build).
local core = require "mistapi.core"

local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$")) or "."

local function corpus(target)
  local files = {}
  local p = io.popen("ls -1 " .. ROOT .. "/fuzz/corpus/" .. target .. " 2>/dev/null")
  for name in p:lines() do
    local f = assert(io.open(ROOT .. "/fuzz/corpus/" .. target .. "/" .. name, "rb"))
    files[#files + 1] = { name = name, data = f:read("*a") }
    f:close()
  end
  p:close()
  return files
end

local function assert_failure(what, name, v, msg)
  assert.truthy(v == nil and type(msg) == "string" and #msg < 200, what .. " of " .. name .. ": nil, short message")
end

describe("fuzz corpus replay", function()
  it("decode: a value, or nil, 'JSON: ...', 'syntax' or 'limit', or nil, message, 'model' for a shape", function()
    local files = corpus("decode")
    assert.truthy(#files >= 5, "the decode corpus is there")
    for _, f in ipairs(files) do
      for _, shape in ipairs{ false, "token", "tokens" } do
        local v, msg, why = core.decode(f.data, shape or nil)
        if v == nil then
          assert_failure("decode", f.name, v, msg)
          assert.truthy((why == "syntax" or why == "limit") and msg:sub(1, 6) == "JSON: " or why == "model" and shape,
            f.name .. " as " .. tostring(shape))
        end
      end
    end
  end)

  it("encode: what it writes decodes again", function()
    for _, f in ipairs(corpus("encode")) do
      local v = core.decode(f.data)
      if v ~= nil then
        local text, msg = core.encode(v)
        if text then
          assert.truthy(core.decode(text) ~= nil, "encode of " .. f.name .. " is JSON")
        else
          assert_failure("encode", f.name, text, msg)
        end
      end
    end
  end)

  it("encode_token: a JSON object or nil, message, for every option", function()
    for _, f in ipairs(corpus("encode_token")) do
      for _, shape in ipairs{ false, "token" } do
        local v = core.decode(f.data, shape or nil)
        if type(v) == "table" then
          for _, opts in ipairs{ { pass_unknown = false }, { pass_unknown = true },
                                 { pass_unknown = false, require_name = false } } do
            local text, msg = core.encode_token(v, opts)
            if text then
              assert.truthy(type(core.decode(text)) == "table", "encode_token of " .. f.name .. " is an object")
            else
              assert.truthy(type(msg) == "string", "encode_token of " .. f.name .. ": a message")
            end
          end
        end
      end
    end
  end)

  it("is_uuid and check_ip: true, or nil and a short message", function()
    for _, f in ipairs(corpus("validate")) do
      for _, fn in ipairs{ "is_uuid", "check_ip" } do
        local ok, msg = core[fn](f.data)
        if not ok then assert_failure(fn, f.name, ok, msg) end
      end
    end
  end)

  it("redis: every reply read is a value, false (more needed), or nil, a message and its kind", function()
    local files = corpus("redis")
    assert.truthy(#files >= 5, "the redis corpus is there")
    for _, f in ipairs(files) do
      local r = core.redis_reader()
      r:feed(f.data)
      for _ = 1, 64 do
        local got, v, kind = r:get()
        if got == false then break end
        if got == nil then
          assert_failure("redis_reader", f.name, got, v)
          assert.truthy(kind == "reply" or kind == "protocol", f.name)
          if kind == "protocol" then break end
        end
      end
    end
  end)

  it("headers: the fuzz binary replays its corpus cleanly", function()
    local bin = ROOT .. "/build/fuzz/headers"
    local f = io.open(bin, "rb")
    if not f then
      -- make test builds it first (mk/test.mk): there, a missing binary is a failure
      assert.is_nil(os.getenv("MISTAPI_TEST_COUNTS"), "make test ran the specs without make fuzz-build")
      pending("build/fuzz/headers is not built (make fuzz-build)")
      return
    end
    f:close()
    local ok = os.execute(bin .. " " .. ROOT .. "/fuzz/corpus/headers/* >/dev/null 2>&1")
    assert.truthy(ok == true or ok == 0, "build/fuzz/headers fuzz/corpus/headers/* exits 0")
  end)
end)
