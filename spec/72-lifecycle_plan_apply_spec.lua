-- tokens:plan_org_api_tokens and tokens:apply_org_api_tokens against the
-- emulator: a round trip that creates, updates, replaces (src_ips changed) and
-- prunes, then plans nothing; unmanaged tokens untouched; creates before
-- deletes; the first failure stops the run and says what was done.
local fresh_client = require "support.fresh_client"

local READ = { { role = "read", scope = "org" } }
local WRITE = { { role = "write", scope = "org" } }

describe("plan_org_api_tokens and apply_org_api_tokens", function()
  local fresh = fresh_client.new { max_retries = 0 }
  local e, tokens

  setup(function() e = fresh:start() end)
  teardown(function() fresh:stop() end)
  before_each(function()
    tokens = fresh:renew(function() e:clear_faults() end):orgs_api_tokens()
  end)

  local function make(name, privileges, src_ips)
    local body = { name = name, privileges = privileges, src_ips = src_ips }
    return assert(tokens:create_org_api_token(e.org_id, body)).data
  end

  local function by_name()
    local out = {}
    for _, t in ipairs(assert(tokens:list_all_org_api_tokens(e.org_id)).data) do
      assert.is_nil(out[t.name], "one token a name")
      out[t.name] = t
    end
    return out
  end

  local function works(key) return e:api("GET", "/api/v1/self", nil, key) == 200 end

  local function desired()
    return {
      prefix = "app-",
      tokens = {
        ["app-new"] = { privileges = READ },
        ["app-mon"] = { privileges = READ, src_ips = { "127.0.0.1" } },
        ["app-edge"] = { privileges = READ, src_ips = { "127.0.0.0/8" } },
      },
    }
  end

  -- The org before: managed tokens that differ, and tokens nobody manages.
  local function seed()
    return {
      mon = make("app-mon", WRITE, { "127.0.0.1" }),
      edge = make("app-edge", READ, { "127.0.0.1" }),
      old = make("app-old", READ),
      manual = make("ops-manual", WRITE),
      lookalike = make("apps-report", READ),
    }
  end

  local function keep_keys(keys)
    return function(key, token, name)
      assert.is_string(token.id)
      keys[name] = key
      return true
    end
  end

  it("plans create, update in place, replace for src_ips and destroy, and prints them as terraform does", function()
    local before = seed()
    local p = assert(tokens:plan_org_api_tokens(e.org_id, desired(), { prune = true }))
    local steps = {}
    for i, s in ipairs(p.steps) do steps[i] = s.action .. " " .. s.name end
    assert.same({ "create app-new", "update app-mon", "replace app-edge", "delete app-old" }, steps)
    assert.same({ create = 1, update = 1, replace = 1, delete = 1 }, p.counts)
    assert.same({ "src_ips" }, p.steps[3].changes)
    assert.equal(before.edge.id, p.steps[3].id)
    local text = tostring(p)
    assert.truthy(text:find("  + create app-new", 1, true))
    assert.truthy(text:find("  ~ update in place app-mon (" .. before.mon.id .. ")", 1, true))
    assert.truthy(text:find("privileges: write@org -> read@org", 1, true))
    assert.truthy(text:find("  -/+ replace app-edge", 1, true))
    assert.truthy(text:find("src_ips:    127.0.0.1 -> 127.0.0.0/8   # forces replacement", 1, true))
    assert.truthy(text:find("  - destroy app-old", 1, true))
    assert.truthy(text:find("Plan: 1 to create, 1 to change, 1 to replace, 1 to destroy.", 1, true))
    -- planning changed nothing
    assert.equal(6, (function() local n = 0; for _ in pairs(by_name()) do n = n + 1 end; return n end)())
  end)

  it("applies it, creates before deletes, never touches unmanaged tokens, and a second apply does nothing",
    function()
    local before = seed()
    local keys = {}
    e:clear_log()
    local done = assert(tokens:apply_org_api_tokens(e.org_id, desired(), { store = keep_keys(keys), prune = true }))
    assert.equal(4, #done.done)

    local log, last_post, first_delete = e:log(), 0, math.huge
    for i, entry in ipairs(log) do
      if entry.method == "POST" then last_post = i end
      if entry.method == "DELETE" and i < first_delete then first_delete = i end
    end
    assert.truthy(last_post < first_delete)

    local now = by_name()
    -- created, with its key stored and working
    assert.is_true(works(keys["app-new"]))
    assert.equal("read", now["app-new"].privileges[1].role)
    -- updated in place: same id
    assert.equal(before.mon.id, now["app-mon"].id)
    assert.equal("read", now["app-mon"].privileges[1].role)
    -- replaced: a new id with the new src_ips, its key stored; the old one gone
    assert.is_not.equal(before.edge.id, now["app-edge"].id)
    assert.same({ "127.0.0.0/8" }, now["app-edge"].src_ips)
    assert.is_true(works(keys["app-edge"]))
    assert.is_false(works(before.edge.key))
    -- pruned
    assert.is_nil(now["app-old"])
    -- unmanaged: as they were
    for _, t in ipairs { before.manual, before.lookalike } do
      assert.equal(t.id, now[t.name].id)
      assert.is_true(works(t.key))
    end
    assert.is_true(works(e.token))

    e:clear_log()
    local again = assert(tokens:plan_org_api_tokens(e.org_id, desired(), { prune = true }))
    assert.is_true(again:is_empty())
    assert.truthy(tostring(again):find("No changes.", 1, true))
    local second = assert(tokens:apply_org_api_tokens(e.org_id, desired(), {
      store = function() error("nothing to store") end, prune = true }))
    assert.equal(0, #second.done)
    for _, entry in ipairs(e:log()) do assert.equal("GET", entry.method) end
  end)

  it("without prune leaves managed tokens the state doesn't name, and says so", function()
    seed()
    local p = assert(tokens:plan_org_api_tokens(e.org_id, desired()))
    assert.equal(0, p.counts.delete)
    assert.equal(1, #p.unpruned)
    assert.equal("app-old", p.unpruned[1].name)
    assert.truthy(tostring(p):find("prune would delete it", 1, true))
    assert(tokens:apply_org_api_tokens(e.org_id, p, { store = keep_keys({}) }))
    assert.is_table(by_name()["app-old"])
  end)

  it("manages listed names too, and follows a token by id across a rename", function()
    local legacy = make("legacy-ci", READ)
    local state = { managed = { "legacy-ci", "gone" }, tokens = {
      ["ci"] = { id = legacy.id, privileges = READ } } }
    local p = assert(tokens:plan_org_api_tokens(e.org_id, state, { prune = true }))
    assert.equal(1, #p.steps)
    assert.equal("update", p.steps[1].action)
    assert.same({ "name" }, p.steps[1].changes)
    assert(tokens:apply_org_api_tokens(e.org_id, p))
    assert.equal(legacy.id, by_name()["ci"].id)
    assert.is_true(assert(tokens:plan_org_api_tokens(e.org_id, state, { prune = true })):is_empty())
  end)

  it("stops at the first failure with what was done so far, and leaves no token whose key nobody has", function()
    local state = { tokens = { ["a-first"] = { privileges = READ }, ["b-second"] = { privileges = READ },
      ["c-third"] = { privileges = READ } } }
    local keys = {}
    local res, err = tokens:apply_org_api_tokens(e.org_id, state, {
      store = function(key, _, name)
        if name == "b-second" then return nil, "vault sealed" end
        keys[name] = key
        return true
      end,
    })
    assert.is_true(res == nil)
    assert.equal("store", err.step:match("(%w+)$"))
    assert.equal(1, #err.done)
    assert.equal("a-first", err.done[1].name)
    assert.equal("b-second", err.failed.name)
    assert.truthy(tostring(err):find("done before it: create a-first", 1, true))
    local now = by_name()
    assert.is_table(now["a-first"])
    assert.is_nil(now["b-second"])
    assert.is_nil(now["c-third"])
    assert.is_true(works(keys["a-first"]))
  end)

  it("never deletes or replaces the client's own token without allow_self", function()
    local state = { managed = { "emulator bootstrap token" }, tokens = { ["x"] = { privileges = READ } } }
    local p = assert(tokens:plan_org_api_tokens(e.org_id, state, { prune = true }))
    assert.is_true(p.steps[2].own)
    local res, err = tokens:apply_org_api_tokens(e.org_id, p, { store = keep_keys({}) })
    assert.is_true(res == nil)
    assert.equal("validation", err.kind)
    assert.truthy(err.message:find("allow_self", 1, true))
    assert.is_nil(by_name()["x"])   -- refused before anything was done
  end)

  it("reads a desired state from a JSON file and refuses a wrong one with a clear error", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write('{"prefix":"app-","tokens":{"app-json":{"privileges":[{"role":"read","scope":"org"}],'
      .. '"src_ips":["127.0.0.1"]}}}')
    f:close()
    local p = assert(tokens:plan_org_api_tokens(e.org_id, path))
    assert.equal("create app-json", p.steps[1].action .. " " .. p.steps[1].name)
    os.remove(path)

    for bad, words in pairs {
      [{ tokens = { x = { privilege = READ } } }] = 'unknown field "privilege"',
      [{ tokens = { x = { privileges = { { role = "boss", scope = "org" } } } } }] = '"boss" is not one of',
      [{ tokens = { x = { privileges = {} } } }] = "at least one privilege",
      [{ tokens = { x = { privileges = READ, src_ips = { "300.1.1.1" } } } }] = "src_ips",
      [{ tokens = {}, extra = 1 }] = 'unknown field "extra"',
      [{ tokens = { { privileges = READ } } }] = "object of name",
      -- a run's temporary names: never counted as managed, each plan would make them again
      [{ tokens = { ["x [being created]"] = { privileges = READ } } }] = "temporary name",
      [{ tokens = { ["x [rotation of 0a1b-2c]"] = { privileges = READ } } }] = "temporary name",
      [{ tokens = { ["x [replaced by 0A1B]"] = { privileges = READ } } }] = "temporary name",
    } do
      local res, err = tokens:plan_org_api_tokens(e.org_id, bad)
      assert.is_true(res == nil)
      assert.equal("validation", err.kind)
      assert.truthy(err.message:find(words, 1, true), err.message)
    end
    local res, err = tokens:plan_org_api_tokens(e.org_id, "/nonexistent/desired.json")
    assert.is_true(res == nil)
    assert.equal("validation", err.kind)
  end)
end)
