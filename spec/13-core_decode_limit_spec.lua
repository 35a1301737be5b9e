-- core.decode's max_decoded is a limit on what the decoder makes, counted
-- from the text alone: the same answer under the same limit is accepted or
-- refused the same way, at the same byte, whatever the Lua heap holds
-- (just collected, full of an earlier answer's garbage, the collector
-- stopped, incremental or generational) and on every interpreter alike.
local core = require "mistapi.core"

-- collectgarbage("incremental") and ("generational") are Lua 5.4's
local is54 = _VERSION == "Lua 5.4"
-- Under the sanitizers (MISTAPI_SANITIZED=1) a smaller earlier answer: their
-- allocators keep what is freed. Garbage is garbage at any size.
local BIG_TOKENS = os.getenv("MISTAPI_SANITIZED") == "1" and 6000 or 50000

local function token(i)
  return ('{"id":"5a4e1c7e-1f3c-4a7e-9a1b-%012d","name":"token %d","created_time":%d,' ..
    '"org_id":"9f3c1a2b-0000-4000-8000-000000000001","created_by":"user@mycorp.com",' ..
    '"privileges":[{"role":"admin","scope":"org"},{"role":"read","scope":"site","site_id":' ..
    '"7c2d3e4f-0000-4000-8000-%012d"}],"src_ips":["10.0.0.0/8"],"zz_new":%d}'):format(i, i, 1700000000 + i, i, i)
end

local function list(n)
  local out = {}
  for i = 1, n do out[i] = token(i) end
  return "[" .. table.concat(out, ",") .. "]"
end

-- The answers: a real page (tokens, and the same text generic), a small
-- one, and a hostile page of empty objects.
local CASES = {
  { name = "a 300-token page", text = list(300), shape = "tokens" },
  { name = "the same page, generic", text = list(300) },
  { name = "a 20-token page", text = list(20), shape = "tokens" },
  { name = "20,000 empty objects", text = "[" .. ("{},"):rep(19999) .. "{}]", shape = "tokens" },
}

-- The least max_decoded that accepts text: what the decode counts.
local function cost(text, shape)
  local lo, hi = 0, 2 ^ 40   -- refused at lo (or lo is 0), accepted at hi
  while hi - lo > 1 do
    local mid = math.floor((lo + hi) / 2)
    if core.decode(text, shape, { max_decoded = mid }) then hi = mid else lo = mid end
  end
  return hi
end

