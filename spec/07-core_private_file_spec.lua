-- core.create_private_file: a new 0600 file for a secret, written through the
-- descriptor that made it; never an existing file, never through a symlink.
local core = require "mistapi.core"
local shell = require "support.shell"

local function tmp_path()
  local p = os.tmpname()
  os.remove(p)
  return p
end

local function mode_of(path)
  local p = assert(io.popen("stat -c %a " .. shell.quote(path)))
  local m = p:read("*l")
  p:close()
  return m
end

describe("core.create_private_file", function()
  it("makes a 0600 file and writes all of the text through its descriptor", function()
    local path = tmp_path()
    local f = assert(core.create_private_file(path))
    assert.equal("600", mode_of(path))
    local big = ("k"):rep(100000)
    assert.is_true(f:write(big))
    assert.is_true(f:write("\n"))
    assert.is_true(f:close())
    assert.is_true(f:close(), "close is idempotent")
    assert.equal(big .. "\n", shell.read_file(path))
    assert.has_error(function() f:write("x") end)
    assert.truthy(tostring(f):find("closed", 1, true))
    os.remove(path)
  end)

  it("refuses an existing file and a symlink, leaving both as they were", function()
    local path = tmp_path()
    local g = assert(io.open(path, "w"))
    g:write("before")
    g:close()
    local f, msg, code = core.create_private_file(path)
    assert.is_nil(f)
    assert.equal("string", type(msg))
    assert.equal("number", type(code))
    assert.equal("before", shell.read_file(path))
    local link = tmp_path()
    assert(os.execute(("ln -s %s %s"):format(shell.quote(path), shell.quote(link))))
    assert.is_nil(core.create_private_file(link))
    assert.equal("before", shell.read_file(path))
    os.remove(link)
    os.remove(path)
  end)

  it("discard removes the file it made, but not one that replaced it", function()
    local path = tmp_path()
    local f = assert(core.create_private_file(path))
    assert.is_true(f:discard())
    assert.is_false(shell.exists(path))

    f = assert(core.create_private_file(path))
    os.remove(path)
    local g = assert(io.open(path, "w"))
    g:write("someone else's")
    g:close()
    f:discard()
    assert.equal("someone else's", shell.read_file(path))
    os.remove(path)
  end)

  it("says why a path can't be made, without raising", function()
    local f, msg = core.create_private_file("/nonexistent-dir/k")
    assert.is_nil(f)
    assert.truthy(msg:lower():find("no such file", 1, true), msg)
    assert.has_error(function() core.create_private_file("") end)
    assert.has_error(function() core.create_private_file("a\0b") end)
  end)
end)
