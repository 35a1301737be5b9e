-- The ngx transport's pure parts, outside nginx, on every ABI: URL parsing
-- and the request's bytes. (The wire itself is proven in nginx by spec 52.)
local ngx_http = require "mistapi.transport.ngx_http"

describe("ngx_http.parse_url", function()
  it("splits scheme, host, port and target, with default ports", function()
    assert.same({ scheme = "https", host = "api.mist.com", port = 443, authority = "api.mist.com",
                  target = "/api/v1/self" }, ngx_http.parse_url("https://api.mist.com/api/v1/self"))
    local u = ngx_http.parse_url("http://127.0.0.1:8080?x=1#frag")
    assert.equal(8080, u.port)
    assert.equal("/?x=1", u.target)
    assert.equal("/", ngx_http.parse_url("HTTP://Example.COM").target)
    assert.equal("example.com", ngx_http.parse_url("HTTP://Example.COM").host)
  end)

  it("takes a bracketed IPv6 host", function()
    local u = ngx_http.parse_url("http://[::1]:9000/a")
    assert.equal("::1", u.host)
    assert.equal(9000, u.port)
    assert.equal("[::1]:9000", u.authority)
  end)

  it("refuses what it can't send", function()
    assert.same({ nil, "not an absolute URL" }, { ngx_http.parse_url("/relative") })
    assert.same({ nil, "scheme ftp is not supported" }, { ngx_http.parse_url("ftp://h/") })
    assert.same({ nil, "credentials in the URL are not accepted" }, { ngx_http.parse_url("https://u:p@h/") })
    assert.same({ nil, "port out of range" }, { ngx_http.parse_url("http://h:70000/") })
  end)
end)

describe("ngx_http.format_request", function()
  local u = ngx_http.parse_url("http://127.0.0.1:8080/api/v1/orgs?limit=1")

  it("writes the request line, Host, headers, User-Agent and the body with its length", function()
    local text = ngx_http.format_request("POST", u, { Accept = "application/json" }, '{"a":1}', "ua/1")
    local head, body = text:match("^(.-)\r\n\r\n(.*)$")
    assert.equal('{"a":1}', body)
    local lines = {}
    for line in (head .. "\r\n"):gmatch("(.-)\r\n") do lines[#lines + 1] = line end
    assert.equal("POST /api/v1/orgs?limit=1 HTTP/1.1", lines[1])
    assert.equal("Host: 127.0.0.1:8080", lines[2])
    table.sort(lines, function(a, b) return a < b end)
    assert.same({ "Accept: application/json", "Content-Length: 7", "Host: 127.0.0.1:8080",
                  "POST /api/v1/orgs?limit=1 HTTP/1.1", "User-Agent: ua/1" }, lines)
  end)

  it("sends Content-Length: 0 on a PUT or POST without a body, none on a GET", function()
    assert.truthy(ngx_http.format_request("PUT", u, {}, nil, "ua"):find("\r\nContent-Length: 0\r\n", 1, true))
    assert.falsy(ngx_http.format_request("GET", u, {}, nil, "ua"):find("Content-Length", 1, true))
  end)

  it("keeps the caller's User-Agent", function()
    local text = ngx_http.format_request("GET", u, { ["user-agent"] = "mine" }, nil, "default")
    assert.truthy(text:find("\r\nuser-agent: mine\r\n", 1, true))
    assert.falsy(text:find("default", 1, true))
  end)

  it("refuses a header that would split the request, without echoing its value", function()
    local secret = "Token s3cr3t-value-0123456789"
    local text, err = ngx_http.format_request("GET", u, { Authorization = secret .. "\r\nX-Evil: 1" }, nil, "ua")
    assert.is_nil(text)
    assert.equal("header Authorization has a forbidden character", err)
    assert.is_nil(ngx_http.format_request("GET", u, { ["Bad Name"] = "v" }, nil, "ua"))
    assert.is_nil(ngx_http.format_request("get me", u, {}, nil, "ua"))
  end)
end)

describe("transport.ngx outside nginx", function()
  it("is refused at once: it needs nginx's Lua module", function()
    local mistapi = require "mistapi"
    assert.has_error(function()
      mistapi.new { transport = "ngx", token = "abcdefghijkl", base_url = "http://127.0.0.1:1" }
    end, "mistapi: transport \"ngx\" needs nginx with the Lua module")
  end)

  it("auto picks curl outside nginx", function()
    assert.equal("curl", require("mistapi.transport").choose("auto"))
  end)
end)

describe("the ngx transport's options", function()
  local mistapi = require "mistapi"
  local base = { token = "abcdefghijkl", base_url = "http://127.0.0.1:1" }
  local function with(extra)
    local o = {}
    for k, v in pairs(base) do o[k] = v end
    for k, v in pairs(extra) do o[k] = v end
    return o
  end

  it("takes keepalive_timeout (seconds, above 0) and pool_size (1 to 10000)", function()
    assert.is_table(mistapi.new(with { keepalive_timeout = 0.5, pool_size = 1 }))
    for _, bad in ipairs { { keepalive_timeout = 0 }, { keepalive_timeout = -1 }, { pool_size = 0 },
                           { pool_size = 1.5 }, { pool_size = 10001 } } do
      local c, err = mistapi.new(with(bad))
      assert.is_nil(c)
      assert.equal("validation", err.kind)
      assert.matches(next(bad), err.message, 1, true)
    end
    assert.has_error(function() mistapi.new(with { pool_size = "4" }) end)
  end)

  it("refuses what it can't do before anything is sent: no retry follows a permanent failure", function()
    local retry = require "mistapi.retry"
    assert.is_false(retry.may_retry({ idempotent = true }, nil, { kind = "transport", reached = false,
                                                                 permanent = true }))
    assert.is_true(retry.may_retry({ idempotent = true }, nil, { kind = "transport", reached = false }))
    -- a request target refused by either transport is one of them
    assert.is_false(retry.may_retry({ idempotent = true }, nil, require("mistapi.target").refusal("off the base URL")))
  end)

  it("says why a client with ca_file, ca_path or proxy can't be made", function()
    local T = require "mistapi.transport.ngx"
    assert.is_nil(T.unusable {})
    assert.matches("lua_ssl_trusted_certificate", T.unusable { ca_file = "/x" }, 1, true)
    assert.matches("^ca_path: ", T.unusable { ca_path = "/x" })
    assert.matches("^proxy: ", T.unusable { proxy = "http://127.0.0.1:3128" })
  end)
end)