describe("core.decode's max_decoded", function()
  it("counts what the decoder makes by a fixed model, the same on every interpreter", function()
    -- a table 64, an item 32, a member 48, a string its bytes and 48; a
    -- pre-sized node 24; a short string already made by this decode is free
    assert.equal(273, cost('[1,"a",{}]'))
    assert.equal(64 + 49 + 49 + 48 + 50 + 48, cost('{"k":"v","k2":"v"}'))
    assert.equal(64 + 3 * 32 + (40 + 48) + (41 + 48),
      cost('["' .. ("x"):rep(40) .. '","' .. ("x"):rep(40) .. '","' .. ("x"):rep(41) .. '"]'))
    -- a long string counts each time; escapes count too
    assert.equal(64 + 2 * 32 + 2 * (41 + 48), cost('["' .. ("y"):rep(41) .. '","' .. ("y"):rep(41) .. '"]'))
    assert.equal(64 + 2 * 32 + 2 * (2 + 48), cost('["\\n\\t","\\n\\t"]'))
    -- a token: 16 pre-sized nodes and its known keys free; a field the
    -- model doesn't know is a member of its own set too
    assert.equal(64 + 16 * 24 + (36 + 48), cost('{"id":"5a4e1c7e-1f3c-4a7e-9a1b-2c3d4e5f6a7b"}', "token"))
    assert.equal(64 + 16 * 24 + (2 + 48) + 48 + (64 + 48), cost('{"zz":true}', "token"))
  end)

  it("refuses at the first byte past the limit, and only then", function()
    local text = "[" .. ("[],"):rep(999) .. "[]]"
    local c = cost(text)
    assert.equal(64 + 1000 * (64 + 32), c)
    local v, msg, why = core.decode(text, nil, { max_decoded = c - 1 })
    assert.is_nil(v)
    assert.equal("limit", why)
    -- the last table's "[" is where it passes (yajl counts the byte after it)
    assert.equal(("JSON: the decoded answer takes more than max_decoded (%d bytes) at byte %d"):format(
      c - 1, #text - 1), msg)
    assert.equal(1000, #assert(core.decode(text, nil, { max_decoded = c })))
  end)

  it("counts no text past the line under which it is not counted at all", function()
    -- A text of n bytes under a max_decoded of at least PER_BYTE * n + FIXED
    -- (csrc/json_decode.c's UNCOUNTED_*) is decoded without counting, as it
    -- could not pass it. Were a text to count more, cost() would find exactly
    -- that line (counted below it, refused; uncounted at it, accepted) and the
    -- skip would have changed an outcome.
    local f = assert(io.open("csrc/json_decode.c"))
    local src = f:read("*a")   -- "*a": PUC Lua 5.1 knows no "a"
    f:close()
    local per_byte = tonumber(src:match("#define UNCOUNTED_PER_BYTE (%d+)u"))
    local fixed = tonumber(src:match("#define UNCOUNTED_FIXED +(%d+)u"))
    assert(per_byte and fixed, "the UNCOUNTED_* line in csrc/json_decode.c")
    local dense = {}
    for _, n in ipairs { 1, 10, 40 } do
      local function rep(unit, sep) return (unit .. sep):rep(n - 1) .. unit end
      dense[#dense + 1] = { "[" .. rep('{"":0}', ",") .. "]", "tokens" }       -- a list's tokens by an unknown key
      dense[#dense + 1] = { "[" .. rep('{"a":0}', ",") .. "]", "tokens" }
      dense[#dense + 1] = { '{"privileges":[' .. rep('{"":0}', ",") .. "]}", "token" }
      dense[#dense + 1] = { '{"privileges":[' .. rep("{}", ",") .. "]}", "token" }
      dense[#dense + 1] = { "{" .. rep('"privileges":[{},{}]', ",") .. "}", "token" }
      dense[#dense + 1] = { "{" .. rep('"":0', ",") .. "}", "token" }
      dense[#dense + 1] = { "[" .. rep("[]", ",") .. "]" }
      dense[#dense + 1] = { "[" .. rep("{}", ",") .. "]" }
      dense[#dense + 1] = { "[" .. rep('""', ",") .. "]" }
      dense[#dense + 1] = { "{" .. rep('"":{}', ",") .. "}" }
    end
    for _, case in ipairs(dense) do
      local text, shape = case[1], case[2]
      local c = cost(text, shape)
      assert(c < per_byte * #text + fixed, ("%s (%s) counts %d"):format(text:sub(1, 40), tostring(shape), c))
      -- and under it the count decides, at the same byte
      local v, _, why = core.decode(text, shape, { max_decoded = c - 1 })
      assert.is_nil(v)
      assert.equal("limit", why)
    end
  end)

  describe("holds the same way whatever the heap holds", function()
    local big, costs, outcomes

    setup(function()
      big = list(BIG_TOKENS)
      costs, outcomes = {}, {}
      collectgarbage()
      collectgarbage()
      for i, case in ipairs(CASES) do
        costs[i] = cost(case.text, case.shape)
        local _, msg, why = core.decode(case.text, case.shape, { max_decoded = costs[i] - 1 })
        outcomes[i] = { msg = msg, why = why }
      end
    end)

    teardown(function()
      big = nil
      collectgarbage()
    end)

    -- An earlier answer of ~16 MiB decoded and dropped: garbage the
    -- collector finds during the next decode.
    local function leave_garbage()
      local v = assert(core.decode(big, "tokens", { max_decoded = 2 ^ 40 }))
      assert.equal(BIG_TOKENS, #v)
    end

    -- name, and how to put the heap in that state (-> how to undo it)
    local states = {
      { "right after a full collection", function() collectgarbage(); collectgarbage() end },
      { "over an earlier answer's garbage", leave_garbage },
      { "with the collector stopped", function()
        collectgarbage()
        collectgarbage("stop")
        return function() collectgarbage("restart") end
      end },
      { "with the collector stopped over garbage", function()
        leave_garbage()
        collectgarbage("stop")
        return function() collectgarbage("restart") end
      end },
    }
    if is54 then
      for _, mode in ipairs { "incremental", "generational" } do
        states[#states + 1] = { "in " .. mode .. " mode over garbage", function()
          local before = collectgarbage(mode)
          leave_garbage()
          return function() collectgarbage(before) end
        end }
      end
    end

    -- Just below what the case counts, then at it, right after the heap
    -- is put in the state.
    for _, state in ipairs(states) do
      it(state[1], function()
        for i, case in ipairs(CASES) do
          local undo = state[2]()
          local below = { core.decode(case.text, case.shape, { max_decoded = costs[i] - 1 }) }
          local at = { core.decode(case.text, case.shape, { max_decoded = costs[i] }) }
          if undo then undo() end
          assert.is_nil(below[1], case.name .. ": accepted just below what it counts")
          assert.equal(outcomes[i].why, below[3])
          assert.equal(outcomes[i].msg, below[2], case.name)
          assert.is_table(at[1], case.name .. ": " .. tostring(at[2]))
        end
      end)
    end
  end)
end)
