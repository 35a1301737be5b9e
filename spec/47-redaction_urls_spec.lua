-- URLs and paths a server wrote (a `next` link, a Location) are redacted as
-- bodies are: the client's token never shows in `tostring(err)`, `err.path`,
-- `err.url`, the log hook or the CLI's lines; URL credentials never show,
-- in configuration errors either.
local core = require "mistapi.core"
local emu = require "support.emulator"
local mistapi = require "mistapi"
local shell = require "support.shell"

local ROOT = os.getenv("PWD") or "."
local SCRIPT = ROOT .. "/bin/mistapi-tokens"

local function no_env() return nil end

-- Every string in a value (an error's fields, a log entry), with where it was.
local function strings(v, where, out, seen)
  out, seen = out or {}, seen or {}
  if type(v) == "string" then
    out[#out + 1] = { where, v }
  elseif type(v) == "table" and not seen[v] then
    seen[v] = true
    for k, x in pairs(v) do strings(x, where .. "." .. tostring(k), out, seen) end
  end
  return out
end

local function assert_hidden(secret, ...)
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    local all = strings(v, "#" .. i)
    if type(v) == "table" then all[#all + 1] = { "tostring #" .. i, tostring(v) } end
    for _, s in ipairs(all) do
      assert.is_nil(s[2]:find(secret, 1, true), s[1] .. " shows the secret")
    end
  end
end

describe("a server's next link holding the client's token", function()
  local e, c, log
  local LIST = "/api/v1/orgs/00000000-0000-4000-8000-00000000aaaa/sites"

  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function()
    e:reset()
    log = {}
    c = assert(mistapi.new { base_url = e.url, token = e.token, getenv = no_env, max_retries = 0,
      log = function(entry) log[#log + 1] = entry end })
  end)
  after_each(function() c:close() end)

  local function leaky_page()
    return { kind = "raw", status = 200, method = "GET", path = LIST,
      headers = { ["Content-Type"] = "application/json" },
      body = core.encode { results = { { id = "a" } }, next = "/api/v1/leak?token=" .. e.token } }
  end

  it("is hidden in the error of the next page's HTTP failure and in the log", function()
    e:fault(leaky_page())
    local res, err = c:get_all(LIST)
    assert.is_nil(res)
    assert.same("http", err.kind)
    assert.matches("/api/v1/leak%?token=%[redacted%]", err.path)
    assert.matches("%[redacted%]", err.url)
    assert.same(2, #log)
    assert_hidden(e.token, err, log)
  end)

  it("is hidden when the next page can't be read, or never answers", function()
    e:fault { leaky_page(), { kind = "raw", status = 200, method = "GET", path = "/api/v1/leak", body = "not json" } }
    local _, err = c:get_all(LIST)
    assert.same("decode", err.kind)
    assert_hidden(e.token, err, log)
    -- twice: curl sends once more by itself when a reused connection closes unanswered
    e:fault { leaky_page(), { kind = "close", before_headers = true, phase = "before", method = "GET",
      path = "/api/v1/leak", count = 2 } }
    _, err = c:get_all(LIST)
    assert.same("transport", err.kind)
    assert.matches("%[redacted%]", err.path)
    assert_hidden(e.token, err, log)
  end)

  it("is hidden in the error of a walk stopped by max_pages", function()
    e:fault(leaky_page())
    local _, err = c:get_all(LIST, { max_pages = 1 })
    assert.same("decode", err.kind)
    assert.matches("max_pages", err.message)
    assert.matches("%[redacted%]", err.path)
    assert_hidden(e.token, err, log)
  end)
end)

describe("URL credentials", function()
  local e
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function() e:reset() end)

  it("never show in a redirect's error", function()
    local c = assert(mistapi.new { base_url = e.url, token = e.token, getenv = no_env })
    e:fault { kind = "redirect", location = "https://someone:l0cati0npw@elsewhere.invalid/x", method = "GET" }
    local _, err = c:get_self()
    c:close()
    assert.same(302, err.status)
    assert.matches("elsewhere%.invalid", tostring(err))
    assert_hidden("l0cati0npw", err)
  end)

  it("never show in configuration errors", function()
    local _, err = mistapi.new { base_url = "https://someone:c0nfigpw@api.mist.com/api", token = "t",
      getenv = no_env }
    assert.same("validation", err.kind)
    assert_hidden("c0nfigpw", err)
    local env = { MIST_HOST = "https://someone:h0stpw@api.mist.com", MIST_BASE_URL = "https://api.eu.mist.com",
      MIST_APITOKEN = "t" }
    _, err = mistapi.new { getenv = function(name) return env[name] end }
    assert.matches("disagree", err.message)
    assert_hidden("h0stpw", err)
  end)

  it("never show in the CLI's error line", function()
    local r = shell.capture(("MIST_APITOKEN=t MIST_HOST=%s %s list"):format(
      shell.quote("https://someone:cl1pw@api.mist.com/x"), shell.quote(SCRIPT)))
    assert.is_true(r.status ~= 0)
    assert.matches("base_url", r.err)
    assert.is_nil((r.out .. r.err):find("cl1pw", 1, true))
  end)

  it("never show in the CLI's --debug and error lines (a next link's)", function()
    local _, tokens = e:api("GET", e:tokens_path())
    e:fault { kind = "raw", status = 200, method = "GET", path = e:tokens_path(),
      headers = { ["Content-Type"] = "application/json" },
      body = core.encode { results = { tokens[1] },
        next = "/api/v1/leak?back=https://someone:d3bugpw@elsewhere.invalid/" } }
    local r = shell.capture(("%s %s --debug list"):format(shell.client_env(e), shell.quote(SCRIPT)))
    assert.is_true(r.status ~= 0)
    assert.truthy(r.err:find("debug: GET " .. e.url .. "/api/v1/leak", 1, true), r.err)
    assert.matches("%[redacted%]@elsewhere", r.err)
    assert.is_nil((r.out .. r.err):find("d3bugpw", 1, true))
  end)
end)
