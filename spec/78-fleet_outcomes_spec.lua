-- What a job across orgs says and how it ends: the exit status is the FIRST failed org's
-- (for audit, plan and apply, whichever step failed), failed orgs counted in every
-- summary, an apply with nothing to do that still ends as its failed org, --prune and
-- --prefix reaching every org, a saved plan refused, notes with their org, an org of
-- exactly one page read once and one whose second page fails reported, and the bar
-- erased when done.
local emu = require "support.emulator"
local cli = require "support.cli"
local shell = require "support.shell"
local cjson = require "cjson"

local STATE = '{"tokens": {"monitoring": {"privileges": [{"role": "read", "scope": "org"}]}}}'

describe("the outcomes of a job across orgs", function()
  local e, me, dir, state
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function()
    e:reset()
    me = e:make_self_token{ name = "fleet" }
    dir = shell.private_dir()
    state = dir .. "/state.json"
    local f = assert(io.open(state, "w"))
    f:write(STATE)
    f:close()
  end)
  after_each(function() shell.remove_tree(dir) end)

  local function run(argv, opts)
    opts = opts or {}
    opts.token = me.key
    opts.secrets = { me.key, e.token }
    return cli.run(e, argv, opts)
  end

  local function pat(s) return (s:gsub("%p", "%%%0")) end

  -- n orgs with one seeded token each; the user admin of all but the first `unprivileged`
  local function orgs_of(n, unprivileged)
    local ids = e:add_orgs(n, { tokens = 1 })
    local list = {}
    for i = (unprivileged or 0) + 1, n do list[#list + 1] = { scope = "org", role = "admin", org_id = ids[i] } end
    e:set_user_privileges(list)
    return ids
  end

  it("audit and plan end with the first failed org's status, not the last one's", function()
    -- org 1: not the user's (403: exit 4); org 2: the server fails (500: exit 5)
    local ids = orgs_of(3, 1)
    e:fault{ kind = "status", status = 500, count = 100, path = "/api/v1/orgs/" .. ids[2] .. "/apitokens" }
    local argv = { "--org", ids[1], "--org", ids[2], "--org", ids[3], "--max-retries", "0" }
    local r = run { "audit", "--fail-on", "never", table.unpack(argv) }
    assert.equal(4, r.status)
    assert.matches("in 1 token of 3 orgs; 2 orgs failed", r.out)
    r = run { "plan", state, table.unpack(argv) }
    assert.equal(4, r.status)
    assert.matches("Plan for 3 orgs: 1 to create, 0 to change, 0 to replace, 0 to destroy; 1 org with changes,"
      .. " 2 failed%.", r.out)
    assert.matches("org " .. pat(ids[1]) .. ": failed", r.out)
    assert.matches("org " .. pat(ids[2]) .. ": failed", r.out)
  end)

  it("apply counts the orgs whose plan failed, and ends with the first failure's status", function()
    -- org 1: its plan fails (403: exit 4); org 2: applied; org 3: its create fails (500: exit 5)
    local ids = orgs_of(3, 1)
    e:fault{ kind = "status", status = 500, count = 100, method = "POST", path = "/api/v1/orgs/" .. ids[3] .. "/" }
    local keys = dir .. "/keys"
    assert(os.execute("mkdir -m 700 " .. keys))
    local r = run { "apply", state, "--org", ids[1], "--org", ids[2], "--org", ids[3], "--key-dir", keys, "--yes",
      "--max-retries", "0" }
    assert.equal(4, r.status)
    assert.matches("Apply complete: 1 created, 0 changed, 0 replaced, 0 destroyed in 1 org; 2 orgs failed%.", r.out)
    assert.matches("mistapi%-tokens: org " .. pat(ids[3]) .. ": 500: ", r.err)
    -- the org whose create failed keeps no key file
    assert.is_false(shell.exists(keys .. "/" .. ids[3] .. "/monitoring.key"))
    assert.is_true(shell.exists(keys .. "/" .. ids[2] .. "/monitoring.key"))
  end)

  it("apply with nothing to change still ends as its failed org", function()
    local ids = orgs_of(2, 1)
    e:make_token{ org_id = ids[2], name = "monitoring", privileges = { { role = "read", scope = "org" } } }
    local r = run { "apply", state, "--org", ids[1], "--org", ids[2], "--key-dir", dir, "--yes" }
    assert.equal(4, r.status)
    assert.matches("0 orgs with changes, 1 failed%.", r.out)
    assert.equal(0, #e:requests("POST"))
  end)

  it("plans --prune with --prefix in every org", function()
    local ids = orgs_of(2)
    local r = run { "plan", state, "--org", ids[1], "--org", ids[2], "--prefix", "seeded-", "--prune", "--json" }
    assert.equal(0, r.status)
    local doc = cjson.decode(r.out)
    assert.same({ create = 2, update = 0, replace = 0, delete = 2 }, doc.counts)
    r = run { "plan", state, "--org", ids[1], "--org", ids[2], "--prefix", "seeded-", "--json" }
    doc = cjson.decode(r.out)
    assert.same({ create = 2, update = 0, replace = 0, delete = 0 }, doc.counts)
    -- each org's seeded token: managed, not in the state, not pruned: a note with its org
    assert.equal(2, #doc.notes)
    assert.same({ ids[1], ids[2] }, { doc.notes[1].org_id, doc.notes[2].org_id })
    assert.matches("prune would delete it", doc.notes[1].note)
  end)

  it("refuses to apply a saved plan of one org to several orgs, and changes nothing", function()
    local ids = orgs_of(2)
    local saved = dir .. "/plan.json"
    local r = run { "plan", state, "--org", ids[1], "--out", saved }
    assert.equal(0, r.status, r.err)
    r = run { "apply", saved, "--org", ids[1], "--org", ids[2], "--key-dir", dir, "--yes" }
    assert.equal(2, r.status)
    assert.matches("is a saved plan of one org", r.err)
    assert.equal(0, #e:requests("POST"))
  end)

  it("gives every note its org, in --json and in text", function()
    local ids = orgs_of(2)
    local site = e:add_site{ org_id = ids[2], name = "hq" }.id
    e:make_token{ org_id = ids[2], name = "site-reader",
      privileges = { { role = "read", scope = "site", site_id = site } } }
    e:fault{ kind = "status", status = 403, count = 100, method = "GET", path = "/api/v1/orgs/" .. ids[2] .. "/sites" }
    local r = run { "audit", "--org", ids[1], "--org", ids[2], "--fail-on", "never", "--json" }
    assert.equal(0, r.status, r.err)
    local doc = cjson.decode(r.out)
    assert.equal(1, #doc.notes)
    assert.equal(ids[2], doc.notes[1].org_id)
    assert.matches("sites not checked", doc.notes[1].note)
    r = run { "audit", "--org", ids[1], "--org", ids[2], "--fail-on", "never" }
    assert.matches("note: org " .. pat(ids[2]) .. ": sites not checked", r.out)
  end)

  it("reads an org of exactly one full page once, and reports an org whose second page fails", function()
    local ids = orgs_of(3)
    e:seed(999, { org_id = ids[1] })    -- 1000 tokens: one page
    e:seed(1000, { org_id = ids[2] })   -- 1001 tokens: two pages, the second fails
    e:fault{ kind = "status", status = 500, count = 100, skip = 1, path = "/api/v1/orgs/" .. ids[2] .. "/apitokens" }
    local r = run { "audit", "--all-orgs", "--fail-on", "never", "--max-retries", "0", "--json" }
    assert.equal(5, r.status)
    local doc = cjson.decode(r.out)
    assert.equal(1000, doc.orgs[1].tokens)
    assert.is_string(doc.orgs[2].error)
    assert.is_nil(doc.orgs[2].tokens)
    assert.equal(1, doc.orgs[3].tokens)
    assert.equal(1, doc.failed)
    assert.matches("500", doc.orgs[2].error)
    assert.equal(1, #e:requests("GET", "/api/v1/orgs/" .. ids[1] .. "/apitokens"))
    assert.equal(2, #e:requests("GET", "/api/v1/orgs/" .. ids[2] .. "/apitokens"))
  end)

  it("erases the bar when done, so the results start on a clean line", function()
    orgs_of(2)
    local r = run({ "audit", "--all-orgs", "--fail-on", "never" }, { terminal = true })
    assert.equal(0, r.status)
    local last = r.err:match("(\r[^\r]*)\r[ ]+\r$")
    assert.truthy(last, r.err)
    assert.equal(#last, #r.err:match("\r([ ]+)\r$"))
  end)

  it("walks on from a first page only when it says more remain and had any", function()
    local ids = orgs_of(3)
    local _, list = e:api("GET", e:tokens_path(nil, ids[3]), nil, me.key)
    local one = cjson.encode(list)
    e:clear_log()
    local function first_page(org, body, headers)
      e:fault{ kind = "status", status = 200, count = 1, body = body, headers = headers,
        path = "/api/v1/orgs/" .. org .. "/apitokens" }
    end
    -- an empty page that claims thousands more; a page that says its total and not its limit (ours, 1000,
    -- then); a page of `results` whose `next` is false
    first_page(ids[1], "[]", { ["X-Page-Total"] = "5000", ["X-Page-Limit"] = "1000", ["X-Page-Page"] = "1" })
    first_page(ids[2], one, { ["X-Page-Total"] = "500" })
    first_page(ids[3], cjson.encode({ results = list, next = false }), {})
    local r = run { "audit", "--all-orgs", "--fail-on", "never", "--json" }
    assert.equal(0, r.status, r.err)
    local doc = cjson.decode(r.out)
    assert.same({ 0, 1, 1 }, { doc.orgs[1].tokens, doc.orgs[2].tokens, doc.orgs[3].tokens })
    for _, id in ipairs(ids) do assert.equal(1, #e:requests("GET", "/api/v1/orgs/" .. id .. "/apitokens")) end
  end)

  it("fails an org whose first page's paging headers are no numbers, as the pager does; the others go on", function()
    local ids = orgs_of(3)
    local _, list = e:api("GET", e:tokens_path(nil, ids[1]), nil, me.key)
    e:clear_log()
    e:fault{ kind = "status", status = 200, count = 1, body = cjson.encode(list),
      headers = { ["X-Page-Total"] = "12abc", ["X-Page-Limit"] = "1000" },
      path = "/api/v1/orgs/" .. ids[2] .. "/apitokens" }
    local r = run { "audit", "--all-orgs", "--fail-on", "never", "--json" }
    assert.equal(5, r.status, r.err)
    local doc = cjson.decode(r.out)
    assert.equal(1, doc.failed)
    assert.matches("paging headers are not whole numbers", doc.orgs[2].error)
    assert.same({ 1, 1 }, { doc.orgs[1].tokens, doc.orgs[3].tokens })
  end)

  it("an org's key directory that can't be used: usage, and the directories made for the others are gone", function()
    local ids = orgs_of(2)
    local keys = dir .. "/keys"
    assert(os.execute("mkdir -m 700 " .. keys))
    -- a link to nowhere where the second org's directory would go
    assert(os.execute("ln -s /nonexistent/nowhere " .. shell.quote(keys .. "/" .. ids[2])))
    local r = run { "apply", state, "--org", ids[1], "--org", ids[2], "--key-dir", keys, "--yes" }
    assert.equal(2, r.status)
    assert.matches("%-%-key%-dir " .. pat(keys .. "/" .. ids[2]) .. ": no such directory", r.err)
    assert.equal("missing", require("mistapi.core").path_kind(keys .. "/" .. ids[1]))
    assert.equal(0, #e:requests("POST"))
  end)

  it("says the line of a bad id in --orgs-file", function()
    local ids = orgs_of(1)
    local path = dir .. "/orgs"
    local f = assert(io.open(path, "w"))
    f:write("# the night run\n\n", ids[1], "\nnot-an-org\n")
    f:close()
    local r = run { "audit", "--orgs-file", path }
    assert.equal(2, r.status)
    assert.matches(pat(path) .. ":4: not an org id", r.err)
    assert.equal(0, #e:requests("GET", "/apitokens"))
  end)

  it("refuses a desired state that can't be read once, before any org is read", function()
    local ids = orgs_of(2)
    local bad = dir .. "/bad.json"
    local f = assert(io.open(bad, "w"))
    f:write("{ not json")
    f:close()
    for _, argv in ipairs { { "plan" }, { "apply", "--key-dir", dir, "--yes" } } do
      local r = run { argv[1], bad, "--org", ids[1], "--org", ids[2], table.unpack(argv, 2) }
      assert.equal(3, r.status, r.err)
      assert.equal(1, select(2, r.err:gsub("desired state", "")), r.err)
      assert.matches("desired state: " .. pat(bad) .. ": JSON: ", r.err)
    end
    assert.equal(0, #e:requests("GET", "/apitokens"))
  end)

  it("asks once for the orgs with changes, and needs no --key-dir for a plan that makes no key", function()
    local ids = orgs_of(3)
    e:make_token{ org_id = ids[2], name = "monitoring", privileges = { { role = "read", scope = "org" } } }
    local r = run({ "apply", state, "--org", ids[1], "--org", ids[2], "--org", ids[3], "--key-dir", dir },
      { answer = "n" })
    assert.equal(1, r.status)
    assert.matches("apply these changes to 2 orgs%?", r.err)
    -- destroying only: no key is made, so no --key-dir
    local empty = dir .. "/empty.json"
    local f = assert(io.open(empty, "w"))
    f:write('{"tokens": {}}')
    f:close()
    r = run { "apply", empty, "--org", ids[1], "--org", ids[3], "--prefix", "seeded-", "--prune", "--yes" }
    assert.equal(0, r.status, r.err)
    assert.matches("Apply complete: 0 created, 0 changed, 0 replaced, 2 destroyed in 2 orgs; 0 orgs failed%.", r.out)
  end)

  it("the library gives an outcome for each bad id and sends nothing when every id is bad", function()
    local c = assert(require("mistapi").new{ base_url = e.url, token = me.key, getenv = function() end })
    local out = c:orgs_api_tokens():audit_orgs_api_tokens({ "nope", "not-a-uuid" })
    assert.same({ "validation", "validation" }, { out[1].err.kind, out[2].err.kind })
    assert.equal(0, #e:requests("GET", "/apitokens"))
    c:close()
  end)
end)
