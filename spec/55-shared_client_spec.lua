-- One client shared by concurrent light threads inside nginx (the ngx
-- transport), against the emulator: what changes at run time (the token in
-- use, the login session) is decided per attempt, not flipped by whoever
-- comes last. Also the ngx transport's User-Agent and limits, from
-- mistapi.config like the curl transport's.
-- nginx runs LuaJIT itself, so these run once, in the Lua 5.4 run.
if jit then
  pending("nginx specs run in the Lua 5.4 run only")
  return
end

local cjson = require "cjson"
local config = require "mistapi.config"
local emulator = require "support.emulator"
local nginx_app = require "support.nginx_app"

-- POST /shared {opts, kind, n, login_first, drop_sessions, org_id, ids}:
-- makes one client, optionally logs in and has the emulator drop its
-- sessions, then runs `n` calls of `kind` at once on light threads; answers
-- each call's outcome, every log hook entry, and the transport's settings.
local EXTRA = [==[
server {
  listen 127.0.0.1:@EXTRA_PORT@;
  location = /shared {
    content_by_lua_block {
      local cjson = require "cjson"
      local mistapi = require "mistapi"
      ngx.req.read_body()
      local a = cjson.decode(ngx.req.get_body_data())
      local entries = {}
      local opts = a.opts
      opts.getenv = function() return nil end
      opts.log = function(x)
        entries[#entries + 1] = { status = x.status or cjson.null, token_index = x.token_index or cjson.null,
                                  path = x.path }
      end
      local c = assert(mistapi.new(opts))
      if a.login_first then assert(c:login()) end
      if a.drop_sessions then
        -- the control API answers any caller: the server forgets every session
        assert(c:request("POST", "/_emulator/reset"))
      end
      local function call()
        if a.kind == "bulk" then
          return c:orgs_api_tokens():get_org_api_tokens(a.org_id, a.ids, { concurrency = 4 })
        elseif a.kind == "self" then
          return c:get_self()
        end
        return c:orgs_api_tokens():list_org_api_tokens(a.org_id)
      end
      if a.kind == "methods" then
        local out = {}
        for i, m in ipairs { "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS" } do
          local ok, res, err = pcall(c.request, c, m, "/api/v1/self")
          out[i] = { method = m, raised = not ok and tostring(res) or cjson.null,
                     status = ok and (res and res.status or err.status) or cjson.null }
        end
        ngx.say(cjson.encode { methods = out })
        return
      end
      local results, threads = {}, {}
      if a.login_alongside then
        -- an explicit login, started before the calls, that they wait for
        threads[#threads + 1] = ngx.thread.spawn(function() assert(c:login()) end)
      end
      for i = 1, a.n do
        threads[#threads + 1] = ngx.thread.spawn(function()
          local res, err = call()
          if res then
            results[i] = { status = res.status, token_index = res.token_index or cjson.null,
                           failed = res.failed or 0 }
          else
            results[i] = { err = tostring(err), status = err.status or cjson.null }
          end
        end)
      end
      for i = 1, #threads do assert(ngx.thread.wait(threads[i])) end
      local t = c.transport
      ngx.say(cjson.encode {
        results = results, log = entries, transport = t.name, user_agent = t.user_agent,
        timeout = t.timeout, connect_timeout = t.connect_timeout, max_body = t.max_body,
      })
    }
  }
}
]==]

describe("a client shared by concurrent light threads inside nginx", function()
  local e, app

  setup(function()
    e = emulator.start()
    app = nginx_app.start { extra = EXTRA }
  end)

  teardown(function()
    if app then app:stop() end
    if e then e:stop() end
  end)

  before_each(function() e:reset() end)

  local function run(args)
    args.org_id = args.org_id or e.org_id
    local status, _, body = app.session:request("POST", app.extra_url .. "/shared",
      { ["Content-Type"] = "application/json" }, cjson.encode(args))
    assert.same(200, status)
    return cjson.decode(body)
  end

  -- requests the emulator received, by method, path and (optional) status
  local function count(method, path, status)
    local n = 0
    for _, entry in ipairs(e:log()) do
      if entry.method == method and entry.path == path and (not status or entry.status == status) then
        n = n + 1
      end
    end
    return n
  end

  local function all_succeeded(out, n)
    assert.same(n, #out.results)
    for i, r in ipairs(out.results) do
      assert.is_nil(r.err, "call " .. i .. ": " .. tostring(r.err))
      assert.same(200, r.status)
      assert.same(0, r.failed)
    end
  end

  it("with the first token used up: every call succeeds on the second and names it", function()
    local N = 6
    local second = e:make_token { name = "second admin", privileges = { { role = "admin", scope = "org" } } }
    e:config { rate_limit = 10 }
    for _ = 1, 10 do assert.same(200, (e:api("GET", e:tokens_path()))) end   -- the first token's budget
    e:clear_log()
    local out = run { opts = { base_url = e.url, tokens = { e.token, second.key } }, kind = "list", n = N }
    assert.same("ngx", out.transport)
    all_succeeded(out, N)
    for _, r in ipairs(out.results) do assert.same(2, r.token_index) end
    -- each attempt names the token it used: the 429s the first, the answers the second
    local by_status = {}
    for _, entry in ipairs(out.log) do
      assert.same(entry.status == 429 and 1 or 2, entry.token_index)
      by_status[entry.status] = (by_status[entry.status] or 0) + 1
    end
    assert.same(N, by_status[200])
    assert.is_true((by_status[429] or 0) >= 1 and (by_status[429] or 0) <= N)
  end)

  it("with a session the server dropped: every call succeeds after one login", function()
    local N = 6
    local out = run { opts = { base_url = e.url, email = e.email, password = e.password }, kind = "list", n = N,
      login_first = true, drop_sessions = true }
    all_succeeded(out, N)
    assert.same(1, count("POST", "/api/v1/login"))
    assert.same(N, count("GET", e:tokens_path(), 401))   -- each sent once with the dropped session
    assert.same(N, count("GET", e:tokens_path(), 200))   -- and once more with the new one
  end)

  it("six concurrent first calls of a login client make one login", function()
    local out = run { opts = { base_url = e.url, email = e.email, password = e.password }, kind = "self", n = 6 }
    all_succeeded(out, 6)
    assert.same(1, count("POST", "/api/v1/login"))
  end)

  it("calls made while client:login() runs wait for it: one login", function()
    local out = run { opts = { base_url = e.url, email = e.email, password = e.password }, kind = "self", n = 5,
      login_alongside = true }
    all_succeeded(out, 5)
    assert.same(1, count("POST", "/api/v1/login"))
  end)

  it("a bulk call as a login client's first call logs in once", function()
    local ids = e:seed(5)
    e:clear_log()
    local out = run { opts = { base_url = e.url, email = e.email, password = e.password }, kind = "bulk", n = 1,
      ids = ids }
    all_succeeded(out, 1)
    assert.same(1, count("POST", "/api/v1/login"))
    for _, id in ipairs(ids) do assert.same(1, count("GET", e:tokens_path(id), 200)) end
  end)

  it("sends every method client:request documents, raising for none", function()
    local out = run { opts = { base_url = e.url, token = e.token, max_retries = 0 }, kind = "methods" }
    local log = e:log()
    assert.same(7, #out.methods)
    for i, m in ipairs(out.methods) do
      assert.same(cjson.null, m.raised, m.method)
      assert.is_number(m.status, m.method)
      assert.same(m.method, log[i].method)
    end
  end)

  it("sends this release's User-Agent and uses mistapi.config's limits", function()
    local out = run { opts = { base_url = e.url, token = e.token }, kind = "self", n = 1 }
    all_succeeded(out, 1)
    local ua = e:log()[1].user_agent
    assert.same(out.user_agent, ua)
    assert.matches("^mistapi%-lua/" .. config.VERSION:gsub("%.", "%%.") .. " ngx_lua/%d+$", ua)
    assert.same(config.DEFAULTS.timeout, out.timeout)
    assert.same(config.DEFAULTS.connect_timeout, out.connect_timeout)
    assert.same(config.DEFAULTS.max_body, out.max_body)
  end)
end)
