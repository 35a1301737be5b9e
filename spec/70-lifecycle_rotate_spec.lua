-- tokens:rotate_org_api_token against the emulator: the whole rotation, each
-- failure and what it leaves, a rotation interrupted half-way and its re-run,
-- keep_old and finish, and the client's own token. Keys are only compared,
-- never printed.
local fresh_client = require "support.fresh_client"

local SITE = "c2d4e6f8-1a3b-4c5d-8e7f-9a0b1c2d3e4f"

describe("rotate_org_api_token", function()
  local clients = fresh_client.new { max_retries = 0 }
  local e, tokens

  setup(function() e = clients:start() end)
  teardown(function() clients:stop() end)
  before_each(function()
    tokens = clients:renew(function() e:clear_faults() end):orgs_api_tokens()
  end)

  -- A token made through the API, with its whole key.
  local function make(name, extra)
    local body = { name = name, privileges = { { role = "read", scope = "org" },
      { role = "write", scope = "site", site_id = SITE } } }
    for k, v in pairs(extra or {}) do body[k] = v end
    return assert(tokens:create_org_api_token(e.org_id, body)).data
  end

  -- Does `key` still open the API? (GET /api/v1/self with it)
  local function works(key)
    return e:api("GET", "/api/v1/self", nil, key) == 200
  end

  local function names()
    local out = {}
    for _, t in ipairs(assert(tokens:list_all_org_api_tokens(e.org_id)).data) do out[#out + 1] = t.name end
    table.sort(out)
    return out
  end

  local function holds(text, secret)
    return text:find(secret, 1, true) ~= nil
  end

  it("rotates end to end: the key is stored before any other call, then proved, then the old token goes",
    function()
    local old = make("ci-deploy", { src_ips = { "127.0.0.1", "10.0.0.0/8" } })
    e:clear_log()
    local stored, log_at_store
    local report, err = tokens:rotate_org_api_token(e.org_id, old.id, {
      store = function(key, token, name)
        stored = { key = key, id = token.id, name = name }
        log_at_store = e:log()
        return true
      end,
    })
    assert.is_nil(err)
    -- when the key was handed over, the new token had only just been created: no /self, no delete
    local last = log_at_store[#log_at_store]
    assert.equal("POST", last.method)
    for _, entry in ipairs(log_at_store) do
      assert.is_not.equal("DELETE", entry.method)
      assert.is_not.equal("/api/v1/self", entry.path)
    end
    assert.equal("ci-deploy", stored.name)
    assert.same({ "create", "store", "verify", "delete", "rename" }, report.done)
    assert.equal(old.id, report.old_id)
    assert.equal(stored.id, report.new.id)
    assert.is_true(stored.key == report.new.key)   -- compared, never shown
    assert.is_false(report.resumed)

    -- the new token: same name, privileges and src_ips; its key works; the old is gone
    local new = assert(tokens:get_org_api_token(e.org_id, report.new.id)).data
    assert.equal("ci-deploy", new.name)
    assert.same({ "10.0.0.0/8", "127.0.0.1" }, (function() table.sort(new.src_ips); return new.src_ips end)())
    assert.equal(2, #new.privileges)
    assert.is_true(works(stored.key))
    assert.is_false(works(old.key))
    local _, gone = tokens:get_org_api_token(e.org_id, old.id)
    assert.is_true(gone:is_not_found())
    -- the verify call was made with the new key: the emulator logs which token called
    local verified = false
    for _, entry in ipairs(e:log()) do
      if entry.path == "/api/v1/self" and entry.token_id == report.new.id then verified = true end
    end
    assert.is_true(verified)
    assert.is_false(holds(tostring(report.new), stored.key))
  end)

  it("takes a new name, privileges and src_ips from opts (the only way to change src_ips)", function()
    local old = make("mon")
    local key
    local report = assert(tokens:rotate_org_api_token(e.org_id, old.id, {
      store = function(k) key = k; return true end,
      name = "mon-2", privileges = { { role = "read", scope = "org" } }, src_ips = { "127.0.0.0/8" },
    }))
    local new = assert(tokens:get_org_api_token(e.org_id, report.new.id)).data
    assert.equal("mon-2", new.name)
    assert.same({ "127.0.0.0/8" }, new.src_ips)
    assert.equal(1, #new.privileges)
    assert.is_true(works(key))
  end)

  it("when storing fails, deletes the new token and leaves the old one working", function()
    local old = make("nightly")
    local seen
    for _, store in ipairs {
      function(key) seen = key; return nil, "disk full while writing " .. key end,
      function(key) seen = key; error("vault refused " .. key) end,
    } do
      local report, err = tokens:rotate_org_api_token(e.org_id, old.id, { store = store })
      assert.is_true(report == nil)   -- not printed: a report holds a key
      assert.equal("store", err.step)
      assert.equal("lifecycle", err.kind)
      assert.truthy(tostring(err):find("store failed", 1, true))
      assert.truthy(err.state:find("the new token was deleted", 1, true))
      assert.is_false(holds(tostring(err), seen))   -- the store's own message quoted the key
      assert.is_false(works(seen))
      assert.same({ "emulator bootstrap token", "nightly" }, names())
      assert.is_true(works(old.key))
    end
  end)

  it("when the create's answer is lost after the server made the token, finds that token and deletes it",
    function()
    local old = make("lost")
    -- the server makes the token, then the connection closes before the answer: nobody has its key
    e:fault { kind = "close", bytes = 20, method = "POST", path = e:tokens_path() }
    local report, err = tokens:rotate_org_api_token(e.org_id, old.id, {
      store = function() error("no key can reach the store") end })
    assert.is_true(report == nil)   -- not printed: a report holds a key
    assert.equal("create", err.step)
    assert.equal("transport", err.kind)
    assert.same({ "emulator bootstrap token", "lost" }, names())
    assert.is_true(works(old.key))
  end)

  it("when the new key fails its check, deletes it, keeps the old one and names the step", function()
    local old = make("edge")
    local discarded
    -- a src_ips this machine is not in: the new key is refused (403) from here
    local report, err = tokens:rotate_org_api_token(e.org_id, old.id, {
      store = function() return true end, discard = function(t) discarded = t.id end,
      src_ips = { "192.0.2.7" },
    })
    assert.is_true(report == nil)   -- not printed: a report holds a key
    assert.equal("verify", err.step)
    assert.equal(403, err.status)
    assert.truthy(tostring(err):find("rotate: verify failed", 1, true))
    assert.truthy(tostring(err):find("the old one is untouched", 1, true))
    assert.truthy(tostring(err):find("outside the token's src_ips", 1, true))
    assert.equal(err.new_id, discarded)
    assert.same({ "edge", "emulator bootstrap token" }, names())
    assert.is_true(works(old.key))
  end)

  it("with verify = false reads the new token back instead of using its key (a host outside its src_ips)",
    function()
    local old = make("edge")
    e:clear_log()
    local report = assert(tokens:rotate_org_api_token(e.org_id, old.id, {
      store = function() return true end, src_ips = { "192.0.2.7" }, verify = false }))
    assert.same({ "create", "store", "check", "delete", "rename" }, report.done)
    for _, entry in ipairs(e:log()) do assert.is_not.equal("/api/v1/self", entry.path) end
    local new = assert(tokens:get_org_api_token(e.org_id, report.new_id)).data
    assert.same({ "192.0.2.7" }, new.src_ips)
    -- the read-back still refuses privileges other than those asked for
    local other = make("other")
    -- the first GET of one token reads the old one; the second, the check, answers other privileges
    e:fault { { kind = "latency", ms = 0, method = "GET", path = e:tokens_path() .. "/" },
              { kind = "raw", method = "GET", path = e:tokens_path() .. "/",
                body = '{"id":"' .. other.id .. '","name":"x","privileges":[{"role":"admin","scope":"org"}]}' } }
    local _, err = tokens:rotate_org_api_token(e.org_id, other.id, {
      store = function() return true end, verify = false })
    assert.equal("check", err.step)
    assert.truthy(err.message:find("admin@org", 1, true))
  end)

  it("never takes a masked key in the create's answer for the new key: nothing is stored, the old token stays",
    function()
    local old = make("masked-answer")
    local shown = old.key:sub(1, 4) .. "..." .. old.key:sub(-4)
    e:fault { kind = "raw", method = "POST", path = e:tokens_path(), status = 200,
      body = ('{"id":"497f6eca-6276-4993-bfeb-53efbbba6f08","name":"masked-answer [rotation of %s]",'
        .. '"key":"%s","privileges":[{"role":"read","scope":"org"}]}'):format(old.id, shown) }
    local stored = 0
    local report, err = tokens:rotate_org_api_token(e.org_id, old.id, {
      store = function() stored = stored + 1; return true end })
    assert.is_true(report == nil)   -- not printed: a report holds a key
    assert.equal("create", err.step)
    assert.equal(0, stored)
    assert.same({ "emulator bootstrap token", "masked-answer" }, names())
    assert.is_true(works(old.key))
  end)

  it("refuses a new key whose /self privileges differ from those asked for", function()
    local old = make("reader")
    -- what a real server can't be made to show here: /self answering other privileges
    e:fault { kind = "raw", method = "GET", path = "/api/v1/self",
      body = '{"name":"x","privileges":[{"role":"admin","scope":"org"}]}' }
    local report, err = tokens:rotate_org_api_token(e.org_id, old.id, { store = function() return true end })
    assert.is_true(report == nil)   -- not printed: a report holds a key
    assert.equal("verify", err.step)
    assert.truthy(err.message:find("admin@org", 1, true))
    assert.same({ "emulator bootstrap token", "reader" }, names())
    assert.is_true(works(old.key))
  end)

  describe("interrupted between create and delete", function()
    -- The rotation runs in a coroutine whose store keeps the key, then yields
    -- and is never resumed: the process "stopped" right after storing.
    local function interrupted(old_id)
      local kept = {}
      local co = coroutine.create(function()
        return tokens:rotate_org_api_token(e.org_id, old_id, {
          store = function(key, token) kept.key, kept.id = key, token.id; coroutine.yield(); return true end,
        })
      end)
      assert(coroutine.resume(co))
      assert.equal("suspended", coroutine.status(co))
      return kept
    end

    it("leaves the new token under its rotation name; a re-run with load finishes it", function()
      local old = make("backup")
      local kept = interrupted(old.id)
      assert.same({ "backup", "backup [rotation of " .. old.id .. "]", "emulator bootstrap token" }, names())
      assert.is_true(works(old.key))

      local report = assert(tokens:rotate_org_api_token(e.org_id, old.id, {
        store = function() error("a re-run that finishes must not make another key") end,
        load = function(token, name)
          assert.equal(kept.id, token.id)
          assert.equal("backup", name)
          return kept.key
        end,
      }))
      assert.is_true(report.resumed)
      assert.same({ "resume", "delete", "rename" }, report.done)
      assert.equal(kept.id, report.new.id)
      assert.same({ "backup", "emulator bootstrap token" }, names())
      assert.is_true(works(kept.key))
      assert.is_false(works(old.key))
    end)

    it("without load stops and changes nothing; with restart discards it and rotates afresh", function()
      local old = make("backup")
      local kept = interrupted(old.id)
      local report, err = tokens:rotate_org_api_token(e.org_id, old.id, { store = function() return true end })
      assert.is_true(report == nil)   -- not printed: a report holds a key
      assert.equal("resume", err.step)
      assert.truthy(err.message:find(kept.id, 1, true))
      assert.truthy(err.state:find("nothing was changed", 1, true))
      assert.equal(3, #names())

      -- a key that is not the unfinished token's own is not taken for it
      local other = make("other")
      report, err = tokens:rotate_org_api_token(e.org_id, old.id, {
        store = function() return true end, load = function() return other.key end })
      assert.is_true(report == nil)   -- not printed: a report holds a key
      assert.equal("resume", err.step)
      assert.truthy(err.state:find("is not that token's", 1, true))
      assert.is_nil(tostring(err):find(other.key, 1, true))

      local fresh
      report = assert(tokens:rotate_org_api_token(e.org_id, old.id, {
        store = function(key) fresh = key; return true end, restart = true }))
      assert.same({ "restart", "create", "store", "verify", "delete", "rename" }, report.done)
      assert.same({ "backup", "emulator bootstrap token", "other" }, names())
      assert.is_false(works(kept.key))
      assert.is_true(works(fresh))
    end)

    it("is its old token's alone: another token's rotation leaves it be, and finish refuses it", function()
      local old, other = make("backup"), make("other")
      local kept = interrupted(old.id)
      local pending = "backup [rotation of " .. old.id .. "]"
      -- only a token marked "[replaced by ...]" is finished; this one is a rotation's new token
      local report, err = tokens:finish_org_api_token_rotation(e.org_id, kept.id)
      assert.is_true(report == nil)
      assert.equal("validation", err.kind)
      assert.same({ "backup", pending, "emulator bootstrap token", "other" }, names())
      assert.is_true(works(kept.key))

      local key
      report = assert(tokens:rotate_org_api_token(e.org_id, other.id, {
        store = function(k) key = k; return true end }))
      assert.is_falsy(report.resumed)
      assert.same({ "create", "store", "verify", "delete", "rename" }, report.done)
      assert.same({ "backup", pending, "emulator bootstrap token", "other" }, names())
      assert.is_true(works(key))
      assert.is_true(works(kept.key))
      assert.is_true(works(old.key))
    end)

    it("finishes a rotation stopped after the old token was deleted (the rename failed)", function()
      local old = make("report")
      local key
      e:fault { kind = "status", status = 503, method = "PUT" }
      local report, err = tokens:rotate_org_api_token(e.org_id, old.id, {
        store = function(k) key = k; return true end })
      assert.is_true(report == nil)   -- not printed: a report holds a key
      assert.equal("rename", err.step)
      assert.is_false(works(old.key))
      assert.is_true(works(key))
      report = assert(tokens:rotate_org_api_token(e.org_id, old.id, {
        store = function() return true end, load = function() return key end }))
      assert.same({ "resume", "rename" }, report.done)
      assert.same({ "emulator bootstrap token", "report" }, names())
    end)
  end)

  it("with keep_old marks the old token; finish deletes it once the new one exists", function()
    local old = make("grace")
    local key
    local report = assert(tokens:rotate_org_api_token(e.org_id, old.id, {
      store = function(k) key = k; return true end, keep_old = true }))
    assert.is_true(report.kept_old)
    assert.same({ "create", "store", "verify", "keep", "rename" }, report.done)
    assert.same({ "emulator bootstrap token", "grace", "grace [replaced by " .. report.new.id .. "]" }, names())
    assert.is_true(works(old.key))
    assert.is_true(works(key))

    local done = assert(tokens:finish_org_api_token_rotation(e.org_id, old.id))
    assert.equal(report.new.id, done.new_id)
    assert.is_false(works(old.key))
    assert.is_true(works(key))
    -- a token no rotation kept is not finished
    local _, err = tokens:finish_org_api_token_rotation(e.org_id, report.new.id)
    assert.equal("validation", err.kind)
    assert.is_true(works(key))
  end)

  it("with keep_old stopped after the old token was marked: a re-run gives the new token the unmarked name",
    function()
    local old = make("grace")
    local key
    e:fault { kind = "status", status = 503, method = "PUT", skip = 1 }   -- the mark passes, the rename fails
    local report, err = tokens:rotate_org_api_token(e.org_id, old.id, {
      store = function(k) key = k; return true end, keep_old = true })
    assert.is_true(report == nil)   -- not printed: a report holds a key
    assert.equal("rename", err.step)
    e:clear_faults()
    local marked
    for _, n in ipairs(names()) do if n:find("^grace %[replaced by ") then marked = n end end
    assert.truthy(marked, table.concat(names(), "|"))

    report = assert(tokens:rotate_org_api_token(e.org_id, old.id, {
      store = function() error("a re-run that finishes must not make another key") end,
      load = function() return key end, keep_old = true }))
    assert.is_true(report.resumed)
    assert.equal("grace", report.new.name)
    assert.same({ "emulator bootstrap token", "grace", marked }, names())
    assert.is_true(works(old.key))
    assert.is_true(works(key))
  end)

  it("never deletes the token the client calls with, unless allow_self", function()
    local own = e:info().bootstrap_token_id
    local report, err = tokens:rotate_org_api_token(e.org_id, own, { store = function() return true end })
    assert.is_true(report == nil)   -- not printed: a report holds a key
    assert.equal("validation", err.kind)
    assert.truthy(err.message:find("allow_self", 1, true))
    assert.same({ "emulator bootstrap token" }, names())   -- nothing was created

    local key
    assert(tokens:rotate_org_api_token(e.org_id, own, {
      store = function(k) key = k; return true end, allow_self = true }))
    assert.is_false(works(e.token))
    assert.is_true(works(key))
    -- the client goes on with the new key
    assert.same({ "emulator bootstrap token" }, names())
  end)

  it("checks its arguments before sending anything", function()
    e:clear_log()
    local _, err = tokens:rotate_org_api_token(e.org_id, "not-a-uuid", { store = function() return true end })
    assert.equal("validation", err.kind)
    assert.has_error(function() tokens:rotate_org_api_token(e.org_id, SITE, {}) end)
    assert.has_error(function() tokens:rotate_org_api_token(e.org_id, SITE) end)
    assert.has_error(function() tokens.rotate_org_api_token(e.org_id, SITE, {}) end)
    assert.same({}, e:log())
    -- a token that isn't there: the read step fails, nothing else happens
    local report
    report, err = tokens:rotate_org_api_token(e.org_id, SITE, { store = function() return true end })
    assert.is_true(report == nil)   -- not printed: a report holds a key
    assert.equal("read", err.step)
    assert.is_true(err:is_not_found())
  end)
end)

describe("rotate_api_token (the caller's own tokens)", function()
  local clients = fresh_client.new { max_retries = 0 }
  local e, mine, me

  setup(function() e = clients:start() end)
  teardown(function() clients:stop() end)
  before_each(function()
    mine = clients:renew(function()
      e:clear_faults()
      me = e:make_self_token { name = "me" }
      return { token = me.key }
    end):self_api_tokens()
  end)

  local function works(key) return e:api("GET", "/api/v1/self", nil, key) == 200 end

  local function names()
    local out = {}
    for _, t in ipairs(assert(mine:list_all_api_tokens()).data) do out[#out + 1] = t.name end
    table.sort(out)
    return out
  end

  it("creates, stores, verifies with /self, deletes the old one and takes its name", function()
    local old = e:make_self_token { name = "laptop" }
    local key
    local report = assert(mine:rotate_api_token(old.id, { store = function(k) key = k; return true end }))
    assert.same({ "create", "store", "verify", "delete", "rename" }, report.done)
    assert.same({ "laptop", "me" }, names())
    assert.is_true(works(key))
    assert.is_false(works(old.key))
  end)

  it("deletes the new token when storing fails, and refuses to delete its own token", function()
    local old = e:make_self_token { name = "laptop" }
    local report, err = mine:rotate_api_token(old.id, { store = function() return nil, "no space" end })
    assert.is_true(report == nil)   -- not printed: a report holds a key
    assert.equal("store", err.step)
    assert.same({ "laptop", "me" }, names())
    assert.is_true(works(old.key))
    report, err = mine:rotate_api_token(me.id, { store = function() return true end })
    assert.is_true(report == nil)   -- not printed: a report holds a key
    assert.equal("validation", err.kind)
    assert.same({ "laptop", "me" }, names())
  end)
end)
