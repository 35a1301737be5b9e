-- Retry rules: which outcomes are tried again, back-off, Retry-After.
local retry = require "mistapi.retry"

local GET = { idempotent = true }
local POST = { idempotent = false }

describe("retry.may_retry", function()
  it("tries GET, PUT and DELETE again on 408, 429 and 5xx gateway errors and on transport failures", function()
    for _, status in ipairs { 408, 429, 500, 502, 503, 504 } do
      assert.is_true(retry.may_retry(GET, status), status)
    end
    for _, status in ipairs { 400, 401, 403, 404, 501 } do
      assert.is_false(retry.may_retry(GET, status), status)
    end
    assert.is_true(retry.may_retry(GET, nil, { kind = "timeout", reached = true }))
  end)

  it("tries a create again only when the server surely never did it", function()
    assert.is_true(retry.may_retry(POST, 429))
    assert.is_false(retry.may_retry(POST, 500))
    assert.is_false(retry.may_retry(POST, 503))
    assert.is_false(retry.may_retry(POST, nil, { kind = "timeout", reached = true }))
    assert.is_true(retry.may_retry(POST, nil, { kind = "transport", reached = false }))
  end)
end)

describe("retry.backoff", function()
  it("is full jitter below an exponential ceiling and the cap", function()
    assert.same(0, retry.backoff(3, 1, 60, function() return 0 end))
    assert.same(8, retry.backoff(3, 1, 60, function() return 1 end))
    assert.same(60, retry.backoff(10, 1, 60, function() return 1 end))
    assert.same(0.25, retry.backoff(0, 0.5, 60, function() return 0.5 end))
  end)
end)

describe("retry.parse_retry_after", function()
  it("reads delta-seconds", function()
    assert.same(2, retry.parse_retry_after("2"))
    assert.same(120, retry.parse_retry_after(" 120 "))
  end)
  it("reads an HTTP-date against the given clock", function()
    -- Sun, 06 Nov 1994 08:49:37 GMT is 784111777
    assert.same(10, retry.parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111767))
    assert.same(0, retry.parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111800))
  end)
  it("ignores nonsense", function()
    assert.is_nil(retry.parse_retry_after("soon"))
    assert.is_nil(retry.parse_retry_after("-5"))
    assert.is_nil(retry.parse_retry_after(nil))
  end)
end)
