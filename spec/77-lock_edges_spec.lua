-- mistapi.cli.lock in one process: released when the run it guards raises,
-- the holder's pid named, apply's lock the key dir's, and a relative
-- $XDG_RUNTIME_DIR not trusted. Cases a mutation pass found no spec could
-- see (docs/lifecycle.md lists them).
local lock = require "mistapi.cli.lock"
local core = require "mistapi.core"
local shell = require "support.shell"

describe("the CLI's locks", function()
  local dir
  before_each(function()
    dir = shell.unused_path()
    assert(os.execute("mkdir -m 700 " .. shell.quote(dir)))
  end)
  after_each(function() os.execute("rm -rf " .. shell.quote(dir)) end)

  it("releases the lock and removes its file when the guarded run raises", function()
    local path = dir .. "/k.key.lock"
    local ok, err = pcall(lock.around, path, "rotation of token x", function() error("boom", 0) end)
    assert.is_false(ok)
    assert.equal("boom", err)
    assert.is_false(shell.exists(path))
    local h = assert(lock.take(path, "rotation of token x"))
    h:unlock()
  end)

  it("names the holder's pid when another holds the lock", function()
    local path = dir .. "/k.key.lock"
    local h = assert(lock.take(path, "rotation of token x"))
    local pid = shell.read_file(path):match("^(%d+)\n$")
    assert.is_string(pid)
    local again, msg, busy = lock.take(path, "rotation of token x")
    h:unlock()
    assert.is_nil(again)
    assert.is_true(busy)
    assert.matches("another rotation of token x is running and holds its lock " .. path .. " (pid " .. pid .. ")",
      msg, 1, true)
  end)

  it("takes apply's lock in its key dir, whatever org it runs for", function()
    local held = assert(lock.take(dir .. "/.mistapi-tokens-apply.lock", "apply"))
    local said, ran = {}, false
    local ctx = { org = "org-" .. tostring(core.getuid()), getenv = function() return nil end, BUSY = 75,
      err = function(s) said[#said + 1] = s end, usage = function(s) said[#said + 1] = s; return 2 end }
    local status = lock.guard("apply", function() ran = true; return 0 end)(ctx, { ["key-dir"] = dir .. "/" })
    held:unlock()
    assert.equal(75, status)
    assert.is_false(ran)
    assert.matches("another apply of --key-dir " .. dir .. "/ is running", said[1], 1, true)
  end)

  it("puts a lock for --key-file - under an absolute $XDG_RUNTIME_DIR only", function()
    local function env(v) return function(k) if k == "XDG_RUNTIME_DIR" then return v end end end
    assert.matches("^/run/user/1/mistapi%-tokens%-%d+%-rotate%-org_1%-tok%.lock$",
      lock.path_for("-", "org/1", "tok", env("/run/user/1")))
    for _, v in ipairs { "run/user/1", "", false } do
      assert.matches("^/tmp/mistapi%-tokens%-%d+%-rotate%-org_1%-tok%.lock$",
        lock.path_for("-", "org/1", "tok", env(v or nil)))
    end
    assert.equal("/x/k.key.lock", lock.path_for("/x/k.key", "org", "tok", env("/run")))
  end)
end)
