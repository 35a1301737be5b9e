-- mistapi.keystore on its own (what it makes, refuses, reads back and
-- removes), and the lifecycle's edges that no other spec reaches: a create
-- answering 500 after the server made the token, a failed DELETE of the old
-- token, finish when the replacement is gone or on the client's own token,
-- names at the 256-byte limit, prune's prefix, rotation leftovers, the own
-- token refused before any step, a token gone behind apply's back, views
-- in another order, the audit's day boundaries, a site id's letter case.
-- Keys are only compared, never printed.
local fresh_client = require "support.fresh_client"
local shell = require "support.shell"
local keystore = require "mistapi.keystore"
local markers = require "mistapi.lifecycle.markers"

local READ = { { role = "read", scope = "org" } }
local ADMIN = { { role = "admin", scope = "org" } }
local DAY = 86400

local function sh(cmd)
  local r = os.execute(cmd)
  return r == true or r == 0
end

describe("mistapi.keystore", function()
  local dir
  before_each(function()
    dir = shell.private_dir()
  end)
  after_each(function() shell.remove_tree(dir) end)

  it("makes a new path at once (0600, empty), stores once, never over the key", function()
    local path = dir .. "/k"
    local ks = assert(keystore.file(path))
    assert.equal("", shell.read_file(path))
    assert.equal("600", shell.mode(path))
    assert.is_false(ks.stored())
    assert.is_true(ks.store("abcdefghijklmnop"))
    assert.is_true(ks.stored())
    assert.equal("abcdefghijklmnop\n", shell.read_file(path))
    assert.is_nil((ks.store("zzzzzzzzzzzzzzzz")))
    assert.equal("abcdefghijklmnop\n", shell.read_file(path))
    ks.abandon()   -- a key was written: abandon keeps it
    assert.equal("abcdefghijklmnop\n", shell.read_file(path))
    ks.discard()   -- the token is gone: the file made here goes too
    assert.is_false(shell.exists(path))
  end)

  it("reads an existing key back and never removes or overwrites it", function()
    local path = dir .. "/k"
    local f = assert(io.open(path, "w"))
    f:write("1234567890abcdef\n")
    f:close()
    local ks = assert(keystore.file(path))
    assert.equal("1234567890abcdef", ks.load())
    assert.is_nil((ks.store("zzzzzzzzzzzzzzzz")))
    ks.discard()
    ks.abandon()
    assert.equal("1234567890abcdef\n", shell.read_file(path))
    assert.is_nil((keystore.file(path, { new_only = true })))
  end)

  it("abandon removes the file it made when no key came, and leaves a file put there since", function()
    local path = dir .. "/k"
    local ks = assert(keystore.file(path))
    ks.abandon()
    assert.is_false(shell.exists(path))
    ks = assert(keystore.file(path))
    os.remove(path)
    local f = assert(io.open(path, "w"))
    f:write("someone else's\n")
    f:close()
    ks.abandon()
    assert.equal("someone else's\n", shell.read_file(path))
  end)

  it("refuses a directory, a symlink and a device, and leaves each as it was", function()
    assert(sh("mkdir " .. shell.quote(dir .. "/d")))
    assert(sh("ln -s " .. shell.quote(dir .. "/nowhere") .. " " .. shell.quote(dir .. "/l")))
    for name, what in pairs { d = "directory", l = "symlink" } do
      local ks, err = keystore.file(dir .. "/" .. name)
      assert.is_nil(ks)
      assert.truthy(err:find(what, 1, true), err)
    end
    assert.is_true(sh("test -d " .. shell.quote(dir .. "/d")))
    assert.is_true(sh("test -L " .. shell.quote(dir .. "/l")))
    assert.is_false(shell.exists(dir .. "/nowhere"))
    local ks, err = keystore.file("/dev/null")
    assert.is_nil(ks)
    assert.truthy(err:find("not a regular file", 1, true), err)
    assert.is_nil(keystore.dir(dir .. "/l", { "a" }))
    assert.is_nil(keystore.dir(dir .. "/none", { "a" }))
  end)

  it("'-' stores only when the writer says it wrote", function()
    local got
    local ok_ks = assert(keystore.file("-", { write = function(s) got = s; return true end }))
    assert.is_true(ok_ks.store("abcdefghijklmnop"))
    assert.equal("abcdefghijklmnop\n", got)
    local bad = assert(keystore.file("-", { write = function() return nil, "No space left on device" end }))
    local ok, err = bad.store("abcdefghijklmnop")
    assert.is_nil(ok)
    assert.truthy(err:find("no space left", 1, true), err)
    assert.is_nil(err:find("abcdefghijklmnop", 1, true))
    assert.is_false(bad.stored())
  end)

  -- Runs `code` in a fresh lua5.4 with this tree's modules, after `prelude`
  -- (shell) and with `redirect` on its command line. -> { status, out, err }
  local function lua(code, prelude, redirect)
    local root = os.getenv("PWD") or "."
    local paths = ("package.path = %q .. package.path; package.cpath = %q .. package.cpath; "):format(
      root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;", root .. "/build/5.4/?.so;")
    return shell.capture(("(%s lua5.4 -e %s %s)"):format(prelude or "", shell.quote(paths .. code), redirect or ""))
  end

  it("'-' by default: a standard output whose flush fails (/dev/full) is no store", function()
    local r = lua([[local ok, err = require("mistapi.keystore").file("-").store("abcdefghijklmnop")
      io.stderr:write(tostring(ok), " ", tostring(err), "\n")]], nil, ">/dev/full")
    assert.truthy(r.err:find("^nil standard output could not be written"), r.err)
  end)

  it("a key file whose write fails half-way (a file size limit) is removed, not left with part of a key", function()
    local path = dir .. "/big"
    local r = lua(([[local ks = assert(require("mistapi.keystore").file(%q))
      local ok, err = ks.store(("k"):rep(5000))
      io.stderr:write(tostring(ok), " ", tostring(err), "\n")]]):format(path), "ulimit -f 1; trap '' XFSZ;")
    assert.truthy(r.err:find("^nil " .. path:gsub("%p", "%%%0") .. ": file too large"), r.err)
    assert.is_false(shell.exists(path))
  end)

  it("a directory store: one file a name, a shared file name refused, discard by name", function()
    local ks = assert(keystore.dir(dir, { "app-a", "app b" }))
    assert.equal(dir .. "/app_b.key", ks.path_of("app b"))
    assert.is_true(ks.store("abcdefghijklmnop", nil, "app-a"))
    assert.is_nil((ks.store("abcdefghijklmnop", nil, "other")))
    ks.abandon()
    assert.is_true(shell.exists(dir .. "/app-a.key"))
    assert.is_false(shell.exists(dir .. "/app_b.key"))
    ks.discard(nil, "app-a")
    assert.is_false(shell.exists(dir .. "/app-a.key"))
    assert.is_nil(keystore.dir(dir, { "a b", "a_b" }))
  end)
end)

describe("lifecycle edges", function()
  local fresh = fresh_client.new { max_retries = 0 }
  local e, tokens, client

  setup(function() e = fresh:start() end)
  teardown(function() fresh:stop() end)
  before_each(function()
    client = fresh:renew(function() e:clear_faults() end)
    tokens = client:orgs_api_tokens()
  end)

  local function make(name, extra)
    local body = { name = name, privileges = READ }
    for k, v in pairs(extra or {}) do body[k] = v end
    return assert(tokens:create_org_api_token(e.org_id, body)).data
  end
  local function works(key) return e:api("GET", "/api/v1/self", nil, key) == 200 end
  local function all() return assert(tokens:list_all_org_api_tokens(e.org_id)).data end
  local function names()
    local out = {}
    for _, t in ipairs(all()) do out[#out + 1] = t.name end
    table.sort(out)
    return out
  end
  local function keep(box) return function(key) box.key = key; return true end end

  it("a create answering 500 after the server made the token: that token is deleted, the old kept", function()
    local old = make("five")
    e:fault { kind = "status", status = 500, phase = "after", method = "POST", path = e:tokens_path() }
    local box = {}
    local report, err = tokens:rotate_org_api_token(e.org_id, old.id, { store = keep(box) })
    assert.is_true(report == nil)
    assert.equal("create", err.step)
    assert.truthy(err.state:find("was deleted", 1, true), err.state)
    assert.same({ "emulator bootstrap token", "five" }, names())
    assert.is_nil(box.key)
  end)

  it("a failed DELETE of the old token is no success: both work, the key is not discarded", function()
    local old = make("del")
    e:fault { kind = "status", status = 503, method = "DELETE" }
    local box, discarded = {}, false
    local report, err = tokens:rotate_org_api_token(e.org_id, old.id, { store = keep(box),
      discard = function() discarded = true end })
    assert.is_true(report == nil)
    assert.equal("delete", err.step)
    assert.truthy(err.state:find("both tokens work", 1, true))
    assert.is_false(discarded)
    assert.is_true(works(old.key))
    assert.is_true(works(box.key))
    -- the re-run with load finishes
    report = assert(tokens:rotate_org_api_token(e.org_id, old.id, { store = keep({}),
      load = function() return box.key end }))
    assert.is_true(report.resumed)
    assert.is_false(works(old.key))
  end)

  it("a clean-up DELETE answered 404 counts as gone: the store is told to discard", function()
    local old = make("nf")
    e:fault { { kind = "status", status = 500, method = "GET", path = "/api/v1/self" },
      { kind = "status", status = 404, method = "DELETE" } }
    local discarded = false
    local report, err = tokens:rotate_org_api_token(e.org_id, old.id, { store = keep({}),
      discard = function() discarded = true end })
    assert.is_true(report == nil)
    assert.equal("verify", err.step)
    assert.is_true(discarded)
    assert.truthy(err.state:find("the new token was deleted", 1, true), err.state)
  end)

  it("finish refuses when the replacement is gone, and keeps the old token", function()
    local old = make("kept")
    local box = {}
    local report = assert(tokens:rotate_org_api_token(e.org_id, old.id, { store = keep(box), keep_old = true }))
    assert(tokens:delete_org_api_token(e.org_id, report.new_id))
    local done, err = tokens:finish_org_api_token_rotation(e.org_id, old.id)
    assert.is_nil(done)
    assert.equal("read", err.step)
    assert.is_true(works(old.key))
  end)

  it("finish refuses the client's own token without allow_self, before any call that changes", function()
    local me = make("me", { privileges = ADMIN })
    local own = fresh:client { token = me.key }:orgs_api_tokens()
    assert(own:rotate_org_api_token(e.org_id, me.id, { store = keep({}), keep_old = true }))
    e:clear_log()
    local done, err = own:finish_org_api_token_rotation(e.org_id, me.id)
    assert.is_nil(done)
    assert.equal("validation", err.kind)
    assert.equal(0, #e:requests("DELETE"))
    assert.is_true(works(me.key))
    assert(own:finish_org_api_token_rotation(e.org_id, me.id, { allow_self = true }))
  end)

  it("restart never deletes an unfinished rotation whose key the client itself runs with", function()
    if _VERSION == "Lua 5.1" and not rawget(_G, "jit") then
      pending("stops a rotation midway by yielding from its store, across a pcall: PUC Lua 5.1 can't")
      return
    end
    local old = make("adm", { privileges = ADMIN })
    local box = {}
    local co = coroutine.create(function()
      return tokens:rotate_org_api_token(e.org_id, old.id, { store = function(key)
        box.key = key
        coroutine.yield()
      end })
    end)
    assert(coroutine.resume(co))
    local own = fresh:client { token = box.key }:orgs_api_tokens()   -- runs with the unfinished token's key
    local report, err = own:rotate_org_api_token(e.org_id, old.id, { store = keep({}), restart = true })
    assert.is_true(report == nil)
    assert.equal("validation", err.kind)
    assert.is_true(works(box.key))
  end)

  it("temporary names fit 256 bytes with the marker, never cut inside a UTF-8 character", function()
    local id = "497f6eca-6276-4993-bfeb-53efbbba6f08"
    local mark = " [rotation of " .. id .. "]"
    local room = 256 - #mark
    assert.equal(("a"):rep(room) .. mark, markers.rotation(("a"):rep(256), id))
    assert.equal(("a"):rep(room) .. mark, markers.rotation(("a"):rep(room + 1), id))
    assert.equal(("a"):rep(room) .. mark, markers.rotation(("a"):rep(room), id))
    assert.equal(("a"):rep(room - 1) .. mark, markers.rotation(("a"):rep(room - 1), id))
    assert.equal(256, #markers.replaced(("a"):rep(300), id))
    local wide = markers.rotation(("\195\169"):rep(128), id)
    assert.is_true(#wide <= 256)
    assert.equal(255, #wide)   -- 102 whole characters: the 103rd would cut one in half
    assert.truthy(wide:match("^[\195\169]+ %[rotation"), "only whole characters before the marker")
    -- and the emulator takes such a rotation end to end
    local old = make(("b"):rep(256))
    local report = assert(tokens:rotate_org_api_token(e.org_id, old.id, { store = keep({}) }))
    assert.equal(("b"):rep(256), report.new.name)
  end)

  describe("plan and apply", function()
    local function apply(state, opts)
      opts = opts or {}
      opts.store = opts.store or keep({})
      return tokens:apply_org_api_tokens(e.org_id, state, opts)
    end

    it("a prefix matches only at the start; a rotation's leftovers are not managed", function()
      make("my-app-x")
      local kept = make("app-kept")
      make("app-k [replaced by 497f6eca-6276-4993-bfeb-53efbbba6f08]")
      make("app-k [rotation of 497f6eca-6276-4993-bfeb-53efbbba6f08]")
      local res = assert(apply({ prefix = "app-", tokens = { ["app-kept"] = { privileges = READ } } },
        { prune = true }))
      assert.equal(0, #res.done)
      assert.same({ "app-k [replaced by 497f6eca-6276-4993-bfeb-53efbbba6f08]",
        "app-k [rotation of 497f6eca-6276-4993-bfeb-53efbbba6f08]", "app-kept", "emulator bootstrap token",
        "my-app-x" }, names())
      assert.is_true(works(kept.key))
    end)

    it("a replace stopped after its old token went, its name cut at 256 bytes: apply finishes it", function()
      local name = "app-" .. ("l"):rep(252)
      local gone = "497f6eca-6276-4993-bfeb-53efbbba6f08"   -- the replaced token, already deleted
      local left = make(markers.rotation(name, gone))
      local res = assert(apply({ prefix = "app-", tokens = { [name] = { privileges = READ } } },
        { load = function() return left.key end }))
      assert.equal(1, #res.done)
      assert.same({ name, "emulator bootstrap token" }, names())   -- renamed: no second token made
      assert.is_true(works(left.key))
    end)

    it("an unfinished rotation to a new name whose old token lives is no stopped replace: the create makes its own",
      function()
      -- `rotate OLD --name app-new` stopped half-way: its new token carries the name the state wants made
      local old = make("app-old")
      local left = make(markers.rotation("app-new", old.id))
      local state = { prefix = "app-", tokens = { ["app-old"] = { privileges = READ },
        ["app-new"] = { privileges = READ } } }
      local p = assert(tokens:plan_org_api_tokens(e.org_id, state))
      assert.same({ "create" }, { p.steps[1].action, p.steps[2] })
      assert.truthy(table.concat(p.notes, "\n"):find(left.id .. ") is left by a rotation", 1, true),
        table.concat(p.notes, "\n"))
      local box = {}
      local res = assert(apply(state, { store = keep(box), load = function() return left.key end }))
      assert.equal(1, #res.done)
      assert.same({ "app-new", "app-new [rotation of " .. old.id .. "]", "app-old", "emulator bootstrap token" },
        names())
      assert.is_true(works(old.key))
      assert.is_true(works(left.key))
      assert.is_true(works(box.key))
    end)

    it("a create of a 256-byte name runs under its temporary name cut to fit; a stopped one is finished", function()
      local name = "app-" .. ("c"):rep(252)
      local keys = {}
      local res = assert(apply({ prefix = "app-", tokens = { [name] = { privileges = READ } } },
        { store = keep(keys) }))
      assert.same({ "create" }, { res.done[1].action })
      assert.same({ name, "emulator bootstrap token" }, names())
      assert.is_true(works(keys.key))

      -- an earlier apply stopped after the create of another such name: the plan says so, apply finishes it
      local other = "app-" .. ("d"):rep(252)
      local left = make(markers.creating(other))
      local state = { prefix = "app-", tokens = { [name] = { privileges = READ }, [other] = { privileges = READ } } }
      local p = assert(tokens:plan_org_api_tokens(e.org_id, state))
      assert.same({ "create" }, { p.steps[1].action, p.steps[2] })
      assert.truthy(table.concat(p.notes, "\n"):find(left.id .. ") is an unfinished create", 1, true),
        table.concat(p.notes, "\n"))
      res = assert(apply(state, { load = function() return left.key end }))
      assert.equal(1, #res.done)
      assert.same({ name, other, "emulator bootstrap token" }, names())   -- renamed: no second token made
      assert.is_true(works(left.key))
    end)

    it("a replace of the client's own token is refused before any step runs", function()
      local me = make("app-me", { privileges = ADMIN, src_ips = { "127.0.0.1" } })
      local own = fresh:client { token = me.key }:orgs_api_tokens()
      e:clear_log()
      local res, err = own:apply_org_api_tokens(e.org_id, { prefix = "app-", tokens = {
        ["app-a"] = { privileges = READ },
        ["app-me"] = { privileges = ADMIN, src_ips = { "127.0.0.0/8" } } } }, { store = keep({}) })
      assert.is_nil(res)
      assert.equal("validation", err.kind)
      assert.equal(0, #e:requests("POST"))
      assert.is_nil(err.message:find("done before", 1, true))
      -- a plan made by another client is checked against the client that applies it
      local p = assert(tokens:plan_org_api_tokens(e.org_id, { prefix = "app-", tokens = {} }, { prune = true }))
      res, err = own:apply_org_api_tokens(e.org_id, p)
      assert.is_nil(res)
      assert.equal("validation", err.kind)
      assert.is_true(works(me.key))
    end)

    it("a token deleted behind apply's back (404) counts as deleted", function()
      local gone = make("app-gone")
      local p = assert(tokens:plan_org_api_tokens(e.org_id, { prefix = "app-", tokens = {} }, { prune = true }))
      assert(tokens:delete_org_api_token(e.org_id, gone.id))
      local res = assert(tokens:apply_org_api_tokens(e.org_id, p))
      assert.equal("delete", res.done[1].action)
    end)

    it("views in another order and a site id in other letters plan nothing", function()
      local site = e:add_site { name = "hq" }
      local upper = tostring(site.id):upper()
      make("app-v", { privileges = { { role = "read", scope = "org", views = { "reporting", "location" } },
        { role = "write", scope = "site", site_id = site.id } } })
      local p = assert(tokens:plan_org_api_tokens(e.org_id, { prefix = "app-", tokens = { ["app-v"] = {
        privileges = { { role = "write", scope = "site", site_id = upper },
          { role = "read", scope = "org", views = { "location", "reporting" } } } } } }))
      assert.is_true(p:is_empty())
      -- and the audit knows the site whatever its letters
      make("app-u", { privileges = { { role = "read", scope = "site", site_id = upper } } })
      local res = assert(tokens:audit_org_api_tokens(e.org_id, { rules = { no_src_ips = false } }))
      for _, f in ipairs(res.findings) do assert.is_not.equal("missing_site", f.rule) end
    end)
  end)

  it("the audit's day boundaries: exactly N days is no finding, a second more is", function()
    local now = os.time()
    local function at(name, times)
      local t = make(name, { src_ips = { "127.0.0.1" } })
      e:set_token_times(t.id, times)
      return t
    end
    at("stale-edge", { created_time = now - 100 * DAY, last_used = now - 90 * DAY })
    at("stale-over", { created_time = now - 100 * DAY, last_used = now - 90 * DAY - 1 })
    at("old-edge", { created_time = now - 365 * DAY, last_used = now })
    at("old-over", { created_time = now - 365 * DAY - 1, last_used = now })
    at("unused-young", { created_time = now - 7 * DAY + 1, last_used = false })
    at("unused-edge", { created_time = now - 7 * DAY, last_used = false })
    local res = assert(tokens:audit_org_api_tokens(e.org_id, { now = now }))
    local seen = {}
    for _, f in ipairs(res.findings) do seen[f.name .. ":" .. f.rule] = true end
    assert.is_nil(seen["stale-edge:stale"])
    assert.is_true(seen["stale-over:stale"])
    assert.is_nil(seen["old-edge:rotation_overdue"])
    assert.is_true(seen["old-over:rotation_overdue"])
    assert.is_nil(seen["unused-young:never_used"])
    assert.is_true(seen["unused-edge:never_used"])
  end)
end)
