-- config.resolve at its edges: each case here is one a mutation pass over
-- lua/mistapi/config.lua found no spec could see (docs/configuration.md
-- lists them). Bounds at their limits, header options, the token list, the
-- environment's precedence, ~ and the default env file, plain http's proxy.
local config = require "mistapi.config"
local emulator = require "support.emulator"
local ports = require "support.ports"
local shell = require "support.shell"

local function env_of(vars)
  return function(name) return vars[name] end
end

local TOKEN = "t0123456789"

local function resolve(o)
  o.token = o.token or TOKEN
  o.getenv = o.getenv or env_of {}
  return config.resolve(o)
end

local function refused(o, what)
  local s, err = resolve(o)
  assert.is_nil(s, what)
  assert.equal("validation", err.kind, what)
  return err
end

local function home_with(text)
  local dir = shell.unused_path()
  assert(os.execute("mkdir -m 700 " .. shell.quote(dir)))
  if text then
    local f = assert(io.open(dir .. "/.mist_env", "w"))
    f:write(text)
    f:close()
  end
  return dir
end

local function remove(dir)
  os.execute("rm -rf " .. shell.quote(dir))
end

describe("config.resolve at its edges", function()
  it("takes each number at its bound and refuses the next one past it", function()
    assert.equal(100, assert(resolve { max_retries = 100 }).max_retries)
    assert.equal(0, assert(resolve { max_retries = 0 }).max_retries)
    refused({ max_retries = 101 }, "max_retries 101")
    assert.equal(10000, assert(resolve { pool_size = 10000 }).pool_size)
    refused({ pool_size = 10001 }, "pool_size 10001")
    for _, name in ipairs { "timeout", "connect_timeout", "retry_base", "retry_cap", "deadline", "max_body",
                            "keepalive_timeout" } do
      local err = refused({ [name] = 0 / 0 }, name .. " NaN")
      assert.matches(name .. ": must be a positive number", err.message, 1, true)
      assert.is_table(resolve { [name] = 0.5 }, name .. " 0.5")
    end
  end)

  it("takes max_decoded as a whole number of bytes from 1 to 2^53", function()
    assert.equal(1, assert(resolve { max_decoded = 1 }).max_decoded)
    assert.equal(2 ^ 53, assert(resolve { max_decoded = 2 ^ 53 }).max_decoded)
    for _, bad in ipairs { 0, -1, 1.5, 2 ^ 54, 0 / 0 } do
      local err = refused({ max_decoded = bad }, "max_decoded " .. tostring(bad))
      assert.matches("max_decoded: must be a whole number of bytes, at least 1", err.message, 1, true)
    end
  end)

  it("knows the three transports by name", function()
    for _, name in ipairs { "auto", "curl", "ngx" } do
      assert.equal(name, assert(resolve { transport = name }).transport)
    end
    assert.matches('"CURL" is not one of auto, curl, ngx', refused({ transport = "CURL" }).message, 1, true)
  end)

  it("refuses an empty header option, and DEL as well as the C0 controls in one", function()
    for _, name in ipairs { "user_agent", "proxy" } do
      for _, bad in ipairs { "", "a\127b", "a\r\nX-Injected: 1", "a\0b", "a\tb" } do
        local err = refused({ [name] = bad, insecure_http = true }, ("%s %q"):format(name, bad))
        assert.matches(name .. ": must be non-empty with no control characters", err.message, 1, true)
      end
    end
    assert.equal("agent/1 (x)", assert(resolve { user_agent = "agent/1 (x)" }).user_agent)
  end)

  it("splits a token list on commas, dropping empty pieces, and refuses a blank inside a token", function()
    assert.same({ "aaaaaaaa1", "bbbbbbbb2" }, assert(resolve { token = "aaaaaaaa1,,bbbbbbbb2," }).tokens)
    assert.same({ "aaaaaaaa1", "bbbbbbbb2" },
      assert(config.resolve { getenv = env_of { MIST_APITOKEN = " aaaaaaaa1 ,, bbbbbbbb2" } }).tokens)
    for _, o in ipairs { { token = "aaaa bbbb" }, { tokens = { "aaaa\tbbbb" } }, { tokens = { "" } },
                         { token = "aaaa\127b" } } do
      local err = refused(o, "a blank or control character")
      assert.matches("must be non-empty with no spaces or control characters", err.message, 1, true)
    end
  end)

  it("reads MIST_APITOKEN before MIST_API_TOKEN, and passes over an empty variable to the env file", function()
    local s = assert(config.resolve { getenv = env_of { MIST_APITOKEN = "first1234", MIST_API_TOKEN = "second123" } })
    assert.same({ "first1234" }, s.tokens)
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write("MIST_APITOKEN=fromfile1\nMIST_HOST=api.eu.mist.com\n")
    f:close()
    s = config.resolve { env_file = path, getenv = env_of { MIST_APITOKEN = "", MIST_HOST = "" } }
    os.remove(path)
    assert.same({ "fromfile1" }, assert(s).tokens)
    assert.equal("https://api.eu.mist.com", s.base_url)
  end)

  it("takes an empty MIST_ENV_FILE as unset", function()
    local s = assert(config.resolve { getenv = env_of { MIST_ENV_FILE = "", MIST_APITOKEN = "abcdefgh1" } })
    assert.same({ "abcdefgh1" }, s.tokens)
  end)

  it("expands ~ and ~/ only, never ~user, and refuses ~ when HOME is empty", function()
    local dir = home_with("MIST_APITOKEN=inhome123\n")
    local _, err = config.resolve { env_file = "~nobody-here/x.env", getenv = env_of { HOME = dir } }
    assert.matches("env_file: ~nobody-here/x.env", err.message, 1, true)   -- opened as written, not under HOME
    for _, home in ipairs { "", false } do
      _, err = config.resolve { env_file = "~/.mist_env", getenv = env_of { HOME = home or nil } }
      assert.matches("env_file: can't expand ~: HOME is not set", err.message, 1, true)
    end
    local s = assert(config.resolve { env_file = "~/.mist_env", getenv = env_of { HOME = dir } })
    assert.same({ "inhome123" }, s.tokens)
    remove(dir)
  end)

  it("reads ~/.mist_env when the environment names a user but no password", function()
    local dir = home_with("MIST_APITOKEN=inhome456\n")
    local s = config.resolve { getenv = env_of { HOME = dir, MIST_USER = "someone@example.com" } }
    remove(dir)
    assert.same({ "inhome456" }, assert(s).tokens)
  end)

  it("takes any spelling of a loopback host for plain http; a proxy for it needs insecure_http", function()
    for _, url in ipairs { "http://LOCALHOST:8080", "http://LocalHost", "http://127.1.2.3:1", "http://[::1]:80" } do
      local s = assert(resolve { base_url = url })
      assert.is_true(s.allow_http, url)
    end
    local err = refused({ base_url = "http://127.0.0.1:8080", proxy = "http://127.0.0.1:3128" })
    assert.matches("proxy: plain http through a proxy sends the token in clear", err.message, 1, true)
    assert.is_table(resolve { base_url = "http://127.0.0.1:8080", proxy = "http://127.0.0.1:3128",
      insecure_http = true })
    assert.is_table(resolve { base_url = "https://127.0.0.1:8443", proxy = "http://127.0.0.1:3128" })
  end)

  it("refuses any user part in base_url, with or without a password", function()
    for _, url in ipairs { "https://user@api.mist.com", "https://user:pw@api.mist.com", "https://:pw@api.mist.com" } do
      local err = refused({ base_url = url }, url)
      assert.matches("credentials in the URL are not accepted", err.message, 1, true)
    end
  end)

  it("suggests the first of two names equally close", function()
    assert.equal("aa", config.closest("ab", { "ac", "aa" }))
    assert.equal("aa", config.closest("ab", { "aa", "ac" }))
  end)
end)

describe("plain http to this machine", function()
  local e
  setup(function() e = emulator.start() end)
  teardown(function() e:stop() end)

  it("goes direct whatever proxy the environment names", function()
    local dead = "http://127.0.0.1:" .. ports.dead()
    local r = shell.capture(("%s export http_proxy=%s ALL_PROXY=%s all_proxy=%s NO_PROXY= no_proxy=; %s list")
      :format(shell.client_env(e), dead, dead, dead, shell.quote((os.getenv("PWD") or ".") .. "/bin/mistapi-tokens")))
    assert.equal(0, r.status, r.err)
    assert.matches("emulator bootstrap token", r.out, 1, true)
  end)
end)
