-- core.lock_file: one holder at a time (flock, never waits), a regular
-- file of this user made 0600 and never through a symlink, the holder's pid
-- in it, and the path removed when the lock is released.
local core = require "mistapi.core"
local shell = require "support.shell"

describe("core.lock_file", function()
  local dir
  before_each(function()
    dir = shell.private_dir()
  end)
  after_each(function() shell.remove_tree(dir) end)

  it("lets one holder in; a second gets EAGAIN until the first unlocks", function()
    local path = dir .. "/x.lock"
    local h = assert(core.lock_file(path))
    assert.equal("600", shell.mode(path))
    assert.truthy(shell.read_file(path):match("^%d+\n$"))
    local again, msg, code = core.lock_file(path)
    assert.is_nil(again)
    assert.equal(11, code, msg)
    assert.is_true(h:unlock())
    assert.is_false(shell.exists(path))
    assert.is_true(h:unlock())   -- idempotent
    local h2 = assert(core.lock_file(path))
    assert.matches("held", tostring(h2))
    h2:unlock()
    assert.matches("released", tostring(h2))
  end)

  it("refuses a symlink and what is not a regular file, and leaves them", function()
    assert(os.execute(("ln -s %s %s"):format(shell.quote(dir .. "/target"), shell.quote(dir .. "/link"))))
    local h, msg = core.lock_file(dir .. "/link")
    assert.is_nil(h)
    assert.is_string(msg)
    assert.is_false(shell.exists(dir .. "/target"))
    h = core.lock_file(dir)
    assert.is_nil(h)
    assert.is_true(core.getuid() >= 0)
  end)

  it("is released when its holder is collected", function()
    local path = dir .. "/gc.lock"
    do assert(core.lock_file(path)) end
    collectgarbage()
    collectgarbage()
    local h = assert(core.lock_file(path))
    h:unlock()
  end)
end)
