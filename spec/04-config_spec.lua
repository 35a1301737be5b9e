-- Client options: defaults, clouds, the environment, and what is refused.
local config = require "mistapi.config"

local function env_of(vars)
  return function(name) return vars[name] end
end

describe("config.resolve", function()
  it("applies the documented defaults", function()
    local s = assert(config.resolve { token = "abcdefgh12345678", getenv = env_of {} })
    assert.same("https://api.mist.com", s.base_url)
    assert.same(30, s.timeout)
    assert.same(10, s.connect_timeout)
    assert.same(3, s.max_retries)
    assert.same(64 * 1024 * 1024, s.max_body)
    assert.same({ "abcdefgh12345678" }, s.tokens)
    assert.is_false(s.allow_http)
  end)

  it("maps every cloud of the spec's servers list by short name", function()
    local want = {
      global01 = "api.mist.com", global02 = "api.gc1.mist.com", global03 = "api.ac2.mist.com",
      global04 = "api.gc2.mist.com", global05 = "api.gc4.mist.com", emea01 = "api.eu.mist.com",
      emea02 = "api.gc3.mist.com", emea03 = "api.ac6.mist.com", emea04 = "api.gc6.mist.com",
      apac01 = "api.ac5.mist.com", apac02 = "api.gc5.mist.com", apac03 = "api.gc7.mist.com",
    }
    for cloud, host in pairs(want) do
      local s = assert(config.resolve { cloud = cloud, token = "t0123456789", getenv = env_of {} })
      assert.same("https://" .. host, s.base_url)
    end
    local s, err = config.resolve { cloud = "mars01", token = "t0123456789", getenv = env_of {} }
    assert.is_nil(s)
    assert.same("validation", err.kind)
    assert.matches("mars01", err.message)
  end)

  it("takes host, then base_url, then MIST_HOST", function()
    assert.same("https://api.eu.mist.com",
      config.resolve { host = "api.eu.mist.com", token = "t0123456789", getenv = env_of {} }.base_url)
    assert.same("https://api.ac5.mist.com",
      config.resolve { token = "t0123456789", getenv = env_of { MIST_HOST = "api.ac5.mist.com" } }.base_url)
    assert.same("http://127.0.0.1:8080",
      config.resolve { base_url = "http://127.0.0.1:8080/", token = "t0123456789", getenv = env_of {} }.base_url)
  end)

  it("reads one or several tokens from MIST_APITOKEN, then MIST_API_TOKEN", function()
    local s = assert(config.resolve { getenv = env_of { MIST_APITOKEN = "aaaaaaaa1,bbbbbbbb2" } })
    assert.same({ "aaaaaaaa1", "bbbbbbbb2" }, s.tokens)
    s = assert(config.resolve { getenv = env_of { MIST_API_TOKEN = "cccccccc3" } })
    assert.same({ "cccccccc3" }, s.tokens)
  end)

  it("reads an env file when the environment is silent", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write("# comment\nMIST_HOST=api.gc1.mist.com\nexport MIST_APITOKEN=\"dddddddd4\"\n")
    f:close()
    local s = assert(config.resolve { env_file = path, getenv = env_of {} })
    os.remove(path)
    assert.same("https://api.gc1.mist.com", s.base_url)
    assert.same({ "dddddddd4" }, s.tokens)
  end)

  it("refuses a missing token with a validation error", function()
    local s, err = config.resolve { getenv = env_of {} }
    assert.is_nil(s)
    assert.same("validation", err.kind)
    assert.matches("MIST_APITOKEN", err.message)
  end)

  it("refuses a token that could break the header", function()
    local s, err = config.resolve { token = "abc\r\nX-Evil: 1", getenv = env_of {} }
    assert.is_nil(s)
    assert.same("validation", err.kind)
    assert.not_matches("Evil", tostring(err))
  end)

  it("allows plain http only to loopback, or when asked", function()
    local s, err = config.resolve { base_url = "http://example.com", token = "t0123456789", getenv = env_of {} }
    assert.is_nil(s)
    assert.matches("loopback", err.message)
    s = assert(config.resolve { base_url = "http://example.com", insecure_http = true,
                                token = "t0123456789", getenv = env_of {} })
    assert.is_true(s.allow_http)
    for _, url in ipairs { "http://localhost:1", "http://127.0.0.9:2", "http://[::1]:3" } do
      assert.is_true(config.resolve { base_url = url, token = "t0123456789", getenv = env_of {} }.allow_http)
    end
  end)

  it("refuses credentials and paths in base_url", function()
    assert.is_nil(config.resolve { base_url = "https://u:p@api.mist.com", token = "t0123456789", getenv = env_of {} })
    assert.is_nil(config.resolve { base_url = "https://api.mist.com/api", token = "t0123456789", getenv = env_of {} })
  end)

  it("raises on wrong option types and unknown options (misuse)", function()
    assert.has_error(function() config.resolve { timeout = "30", token = "t0123456789" } end)
    assert.has_error(function() config.resolve { tiemout = 30, token = "t0123456789" } end)
    assert.has_error(function() config.resolve("token") end)
  end)

  it("refuses values out of range", function()
    for _, o in ipairs { { timeout = 0 }, { timeout = -1 }, { max_retries = 1.5 }, { max_retries = -1 },
                         { transport = "carrier-pigeon" } } do
      o.token, o.getenv = "t0123456789", env_of {}
      local s, err = config.resolve(o)
      assert.is_nil(s)
      assert.same("validation", err.kind)
    end
  end)
end)
