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

  it("reads MIST_BASE_URL (0.1.0's name) when MIST_HOST is not set", function()
    assert.same("http://127.0.0.1:8080", config.resolve { token = "t0123456789",
      getenv = env_of { MIST_BASE_URL = "http://127.0.0.1:8080" } }.base_url)
    assert.same("https://api.eu.mist.com", config.resolve { token = "t0123456789",
      getenv = env_of { MIST_HOST = "api.eu.mist.com", MIST_BASE_URL = "https://api.eu.mist.com/" } }.base_url)
  end)

  it("refuses MIST_HOST and MIST_BASE_URL that name different APIs", function()
    local s, err = config.resolve { token = "t0123456789",
      getenv = env_of { MIST_HOST = "api.mist.com", MIST_BASE_URL = "http://127.0.0.1:8080" } }
    assert.is_nil(s)
    assert.same("validation", err.kind)
    assert.matches("MIST_HOST", err.message, 1, true)
    assert.matches("MIST_BASE_URL", err.message, 1, true)
    -- an option settles it: the environment is not consulted then
    assert.same("https://api.ac2.mist.com", config.resolve { host = "api.ac2.mist.com", token = "t0123456789",
      getenv = env_of { MIST_HOST = "api.mist.com", MIST_BASE_URL = "http://127.0.0.1:8080" } }.base_url)
  end)

  it("expands ~ in env_file to $HOME", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -m 700 " .. dir))
    local f = assert(io.open(dir .. "/.mist_env", "w"))
    f:write("MIST_HOST=api.ac6.mist.com\nMIST_APITOKEN=eeeeeeee5\nMIST_ORG_ID=9777c1a0-6ef6-11e6-8bbf-02e208b2d34f\n")
    f:close()
    local s, err = config.resolve { env_file = "~/.mist_env", getenv = env_of { HOME = dir } }
    os.remove(dir .. "/.mist_env")
    os.remove(dir)
    assert.is_nil(err)
    assert.same("https://api.ac6.mist.com", s.base_url)
    assert.same({ "eeeeeeee5" }, s.tokens)
    assert.same("9777c1a0-6ef6-11e6-8bbf-02e208b2d34f", s.org_id)
  end)

  it("reads ~/.mist_env only when nothing else gives a token, and says where it looked", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -m 700 " .. dir))
    -- no file there: the error names it
    local s, err = config.resolve { getenv = env_of { HOME = dir } }
    assert.is_nil(s)
    assert.equal("validation", err.kind)
    assert.truthy(err.message:find("MIST_APITOKEN, MIST_API_TOKEN, MIST_USER/MIST_PASSWORD", 1, true), err.message)
    assert.truthy(err.message:find("the env file ~/.mist_env (none there)", 1, true), err.message)
    assert.equal("~/.mist_env (none there)", err.looked_in)

    local f = assert(io.open(dir .. "/.mist_env", "w"))
    f:write("MIST_HOST=api.gc3.mist.com\nMIST_APITOKEN=gggggggg7\n")
    f:close()
    s = assert(config.resolve { getenv = env_of { HOME = dir } })
    assert.same({ "gggggggg7" }, s.tokens)
    assert.same("https://api.gc3.mist.com", s.base_url)
    -- a token from the environment or an option: the file is not read at all
    s = assert(config.resolve { getenv = env_of { HOME = dir, MIST_APITOKEN = "hhhhhhhh8" } })
    assert.same({ "hhhhhhhh8" }, s.tokens)
    assert.same("https://api.mist.com", s.base_url)
    s = assert(config.resolve { token = "iiiiiiii9", getenv = env_of { HOME = dir } })
    assert.same("https://api.mist.com", s.base_url)
    -- an env file named elsewhere that lacks a token: that one is named
    local other = dir .. "/other.env"
    f = assert(io.open(other, "w"))
    f:write("MIST_HOST=api.gc3.mist.com\n")
    f:close()
    s, err = config.resolve { env_file = other, getenv = env_of { HOME = dir } }
    assert.is_nil(s)
    assert.truthy(err.message:find("the env file " .. other, 1, true), err.message)
    os.remove(other)
    os.remove(dir .. "/.mist_env")
    os.remove(dir)
  end)

  it("finds the env file through MIST_ENV_FILE when no env_file is passed", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write("MIST_HOST=api.gc2.mist.com\nMIST_APITOKEN=ffffffff6\n")
    f:close()
    local s = config.resolve { getenv = env_of { MIST_ENV_FILE = path } }
    os.remove(path)
    assert.same("https://api.gc2.mist.com", s.base_url)
    assert.same({ "ffffffff6" }, s.tokens)
  end)

  it("takes org_id from the option, else MIST_ORG_ID", function()
    local org = "9777c1a0-6ef6-11e6-8bbf-02e208b2d34f"
    assert.same(org, config.resolve { token = "t0123456789", getenv = env_of { MIST_ORG_ID = org } }.org_id)
    assert.same("x",
      config.resolve { token = "t0123456789", org_id = "x", getenv = env_of { MIST_ORG_ID = org } }.org_id)
    assert.is_nil(config.resolve { token = "t0123456789", getenv = env_of {} }.org_id)
  end)

  it("reads only the variables it declares, and the README's table lists each", function()
    local function slurp(path)
      local f = assert(io.open(path))
      local text = f:read("*a")
      f:close()
      return text
    end
    local declared = {}
    for _, name in ipairs(config.VARIABLES) do declared[name] = true end
    local read = 0
    for name in slurp("lua/mistapi/config.lua"):gmatch('env%("(MIST_[%u_]+)"%)') do   -- env( and getenv(
      read = read + 1
      assert.is_true(declared[name] == true, name .. " is read but not in config.VARIABLES")
    end
    assert.is_true(read >= #config.VARIABLES)
    local rows = {}
    for line in slurp("README.md"):match("\n## Configuration\n(.-)\n## "):gmatch("[^\n]+") do
      local first = line:match("^|([^|]*)|")
      if first then rows[#rows + 1] = first end
    end
    local first_column = table.concat(rows, "\n")
    for _, name in ipairs(config.VARIABLES) do
      assert.truthy(first_column:find("`" .. name .. "`", 1, true), name .. " is missing from the README's table")
    end
  end)

  it("names the option a misspelt one meant", function()
    local ok, err = pcall(config.resolve, { max_retry = 2, token = "t0123456789" })
    assert.is_false(ok)
    assert.matches('unknown option "max_retry" (did you mean `max_retries`?)', err, 1, true)
    ok, err = pcall(config.resolve, { timout = 2, token = "t0123456789" })
    assert.is_false(ok)
    assert.matches("did you mean `timeout`?", err, 1, true)
    ok, err = pcall(config.resolve, { frobnicate = true, token = "t0123456789" })
    assert.is_false(ok)
    assert.matches('unknown option "frobnicate"', err, 1, true)
    assert.is_nil(err:find("did you mean", 1, true))
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
