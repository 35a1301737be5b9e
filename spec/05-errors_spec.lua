-- The error type: fields, predicates, and a tostring that shows no secret.
local errors = require "mistapi.errors"

describe("mistapi.errors", function()
  it("reads like the issue's example for an HTTP error", function()
    local e = errors.new("http", "Not found.", { status = 404, method = "GET",
      path = "/api/v1/orgs/o/apitokens/t", url = "https://h/api/v1/orgs/o/apitokens/t" })
    assert.same("mistapi: 404 GET /api/v1/orgs/o/apitokens/t: Not found.", tostring(e))
    assert.is_true(e:is_not_found())
    assert.is_false(e:is_retryable())
    assert.is_true(errors.is_error(e))
  end)

  it("classifies retryable, rate-limited, unauthorized and forbidden answers", function()
    for status, retryable in pairs { [408] = true, [429] = true, [500] = true, [502] = true, [503] = true,
                                     [504] = true, [400] = false, [401] = false, [403] = false, [404] = false } do
      assert.same(retryable, errors.new("http", "x", { status = status }):is_retryable(), status)
    end
    assert.is_true(errors.new("http", "x", { status = 429 }):is_rate_limited())
    assert.is_true(errors.new("http", "x", { status = 401 }):is_unauthorized())
    assert.is_true(errors.new("http", "x", { status = 403 }):is_forbidden())
    assert.is_true(errors.new("timeout", "slow"):is_retryable())
    assert.is_true(errors.new("transport", "refused"):is_retryable())
    assert.is_false(errors.validation("bad"):is_retryable())
  end)

  it("never shows the raw body, and keeps server text on one bounded line", function()
    local e = errors.new("decode", "bad\nJSON\r\n" .. string.rep("x", 1000), { body = '{"key":"SECRETKEY123"}' })
    local s = tostring(e)
    assert.not_matches("SECRETKEY123", s)
    assert.not_matches("\n", s)
    assert.is_true(#s < 400)
  end)

  it("scrubs server text to one bounded line, a cut one marked, secrets hidden across the cut", function()
    local long = ("x"):rep(1000)
    assert.same(("x"):rep(300) .. "...", errors.tidy(long))
    assert.same(("x"):rep(300), errors.tidy(("x"):rep(300)))
    -- ESC c (a terminal reset) and the C1 CSI with its parameters go whole
    assert.same("a b x y", errors.scrub("a\r\nb\27cx \194\155?25ly"):gsub("%s+", " "))
    local secret = "tok_" .. ("s"):rep(40)
    local text = ("y"):rep(290) .. secret .. ("z"):rep(100)
    local out = errors.scrub(text, { secret })
    assert.is_nil(out:find("tok_", 1, true), "no part of the secret across the cut")
    assert.same("...", out:sub(-3))
  end)

  it("redacts every occurrence of a secret", function()
    assert.same("a [redacted] b [redacted]", errors.redact("a tok_0123456789 b tok_0123456789", { "tok_0123456789" }))
    -- a short secret (a 6-character password) is hidden too
    assert.same("[redacted]ort", errors.redact("short", { "sh" }))
  end)
end)
