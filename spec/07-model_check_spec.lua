-- The answer's types are checked against the model before a script sees them.
local check = require "mistapi.model_check"

describe("model_check.token", function()
  it("accepts a token shaped as the spec's example", function()
    local t = { id = "497f6eca-6276-4993-bfeb-53efbbba6f08", name = "org_token_xyz", key = "1qkb...QQCL",
      org_id = "a40f5d1f-d889-42e9-94ea-b9b33585fc6b", created_by = "user@mycorp.com",
      created_time = 1626875902, last_used = 1690115110, src_ips = { "63.3.56.0/24" },
      privileges = { { role = "admin", scope = "org", org_id = "a40f5d1f-d889-42e9-94ea-b9b33585fc6b" } } }
    assert.is_nil(check.token(t))
  end)

  it("turns integral and fractional float epochs into integers", function()
    local t = { created_time = 1626875902.0, last_used = 1690115110.75 }
    assert.is_nil(check.token(t))
    assert.same(1626875902, t.created_time)
    assert.same(1690115110, t.last_used)
    if math.type then
      assert.same("integer", math.type(t.created_time))
      assert.same("integer", math.type(t.last_used))
    end
  end)

  it("names the field of each wrong type", function()
    local cases = {
      { { name = 5 }, "^name: expected a string" },
      { { key = {} }, "^key: expected a string" },
      { { created_time = {} }, "^created_time: expected an epoch" },
      { { created_time = 1e30 }, "^created_time: expected an epoch in seconds, got a number out of range" },
      { { last_used = -1 }, "^last_used" },
      { { last_used = 0 / 0 }, "^last_used" },
      { { privileges = "admin" }, "^privileges: expected an array, got string" },
      { { privileges = { role = "admin" } }, "^privileges: expected an array, got an object" },
      { { privileges = { "admin" } }, "^privileges%[1%]: expected an object" },
      { { privileges = { { role = 1 } } }, "^privileges%[1%]%.role: expected a string" },
      { { privileges = { { views = "reporting" } } }, "^privileges%[1%]%.views: expected an array" },
      { { src_ips = { "1.2.3.4", 5 } }, "^src_ips%[2%]: expected a string" },
    }
    for _, c in ipairs(cases) do
      assert.matches(c[2], check.token(c[1]) or "(accepted)")
    end
  end)

  it("names the item of a list", function()
    assert.matches("^%[2%]%.name", check.tokens { { name = "a" }, { name = true } })
  end)
end)
