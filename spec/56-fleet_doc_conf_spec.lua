-- docs/fleet.md's nginx.conf works as written: the text between its markers,
-- with the install paths pointed at this tree, the port at a free one and the
-- token's allowance made small, runs a real nginx (a master and two workers)
-- whose clients share the budget in the shared dict: more calls than the
-- allowance, and the emulator sees no 429 and at most the allowance a window.
-- (That the workers share it call by call is spec 56-budget_workers: here the
-- kernel may hand every connection to the same worker.)
-- nginx runs LuaJIT itself, so this runs once, in the Lua 5.4 run.
if jit then
  pending("nginx specs run in the Lua 5.4 run only")
  return
end

local core = require "mistapi.core"
local emulator = require "support.emulator"
local nginx_app = require "support.nginx_app"
local ports = require "support.ports"
local shell = require "support.shell"
local check = require "support.budget_check"

local sh_quote, read_file = shell.quote, shell.read_file

local function doc_conf()
  local doc = read_file(nginx_app.ROOT .. "/docs/fleet.md")
  local part = doc:match("<!%-%- begin nginx%.conf[^\n]*%-%->\n(.-)\n<!%-%- end nginx%.conf %-%->")
  assert(part, "docs/fleet.md: no text between the nginx.conf markers")
  local conf = part:match("^```nginx\n(.*)\n```$")
  assert(conf, "docs/fleet.md: the text between the markers is not one nginx block")
  return conf
end

-- Replaces `old` (plain text, which must be there) with `new`, everywhere.
local function swap(text, old, new)
  local at = text:find(old, 1, true)
  assert(at, "docs/fleet.md's nginx.conf no longer holds " .. old)
  local out, from = {}, 1
  while at do
    out[#out + 1] = text:sub(from, at - 1)
    out[#out + 1] = new
    from = at + #old
    at = text:find(old, from, true)
  end
  out[#out + 1] = text:sub(from)
  return table.concat(out)
end

local function write_file(path, text, mode)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  if mode then os.execute("chmod " .. mode .. " " .. sh_quote(path)) end
end

describe("docs/fleet.md's nginx.conf", function()
  local e, dir, pid, session

  setup(function()
    e = emulator.start()
    session = core.session { allow_http = true, timeout = 60 }
    dir = assert(io.popen("mktemp -d /tmp/mistapi-fleetconf.XXXXXX")):read("*l")
    assert(dir and dir:match("^/tmp/mistapi%-fleetconf%."))
    os.execute("mkdir -p " .. sh_quote(dir .. "/logs") .. " " .. sh_quote(dir .. "/tmp") .. "; chmod 755 "
      .. sh_quote(dir))
  end)

  teardown(function()
    if pid then
      os.execute("kill -TERM " .. pid .. " 2>/dev/null; for i in $(seq 1 100); do kill -0 " .. pid
        .. " 2>/dev/null || break; sleep 0.02; done; kill -KILL " .. pid .. " 2>/dev/null")
    end
    if session then session:close() end
    if e then e:stop() end
    if dir and dir:match("^/tmp/mistapi%-fleetconf%.") then os.execute("rm -rf " .. sh_quote(dir)) end
  end)

  -- Starts nginx with the text on `port` (in the foreground, so the spec keeps
  -- the master's pid); -> true once it serves | nil, why
  local function launch(conf, port)
    write_file(dir .. "/nginx.conf", swap(conf, "127.0.0.1:8080", "127.0.0.1:" .. port), "644")
    write_file(dir .. "/logs/error.log", "")
    os.remove(dir .. "/logs/nginx.pid")
    local lines = { "#!/bin/sh" }
    for k, v in pairs { MIST_HOST = e.url, MIST_APITOKEN = e.token, MIST_ORG_ID = e.org_id } do
      lines[#lines + 1] = "export " .. k .. "=" .. sh_quote(v)
    end
    lines[#lines + 1] = "exec nginx -p " .. sh_quote(dir) .. " -c " .. sh_quote(dir .. "/nginx.conf")
      .. " -e logs/error.log -g 'daemon off;' </dev/null >" .. sh_quote(dir .. "/logs/stdout.log") .. " 2>&1"
    write_file(dir .. "/run.sh", table.concat(lines, "\n") .. "\n", "700")
    local h = assert(io.popen("sh " .. sh_quote(dir .. "/run.sh") .. " & echo $!"))
    pid = tonumber(h:read("*l"))
    h:close()
    local why
    for _ = 1, 500 do   -- ~10 s: only a hang ends it
      why = read_file(dir .. "/logs/stdout.log") .. read_file(dir .. "/logs/error.log")
      if ports.lost_race(why) then break end
      if read_file(dir .. "/logs/nginx.pid") ~= "" then
        -- anything but a refused connection: it serves (the probe is not an API call)
        if session:request("GET", "http://127.0.0.1:" .. port .. "/nothing", {}, nil) then return true end
      end
      local alive = os.execute("kill -0 " .. pid .. " 2>/dev/null")
      if not (alive == true or alive == 0) then break end
      core.sleep(0.02)
    end
    os.execute("kill -KILL " .. pid .. " 2>/dev/null")
    pid = nil
    return nil, why
  end

  it("serves more calls than the allowance, and the emulator sees no 429 and at most N a window", function()
    local n, window = 6, 2
    e:config { rate_limit = n, rate_window = window }
    local conf = doc_conf()
    conf = swap(conf, "/usr/local/share/lua/5.1", nginx_app.ROOT .. "/lua")
    conf = swap(conf, "/usr/local/lib/lua/5.1", nginx_app.ROOT .. "/build/5.1")
    conf = swap(conf, "budget_limit = 5000, budget_window = 3660", "budget_limit = " .. n .. ", budget_window = 3")
    local port
    assert(ports.retry(1, function(p)
      port = p[1]
      return launch(conf, port)
    end))
    e:clear_log()
    local requests = {}
    for i = 1, 2 * n + 2 do requests[i] = { "GET", "http://127.0.0.1:" .. port .. "/self" } end
    local results = session:batch(requests, 4)
    for _, r in ipairs(results) do
      assert.is_nil(r.err)
      assert.equal(200, r.status, r.body)
      assert.equal("200\n", r.body)
    end
    local log = e:log()
    assert.equal(2 * n + 2, #log)
    local times = {}
    for i, entry in ipairs(log) do
      assert.equal(200, entry.status)
      times[i] = entry.time
    end
    assert.is_true(check.most_in_fixed_windows(log, window) <= n)
    assert.is_true(check.most_in_any_window(times, window) <= n)
    assert.is_nil(read_file(dir .. "/logs/error.log"):find("[emerg]", 1, true))
  end)
end)
