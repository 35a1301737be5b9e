-- The emulator's start script: what it prints, where it listens, TLS, and a clean stop.
local emu = require "support.emulator"
local core = require "mistapi.core"
local ports = require "support.ports"
local shell = require "support.shell"

local exists = shell.exists

local function read_all(path)
  return assert(shell.try_read(path))
end

local function alive(pid)
  local f = io.open("/proc/" .. pid .. "/stat", "r")
  if not f then
    return false
  end
  local stat = f:read("*a")
  f:close()
  return stat:match("%) (%a)") ~= "Z"
end

describe("mist-emulator start/stop", function()
  it("prints every MIST_EMU_ line and answers as soon as start returns", function()
    local e = emu.start()
    finally(function() e:stop() end)
    -- its ports come from below the kernel's ephemeral range (support.ports)
    local lo = ports.ranges()[1][1]
    for _, url in ipairs { e.url, e.tls_url, e.tls_wrong_url } do
      local port = tonumber(url:match(":(%d+)$"))
      assert.is_true(port >= lo and port <= ports.ranges()[1][2], url)
    end
    assert.matches("^http://127%.0%.0%.1:%d+$", e.url)
    assert.matches("^https://localhost:%d+$", e.tls_url)
    assert.matches("^https://localhost:%d+$", e.tls_wrong_url)
    assert.matches("^%x+%-%x+%-4%x+%-%x+%-%x+$", e.org_id)
    assert.is_true(#e.token >= 48)
    assert.matches("^%w+$", e.token)
    assert.is_true(#e.password >= 16)
    assert.equal("admin@example.com", e.email)
    assert.is_true(exists(e.ca_file))
    assert.is_true(alive(e.pid))
    local status, body = e:api("GET", "/_emulator/health", nil, false)
    assert.equal(200, status)
    assert.is_true(body.ok)
  end)

  it("stops by pid, leaves no process and removes its dir; stop twice is fine", function()
    local e = emu.start()
    local pid, dir = e.pid, e.dir
    e:stop()
    assert.is_false(alive(pid))
    assert.is_false(exists(dir .. "/nginx.conf"))
    e:stop()
  end)

  it("refuses to remove a dir that is not an emulator's", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. dir))
    local ok = os.execute(emu.SCRIPT .. " stop " .. dir .. " 2>/dev/null")
    assert.is_not_true(ok == true or ok == 0)
    assert.is_true(os.execute("test -d " .. dir) == true or os.execute("test -d " .. dir) == 0)
    os.execute("rmdir " .. dir)
  end)

  it("exits non-zero with nginx's own message when nginx fails, leaving nothing behind", function()
    local fake = os.tmpname()
    local f = assert(io.open(fake, "w"))
    f:write('#!/bin/sh\necho "nginx: [emerg] emulated breakage" >&2\nexit 1\n')
    f:close()
    os.execute("chmod +x " .. fake)
    local dir = os.tmpname()
    os.remove(dir)
    local p = io.popen("NGINX=" .. fake .. " " .. emu.SCRIPT .. " start --dir " .. dir .. " 2>&1; echo rc=$?")
    local out = p:read("*a")
    p:close()
    os.remove(fake)
    assert.matches("nginx failed to start", out)
    assert.matches("emulated breakage", out)
    assert.matches("rc=1", out)
    assert.is_nil(out:find("MIST_EMU_URL", 1, true))
    assert.is_false(exists(dir .. "/nginx.conf"))
  end)

  it("uses the dir it is given", function()
    local dir = os.tmpname()
    os.remove(dir)
    local e = emu.start{ dir = dir }
    finally(function() e:stop() end)
    assert.equal(dir, e.dir)
    assert.is_true(exists(dir .. "/tls/ca.pem"))
  end)

  it("runs two instances side by side on different ports", function()
    local a, b = emu.start(), emu.start()
    finally(function() a:stop(); b:stop() end)
    assert.are_not.equal(a.url, b.url)
    assert.are_not.equal(a.token, b.token)
    assert.equal(200, (a:api("GET", a:tokens_path())))
    assert.equal(401, (b:api("GET", b:tokens_path(), nil, a.token)))
  end)
end)

describe("mist-emulator TLS", function()
  local e
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)

  it("verifies with the throwaway CA", function()
    local s = core.session{ ca_file = e.ca_file }
    finally(function() s:close() end)
    local status, _, body = s:request("GET", e.tls_url .. "/_emulator/health", {}, nil)
    assert.equal(200, status)
    assert.matches('"ok":true', body)
  end)

  it("fails verification without the CA", function()
    local s = core.session{}
    finally(function() s:close() end)
    local status, info = s:request("GET", e.tls_url .. "/_emulator/health", {}, nil)
    assert.is_nil(status)
    assert.is_false(info.reached)
  end)

  it("fails hostname verification on the wrong-name listener, even with the CA", function()
    local s = core.session{ ca_file = e.ca_file }
    finally(function() s:close() end)
    local status, info = s:request("GET", e.tls_wrong_url .. "/_emulator/health", {}, nil)
    assert.is_nil(status)
    assert.matches("name", info.message)
  end)

  it("serves the API over TLS too", function()
    local s = core.session{ ca_file = e.ca_file }
    finally(function() s:close() end)
    local status = s:request("GET", e.tls_url .. e:tokens_path(), { Authorization = "Token " .. e.token }, nil)
    assert.equal(200, status)
  end)
end)

describe("mist-emulator logs", function()
  it("never hold a token or a whole key", function()
    local e = emu.start()
    finally(function() e:stop() end)
    local _, made = e:api("POST", e:tokens_path(), { name = "t", privileges = { { role = "admin", scope = "org" } } })
    e:api("GET", e:tokens_path(made.id), nil, made.key)
    e:api("GET", e:tokens_path(), nil, "not-a-real-token-but-secret-looking-0123456789")
    local text = read_all(e.dir .. "/logs/access.log") .. read_all(e.dir .. "/logs/error.log")
    assert.matches("apitokens", text)
    assert.is_nil(text:find(e.token, 1, true))
    assert.is_nil(text:find(made.key, 1, true))
    assert.is_nil(text:find("secret-looking", 1, true))
    local _, _, log = e:request("GET", "/_emulator/log", {}, nil)
    assert.is_nil(log:find(made.key, 1, true))
    assert.is_nil(log:find(e.token, 1, true))
  end)
end)
