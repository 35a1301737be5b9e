-- The cookie jar of login sessions: Set-Cookie as the transports join it.
local cookies = require "mistapi.cookies"

describe("cookies.absorb", function()
  it("reads several cookies from one joined header, attributes and dates included", function()
    local jar = {}
    cookies.absorb(jar, "sessionid=abc123; expires=Wed, 21 Oct 2037 07:28:00 GMT; Path=/; HttpOnly, "
      .. "csrftoken=\"xyz789\"; Path=/; SameSite=Lax", 1700000000)
    assert.same({ sessionid = "abc123", csrftoken = "xyz789" }, jar)
  end)

  it("forgets a cookie emptied, with Max-Age=0, or expired", function()
    local jar = { sessionid = "a", csrftoken = "b", other = "c", kept = "d" }
    cookies.absorb(jar, "sessionid=; Path=/, csrftoken=b2; Max-Age=0, "
      .. "other=c2; Expires=Thu, 01-Jan-1970 00:00:00 GMT, kept=d2; Max-Age=3600", 1700000000)
    assert.same({ kept = "d2" }, jar)
  end)

  it("takes Set-Cookie values as a list too", function()
    local jar = {}
    cookies.absorb(jar, { "sessionid=s1; Path=/", "csrftoken=c1; Path=/" })
    assert.same({ sessionid = "s1", csrftoken = "c1" }, jar)
  end)

  it("ignores a missing header and nonsense", function()
    local jar = { a = "1" }
    cookies.absorb(jar, nil)
    cookies.absorb(jar, "; no name here")
    assert.same({ a = "1" }, jar)
  end)
end)

describe("cookies.header", function()
  it("writes a stable Cookie header, or nil for an empty jar", function()
    assert.is_nil(cookies.header({}))
    assert.same("csrftoken=b; sessionid=a", cookies.header { sessionid = "a", csrftoken = "b" })
  end)
end)
