-- mistapi.raising: the same clients, but failures raise the error object.
local emu = require "support.emulator"
local mistapi = require "mistapi"
local raising = require "mistapi.raising"

local ADMIN = { { role = "admin", scope = "org" } }
local UNKNOWN_ID = "497f6eca-6276-4993-bfeb-53efbbba6f08"

local function no_env() return nil end

describe("mistapi.raising", function()
  local e, client, tokens

  setup(function()
    e = emu.start()
    client = raising.new { base_url = e.url, token = e.token, retry_base = 0.01, getenv = no_env }
    tokens = client:orgs_api_tokens()
  end)
  teardown(function()
    client:close()
    e:stop()
  end)

  it("returns results as the ordinary style does", function()
    local made = tokens:create_org_api_token(e.org_id, { name = "raised", privileges = ADMIN })
    assert.same("raised", made.data.name)
    local got = tokens:get_org_api_token(e.org_id, made.data.id)
    assert.same(made.data.id, got.data.id)
    assert.same(2, #tokens:list_all_org_api_tokens(e.org_id).data)
    local n = 0
    for _ in tokens:each_org_api_token(e.org_id) do n = n + 1 end
    assert.same(2, n)
  end)

  it("raises the mistapi error itself on an HTTP failure", function()
    local ok, err = pcall(tokens.get_org_api_token, tokens, e.org_id, UNKNOWN_ID)
    assert.is_false(ok)
    assert.is_true(mistapi.errors.is_error(err))
    assert.is_true(err:is_not_found())
    assert.same(1, err.attempts)
    assert.matches("^mistapi: 404 GET ", tostring(err))
  end)

  it("raises validation errors, after the same retries as the ordinary style", function()
    local ok, err = pcall(tokens.get_org_api_token, tokens, e.org_id, "not-a-uuid")
    assert.is_false(ok)
    assert.same("validation", err.kind)
    e:fault { kind = "status", status = 503, count = 2, method = "GET" }
    assert.same(3, tokens:list_org_api_tokens(e.org_id).attempts)
  end)

  it("raises on a configuration that can't work", function()
    local ok, err = pcall(raising.new, { base_url = "http://example.com", token = "abcdefgh", getenv = no_env })
    assert.is_false(ok)
    assert.same("validation", err.kind)
  end)

  it("wraps an existing client and unwraps back to the nil, err style", function()
    local plain = assert(mistapi.new { base_url = e.url, token = e.token, getenv = no_env })
    local loud = raising.wrap(plain)
    assert.has_error(function() loud:orgs_api_tokens():get_org_api_token(e.org_id, UNKNOWN_ID) end)
    assert.equal(plain, raising.unwrap(loud))
    local res, err = raising.unwrap(loud):orgs_api_tokens():get_org_api_token(e.org_id, UNKNOWN_ID)
    assert.is_nil(res)
    assert.is_true(err:is_not_found())
    assert.matches("^mistapi.Client", tostring(loud))
    assert.has_error(function() raising.wrap({}) end)
    plain:close()
  end)

  it("names the caller's line in the error it raises", function()
    local line = debug.getinfo(1, "l").currentline + 1
    local ok, err = pcall(function() return tokens:get_org_api_token(e.org_id, UNKNOWN_ID) end)
    assert.is_false(ok)
    assert.equal("spec/35-raising_spec.lua:" .. line, err.raised_at)
    assert.matches("^mistapi: 404 GET .*%(raised at spec/35%-raising_spec%.lua:" .. line .. "%)$", tostring(err))
    -- a script run by lua itself shows it on the uncaught error's first line
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write(("local m = require 'mistapi.raising'\n"
      .. "local c = m.new { base_url = %q, token = %q, getenv = function() end }\n"
      .. "c:orgs_api_tokens():get_org_api_token(%q, %q)\n"):format(e.url, e.token, e.org_id, UNKNOWN_ID))
    f:close()
    local p = io.popen(("LUA_PATH_5_4='lua/?.lua;lua/?/init.lua;;' LUA_CPATH_5_4='build/5.4/?.so;;' "
      .. "lua5.4 %s 2>&1"):format(script))
    local out = p:read("*a")
    p:close()
    os.remove(script)
    local first = out:match("^[^\n]*")
    assert.truthy(first:find("mistapi: 404 GET", 1, true), first)
    assert.truthy(first:find(":3)", 1, true), first)
  end)

  it("still raises plain Lua errors on misuse", function()
    assert.has_error(function() tokens:get_org_api_token(42) end)
    assert.has_error(function() raising.new { timeout = "long" } end)
  end)
end)
