-- The example nginx server (examples/openresty) against the emulator, over
-- real HTTP: the listing, errors mapped to statuses, rotation, and a worker
-- that keeps serving while a handler waits on the Mist API.
-- nginx runs LuaJIT itself, so these run once, in the Lua 5.4 run.
if jit then
  pending("nginx specs run in the Lua 5.4 run only")
  return
end

local cjson = require "cjson"
local core = require "mistapi.core"
local emulator = require "support.emulator"
local nginx_app = require "support.nginx_app"
local raw = require "support.raw_server"
local shell = require "support.shell"

local function is_masked(key)
  return type(key) == "string" and key:match("^[%w]+%.%.%.[%w]+$") ~= nil and #key <= 11
end

local sh_quote = shell.quote

describe("examples/openresty in nginx", function()
  local e, app

  setup(function()
    e = emulator.start()
    app = nginx_app.start { env = { MIST_APITOKEN = e.token, MIST_ORG_ID = e.org_id, MIST_HOST = e.url } }
  end)

  teardown(function()
    if app then app:stop() end
    if e then e:stop() end
  end)

  before_each(function()
    e:reset()
  end)

  it("GET /tokens lists the org's tokens as JSON with the keys masked", function()
    local made = e:make_token { name = "listed-token", privileges = { { role = "read", scope = "org" } } }
    local ids = e:seed(3)
    local status, headers, body = app:request("GET", "/tokens")
    assert.equal(200, status)
    assert.matches("^application/json", headers["content-type"])
    assert.is_nil(body:find(made.key, 1, true))
    local list = cjson.decode(body)
    assert.equal(5, #list)   -- the bootstrap token, the made one, three seeded
    local seen = {}
    for _, t in ipairs(list) do
      seen[t.id] = t
      assert.is_true(is_masked(t.key))
      assert.equal(e.org_id, t.org_id)
    end
    assert.equal("listed-token", seen[made.id].name)
    assert.same({ { role = "read", scope = "org" } }, seen[made.id].privileges)
    for _, id in ipairs(ids) do assert.is_table(seen[id]) end
  end)

  it("answers 405 for a method the route does not serve", function()
    assert.equal(405, (app:request("POST", "/tokens", {}, "")))
  end)

  it("rotates a token: a new one like it, the old one deleted, the new key shown once", function()
    local old = e:make_token { name = "rotate-me", privileges = { { role = "admin", scope = "org" } },
                               src_ips = { "127.0.0.1", "10.0.0.0/8" } }
    local status, headers, body = app:request("POST", "/tokens/" .. old.id .. "/rotate", {}, "")
    assert.equal(200, status)
    assert.equal("no-store", headers["cache-control"])
    local doc = cjson.decode(body)
    assert.is_true(doc.old_deleted)
    assert.equal(old.id, doc.replaced)
    assert.are_not.equal(old.id, doc.token.id)
    assert.equal("rotate-me", doc.token.name)
    assert.same({ "127.0.0.1", "10.0.0.0/8" }, doc.token.src_ips)
    assert.same({ { role = "admin", scope = "org" } }, doc.token.privileges)
    assert.is_true(type(doc.token.key) == "string" and #doc.token.key > 20 and not is_masked(doc.token.key))
    assert.equal(404, (e:request("GET", e:tokens_path(old.id), { Authorization = "Token " .. e.token })))
    local got = { e:request("GET", e:tokens_path(doc.token.id), { Authorization = "Token " .. e.token }) }
    assert.equal(200, got[1])
    -- the new key works against the API
    assert.equal(200, (e:request("GET", e:tokens_path(), { Authorization = "Token " .. doc.token.key })))
  end)

  it("refuses to rotate the token it runs with, and keeps serving", function()
    local own
    for _, t in ipairs(cjson.decode(select(3, app:request("GET", "/tokens")))) do
      if t.key == e.token:sub(1, 4) .. "..." .. e.token:sub(-4) then own = t.id end
    end
    assert.is_string(own)
    e:clear_log()
    local status, _, body = app:request("POST", "/tokens/" .. own .. "/rotate", {}, "")
    assert.equal(409, status)
    assert.matches("rotate_token.lua", cjson.decode(body).message, 1, true)
    for _, entry in ipairs(e:log()) do assert.are_not.equal("POST", entry.method) end   -- nothing made
    assert.equal(200, (e:request("GET", e:tokens_path(own), { Authorization = "Token " .. e.token })))
    assert.equal(200, (app:request("GET", "/tokens")))
  end)

  it("deletes the old token only once the new key has worked", function()
    local old = e:make_token { name = "keep-me", privileges = { { role = "admin", scope = "org" } } }
    -- the new key's first call (GET /api/v1/self) is refused as a bad key would be
    e:fault { kind = "status", status = 401, method = "GET", path = "/api/v1/self", count = 5 }
    local status, _, body = app:request("POST", "/tokens/" .. old.id .. "/rotate", {}, "")
    e:clear_faults()
    assert.equal(502, status)
    local doc = cjson.decode(body)
    assert.is_false(doc.old_deleted)
    assert.matches("the old token is untouched", doc.message, 1, true)
    local list = { e:request("GET", e:tokens_path(), { Authorization = "Token " .. e.token }) }
    local names = {}
    for _, t in ipairs(cjson.decode(list[3])) do names[#names + 1] = t.name end
    assert.same({ "emulator bootstrap token", "keep-me" }, names)   -- the replacement is gone
  end)

  it("answers only with the shared secret: none, a wrong one, a cross-site form", function()
    local victim = e:make_token { name = "victim", privileges = { { role = "admin", scope = "org" } } }
    e:clear_log()
    local status, headers = app:raw_request("GET", "/tokens")
    assert.equal(401, status)
    assert.matches("^Bearer", headers["www-authenticate"])
    assert.equal(401, (app:request("GET", "/tokens", { Authorization = "Bearer " .. ("x"):rep(32) })))
    assert.equal(401, (app:request("GET", "/tokens", { Authorization = "Token " .. app.secret })))
    -- what a page on another site can send: a form POST, no Authorization header
    assert.equal(401, (app:raw_request("POST", "/tokens/" .. victim.id .. "/rotate",
      { Origin = "http://evil.example", ["Content-Type"] = "application/x-www-form-urlencoded" }, "a=1")))
    assert.same({}, e:log())   -- the Mist API was never asked
    assert.equal(200, (e:request("GET", e:tokens_path(victim.id), { Authorization = "Token " .. e.token })))
  end)

  it("answers 421 to a Host that is not its own (DNS rebinding)", function()
    e:clear_log()
    local status, _, body = app:request("GET", "/tokens", { Host = "rebind.example:" .. app.port })
    assert.equal(421, status)
    assert.is_nil(body:find("org_id", 1, true))
    assert.equal(421, (app:request("POST", "/tokens/4a7a1b0e-0c6f-4cbd-9f51-6b1e9f0b0c01/rotate",
      { Host = "rebind.example" }, "")))
    assert.same({}, e:log())
    assert.equal(200, (app:request("GET", "/tokens", { Host = "localhost:" .. app.port })))
  end)

  it("maps the API's 404 to a 404 JSON answer", function()
    local status, headers, body = app:request("POST", "/tokens/4a7a1b0e-0c6f-4cbd-9f51-6b1e9f0b0c01/rotate", {}, "")
    assert.equal(404, status)
    assert.matches("^application/json", headers["content-type"])
    local doc = cjson.decode(body)
    assert.equal("http", doc.error)
    assert.equal(404, doc.status)
  end)

  it("answers 400 for an id that is not a UUID, before asking the API", function()
    e:clear_log()
    local status, _, body = app:request("POST", "/tokens/not-a-uuid/rotate", {}, "")
    assert.equal(400, status)
    assert.equal("validation", cjson.decode(body).error)
    assert.same({}, e:log())
  end)

  it("retries a 503 inside nginx and then answers 200", function()
    e:fault { kind = "status", status = 503, count = 1, headers = { ["Retry-After"] = "0" } }
    e:clear_log()
    local status = app:request("GET", "/tokens")
    assert.equal(200, status)
    local seen = {}
    for _, entry in ipairs(e:log()) do seen[#seen + 1] = entry.status end
    assert.same({ 503, 200 }, seen)
  end)

  it("maps an API 5xx to 502", function()
    e:fault { kind = "status", status = 500, count = 5 }
    local status, _, body = app:request("GET", "/tokens")
    assert.equal(502, status)
    local doc = cjson.decode(body)
    assert.equal(500, doc.status)
    e:clear_faults()
  end)

  it("never shows the API token in an answer or the error log", function()
    e:fault { kind = "status", status = 401, count = 2 }
    local status, _, body = app:request("GET", "/tokens")
    assert.equal(502, status)
    assert.is_nil(body:find(e.token, 1, true))
    assert.is_nil(app:error_log():find(e.token, 1, true))
    e:clear_faults()
  end)

  it("does not block the worker while a handler waits on the API", function()
    -- an API that reads the request and answers only when told: the handler
    -- waits on it for as long as this spec wants, with no guess at time
    local api = raw.start { { wait = true, chunks = {
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]" } },
      lifetime = 60 }
    local slow_app = nginx_app.start { env = { MIST_APITOKEN = e.token, MIST_ORG_ID = e.org_id,
      MIST_HOST = api.url } }
    finally(function() slow_app:stop() api:stop() end)
    -- the slow request comes from another process, so this one stays free
    local out = slow_app.dir .. "/slow.out"
    local script = slow_app.dir .. "/slow.lua"
    local f = assert(io.open(script, "w"))
    f:write(([[
      package.cpath = %q .. ";" .. package.cpath
      local core = require "mistapi.core"
      local s = core.session { allow_http = true, timeout = 60 }
      local status = s:request("GET", %q, { Authorization = %q }, nil)
      local f = io.open(%q, "w"); f:write(tostring(status), "\n"); f:close()
    ]]):format(nginx_app.ROOT .. "/build/5.4/?.so", slow_app.url .. "/tokens", "Bearer " .. slow_app.secret, out))
    f:close()
    os.execute("lua5.4 " .. sh_quote(script) .. " >/dev/null 2>&1 &")
    for _ = 1, 1000 do   -- until the handler's call has reached the API (bounded: ~20 s)
      if api:arrived() > 0 then break end
      core.sleep(0.02)
    end
    assert.equal(1, api:arrived())
    -- the worker answers another request while that handler waits; were it
    -- blocked, this would wait for ever (the API answers only when released)
    local probe = core.session { allow_http = true, timeout = 20 }
    local status = probe:request("GET", slow_app.url .. "/healthz", {}, nil)
    probe:close()
    assert.equal(200, status)
    assert.is_nil(io.open(out), "the slow request finished before the API answered")
    api:release()
    local line
    for _ = 1, 1000 do   -- the slow one must still finish, once the API has answered
      local r = io.open(out)
      if r then line = r:read("*l"); r:close() end
      if line then break end
      core.sleep(0.02)
    end
    assert.equal("200", line)
  end)
end)

describe("make openresty-conf", function()
  local function conf(vars)
    local dir = os.tmpname()
    os.remove(dir)
    local r = shell.capture(("make -C %s --no-print-directory -o deps -o build-5.1 openresty-conf OPENRESTY_DIR=%s %s")
      :format(sh_quote(nginx_app.ROOT), sh_quote(dir), vars or ""))
    r.conf = shell.read_file(dir .. "/nginx.conf")
    os.execute("rm -rf " .. sh_quote(dir))
    return r
  end

  it("takes the resolver from /etc/resolv.conf and listens on loopback", function()
    local r = conf()
    assert.equal(0, r.status)
    local ns = shell.read_file("/etc/resolv.conf"):match("\nnameserver%s+(%S+)") or
      shell.read_file("/etc/resolv.conf"):match("^nameserver%s+(%S+)")
    if ns then
      if ns:find(":", 1, true) then ns = "[" .. ns .. "]" end
      assert.truthy(r.conf:find("\n  resolver " .. ns .. " ipv6=off;", 1, true))
    end
    assert.truthy(r.conf:find("\n    listen 127.0.0.1:8080 default_server;\n    return 421;", 1, true))
    assert.truthy(r.conf:find("server_name 127.0.0.1 localhost;", 1, true))
    assert.truthy(r.conf:find("\nenv MISTAPI_APP_SECRET;", 1, true))
  end)

  it("refuses to listen on anything but loopback", function()
    local r = conf("OPENRESTY_LISTEN=0.0.0.0:8080")
    assert.is_not.equal(0, r.status)
    assert.matches("not a loopback address", r.err, 1, true)
    assert.equal("", r.conf)
  end)
end)

describe("examples/openresty with no shared secret set", function()
  it("refuses every /tokens call rather than serve without one", function()
    local e = emulator.start()
    local app = nginx_app.start { no_secret = true,
      env = { MIST_APITOKEN = e.token, MIST_ORG_ID = e.org_id, MIST_HOST = e.url } }
    local status, _, body = app:raw_request("GET", "/tokens")
    local log = e:log()
    app:stop()
    e:stop()
    assert.equal(500, status)
    assert.matches("MISTAPI_APP_SECRET", cjson.decode(body).message, 1, true)
    assert.same({}, log)
  end)
end)

describe("examples/openresty with the API down", function()
  it("answers 502 with a transport error", function()
    local dead = nginx_app.free_port()
    local app = nginx_app.start {
      env = { MIST_APITOKEN = "down-token-0123456789", MIST_ORG_ID = "4a7a1b0e-0c6f-4cbd-9f51-6b1e9f0b0c01",
              MIST_HOST = "http://127.0.0.1:" .. dead },
    }
    local status, _, body = app:request("GET", "/tokens")
    app:stop()
    assert.equal(502, status)
    local doc = cjson.decode(body)
    assert.equal("transport", doc.error)
    assert.matches("connect to 127.0.0.1:" .. dead .. " failed", doc.message, 1, true)
  end)
end)
