-- Building needs only the build packages: a user who is not root, on a machine
-- with nothing but `make build-deps`'s list installed, runs `make` and gets
-- both cores; only the test targets ask for the rest. The "machine" is this one
-- with dpkg-query answering for the build list alone (the packages themselves
-- are here, so the compiler really runs), in a copy of the checkout that the
-- unprivileged user owns.
local shell = require "support.shell"

local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$")) or "."
local q = shell.quote

local function make_var(name)
  local r = shell.capture("make -s --no-print-directory -C " .. q(ROOT)
    .. " --eval 'print-var: ; @echo $(" .. name .. ")' print-var")
  assert(r.status == 0, r.err)
  return (r.out:gsub("%s+$", ""))
end

-- A dpkg-query that says only PACKAGES are installed.
local function fake_dpkg(dir, packages)
  local f = assert(io.open(dir .. "/dpkg-query", "w"))
  f:write("#!/bin/sh\n# the last argument is the package asked about\n",
    "for p; do :; done\n",
    "case \" ", packages, " \" in *\" $p \"*) printf 'install ok installed';; *) exit 1;; esac\n")
  f:close()
  assert(shell.capture("chmod 0755 " .. q(dir .. "/dpkg-query")).status == 0)
end

describe("make on a machine with only the build packages, not as root", function()
  local tmp, user

  setup(function()
    if _VERSION ~= "Lua 5.4" then return end
    tmp = assert(io.popen("mktemp -d")):read("*l")
    assert(shell.capture("chmod 0755 " .. q(tmp)).status == 0)
    -- the tracked files only: nothing built, as in a fresh clone
    local r = shell.capture("cd " .. q(ROOT) .. " && git ls-files -z | xargs -0 tar cf - | (mkdir -p "
      .. q(tmp .. "/src") .. " && tar xf - -C " .. q(tmp .. "/src") .. ")")
    assert(r.status == 0, r.err)
    assert(shell.capture("mkdir -p " .. q(tmp .. "/bin")).status == 0)
    fake_dpkg(tmp .. "/bin", make_var("BUILD_DEB_PACKAGES"))
    user = "nobody"
    assert(shell.capture("chown -R " .. user .. " " .. q(tmp .. "/src")).status == 0)
  end)

  teardown(function()
    if tmp then shell.capture("rm -rf " .. q(tmp)) end
  end)

  local function as_user(args)
    return shell.capture("runuser -u " .. user .. " -- env HOME=" .. q(tmp) .. " PATH=" .. q(tmp .. "/bin")
      .. ":/usr/bin:/bin make -s --no-print-directory -C " .. q(tmp .. "/src") .. " " .. args)
  end

  it("builds both cores, and the test targets name what they still need", function()
    if _VERSION ~= "Lua 5.4" then
      pending("builds the cores itself: runs in the Lua 5.4 run only")
      return
    end
    local r = as_user("")
    assert.equal(0, r.status, r.out .. r.err)
    assert.is_true(shell.exists(tmp .. "/src/build/5.4/mistapi/core.so"))
    assert.is_true(shell.exists(tmp .. "/src/build/5.1/mistapi/core.so"))

    -- the fake machine really lacks the rest: deps says so and names the line to run
    local d = as_user("deps")
    assert.are_not.equal(0, d.status)
    assert.truthy(d.err:find("run as root: apt%-get install %-y"), d.err)
    assert.truthy(d.err:find("lua%-busted"), d.err)
    assert.falsy(d.err:find("libyajl%-dev"), d.err)
  end)

  it("names the build packages that are missing when one is", function()
    if _VERSION ~= "Lua 5.4" then
      pending("runs in the Lua 5.4 run only")
      return
    end
    local all = make_var("BUILD_DEB_PACKAGES")
    local fewer = all:gsub("%f[%S]uuid%-dev%f[%s]", "")
    assert.are_not.equal(all, fewer)
    local bin2 = tmp .. "/bin2"
    assert(shell.capture("mkdir -p " .. q(bin2)).status == 0)
    fake_dpkg(bin2, fewer)
    local r = shell.capture("runuser -u " .. user .. " -- env HOME=" .. q(tmp) .. " PATH=" .. q(bin2)
      .. ":/usr/bin:/bin make -s --no-print-directory -C " .. q(tmp .. "/src") .. " build-deps")
    assert.are_not.equal(0, r.status)
    assert.truthy(r.err:find("missing packages; run as root: apt%-get install %-y uuid%-dev"), r.err)
  end)
end)
