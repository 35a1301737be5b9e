-- docs/openresty.md's complete nginx.conf starts as it is written: the text
-- between its markers, with only the install paths pointed at this tree and
-- the port at a free one, runs a real nginx (master and worker, -p a fresh
-- prefix) that lists the emulator's tokens through the client it made in
-- init_worker.
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

local sh_quote, read_file = shell.quote, shell.read_file

-- The nginx.conf of the doc: the fenced block between the markers.
local function doc_conf()
  local doc = read_file(nginx_app.ROOT .. "/docs/openresty.md")
  local part = doc:match("<!%-%- begin nginx%.conf[^\n]*%-%->\n(.-)\n<!%-%- end nginx%.conf %-%->")
  assert(part, "docs/openresty.md: no text between the nginx.conf markers")
  local conf = part:match("^```nginx\n(.*)\n```$")
  assert(conf, "docs/openresty.md: the text between the markers is not one nginx block")
  return conf
end

-- Replaces `old` (plain text, which must be there) with `new`.
local function swap(text, old, new)
  local at = text:find(old, 1, true)
  assert(at, "docs/openresty.md's nginx.conf no longer holds " .. old)
  local out = {}
  local from = 1
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

describe("docs/openresty.md's nginx.conf", function()
  local e, dir, pid

  setup(function()
    e = emulator.start()
    dir = assert(io.popen("mktemp -d /tmp/mistapi-docconf.XXXXXX")):read("*l")
    assert(dir and dir:match("^/tmp/mistapi%-docconf%."))
    -- the steps the doc gives: a directory with logs/ and tmp/
    os.execute("mkdir -p " .. sh_quote(dir .. "/logs") .. " " .. sh_quote(dir .. "/tmp") .. "; chmod 755 "
      .. sh_quote(dir))
  end)

  teardown(function()
    if pid then
      os.execute("kill -TERM " .. pid .. " 2>/dev/null; for i in $(seq 1 100); do kill -0 " .. pid
        .. " 2>/dev/null || break; sleep 0.02; done; kill -KILL " .. pid .. " 2>/dev/null")
    end
    if e then e:stop() end
    if dir and dir:match("^/tmp/mistapi%-docconf%.") then os.execute("rm -rf " .. sh_quote(dir)) end
  end)

  -- Starts nginx with the doc's text on `port`: -> true | nil, why
  local function launch(conf, port)
    local text = swap(conf, "127.0.0.1:8080", "127.0.0.1:" .. port)
    write_file(dir .. "/nginx.conf", text, "644")
    write_file(dir .. "/logs/error.log", "")
    os.remove(dir .. "/logs/nginx.pid")
    -- the doc's command line; in the foreground (daemon off) so the spec keeps its pid
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
    local session = core.session { allow_http = true, timeout = 10 }
    local why
    for _ = 1, 500 do   -- ~10 s: only a hang ends it
      why = read_file(dir .. "/logs/stdout.log") .. read_file(dir .. "/logs/error.log")
      if ports.lost_race(why) then break end
      if read_file(dir .. "/logs/nginx.pid") ~= "" then
        local status, _, body = session:request("GET", "http://127.0.0.1:" .. port .. "/tokens", {}, nil)
        if status then
          session:close()
          return { status = status, body = body }
        end
      end
      local alive = os.execute("kill -0 " .. pid .. " 2>/dev/null")
      if not (alive == true or alive == 0) then break end
      core.sleep(0.02)
    end
    session:close()
    os.execute("kill -KILL " .. pid .. " 2>/dev/null")
    pid = nil
    return nil, why
  end

  it("starts as written and answers GET /tokens with the client made in init_worker", function()
    local conf = doc_conf()
    conf = swap(conf, "/usr/local/share/lua/5.1", nginx_app.ROOT .. "/lua")
    conf = swap(conf, "/usr/local/lib/lua/5.1", nginx_app.ROOT .. "/build/5.1")
    local got, why = ports.retry(1, function(p) return launch(conf, p[1]) end)
    assert(got, "nginx did not answer: " .. tostring(why))
    assert.equal(200, got.status, got.body)
    assert.matches("^%d+ tokens\n$", got.body)
    assert.is_true(tonumber(got.body:match("^%d+")) >= 1)
    -- nginx said nothing of a misconfiguration
    assert.is_nil(read_file(dir .. "/logs/error.log"):find("[emerg]", 1, true))
  end)
end)
