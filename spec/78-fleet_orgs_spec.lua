-- Which orgs a job across orgs runs for: the orgs an MSP privilege reaches and its role
-- there, the orgs --all-orgs leaves out (and says so), ids in any case named once,
-- an MSP whose orgs can't be listed, and the library's list_orgs / each_org /
-- read_file edges.
local emu = require "support.emulator"
local cli = require "support.cli"
local mistapi = require "mistapi"
local orgs = require "mistapi.orgs"
local shell = require "support.shell"

local function no_env() return nil end

describe("the orgs of a job across orgs", function()
  local e, me
  local made = {}
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function()
    e:reset()
    me = e:make_self_token{ name = "fleet" }
  end)
  after_each(function()
    for _, c in ipairs(made) do c:close() end
    made = {}
  end)

  local function client(opts)
    local o = { base_url = e.url, token = me.key, getenv = no_env }
    for k, v in pairs(opts or {}) do o[k] = v end
    local c = assert(mistapi.new(o))
    made[#made + 1] = c
    return c
  end

  local function run(argv, opts)
    opts = opts or {}
    opts.token = me.key
    opts.secrets = { me.key, e.token }
    return cli.run(e, argv, opts)
  end

  local function pat(s) return (s:gsub("%p", "%%%0")) end

  it("gives an MSP's orgs the role of the MSP privilege, and --all-orgs leaves out the orgs it can't manage",
    function()
    local admin_msp, write_msp = e:add_msp{ name = "A" }, e:add_msp{ name = "W" }
    local mine = e:add_orgs(2, { msp_id = admin_msp.id, tokens = 1 })
    local theirs = e:add_orgs(3, { msp_id = write_msp.id, tokens = 1, name_prefix = "w-" })
    e:set_user_privileges{ { scope = "msp", role = "admin", msp_id = admin_msp.id },
      { scope = "msp", role = "write", msp_id = write_msp.id } }
    local res = assert(client():list_orgs())
    local roles = {}
    for _, o in ipairs(res.data) do roles[o.id] = o.role end
    assert.equal("admin", roles[mine[1]])
    assert.equal("write", roles[theirs[1]])
    assert.equal("write", roles[theirs[3]])
    -- one call for /self, one page of each MSP's orgs
    assert.equal(3, res.attempts)
    local r = run { "audit", "--all-orgs", "--fail-on", "never" }
    assert.equal(0, r.status)
    assert.matches("in 2 tokens of 2 orgs; 0 orgs failed", r.out)
    assert.matches("3 orgs left out: the credentials' role there can't manage API tokens", r.err)
    assert.is_nil(r.out:find(theirs[1], 1, true))
    assert.equal(2, #e:requests("GET", "/apitokens"))
  end)

  it("says one org left out as one", function()
    local ids = e:add_orgs(2, { tokens = 1 })
    e:set_user_privileges{ { scope = "org", role = "admin", org_id = ids[1] },
      { scope = "org", role = "read", org_id = ids[2] } }
    local r = run { "audit", "--all-orgs", "--fail-on", "never" }
    assert.equal(0, r.status)
    assert.matches("mistapi%-tokens: 1 org left out: ", r.err)
    assert.matches("of 1 org; 0 orgs failed", r.out)
  end)

  it("is a usage error when --all-orgs reaches no org it can manage, and nothing is audited", function()
    local ids = e:add_orgs(1, { tokens = 1 })
    e:set_user_privileges{ { scope = "org", role = "read", org_id = ids[1] } }
    local r = run { "audit", "--all-orgs" }
    assert.equal(2, r.status)
    assert.matches("no org to run for", r.err)
    assert.equal(0, #e:requests("GET", "/apitokens"))
  end)

  it("fails, naming nothing else, when an MSP's orgs can't be listed; each_org raises it", function()
    local msp = e:add_msp{}
    e:add_orgs(2, { msp_id = msp.id, tokens = 1 })
    e:set_user_privileges{ { scope = "msp", role = "admin", msp_id = msp.id } }
    e:fault{ kind = "status", status = 500, count = 100, path = "/api/v1/msps/" }
    local c = client { max_retries = 0 }
    local res, err = c:list_orgs()
    assert.is_nil(res)
    assert.equal(500, err.status)
    local ok, raised = pcall(function() for _ in c:each_org() do end end)
    assert.is_false(ok)
    assert.equal(500, raised.status)
    local r = run { "audit", "--all-orgs", "--max-retries", "0" }
    assert.equal(5, r.status)
    assert.matches("500", r.err)
    assert.equal(0, #e:requests("GET", "/apitokens"))
  end)

  it("each_org raises when /self can't be read", function()
    local c = client { token = "not-a-token-of-the-emulator", max_retries = 0 }
    local ok, raised = pcall(function() for _ in c:each_org() do end end)
    assert.is_false(ok)
    assert.equal(401, raised.status)
  end)

  it("names an org once whatever the case of its id: --org repeated, the file's ids lower-cased", function()
    local ids = e:add_orgs(2, { tokens = 1 })
    e:set_user_privileges{ { scope = "org", role = "admin", org_id = ids[1] },
      { scope = "org", role = "admin", org_id = ids[2] } }
    local r = run { "audit", "--org", ids[1]:upper(), "--org", ids[1], "--org", ids[2], "--fail-on", "never" }
    assert.equal(0, r.status)
    assert.matches("of 2 orgs; 0 orgs failed", r.out)
    assert.equal(2, #e:requests("GET", "/apitokens"))
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write(ids[1]:upper(), "\n", ids[2], "\n")
    f:close()
    assert.same({ ids[1], ids[2] }, orgs.read_file(path))
    os.remove(path)
  end)

  it("runs one --org as one org: no fleet summary", function()
    local ids = e:add_orgs(1, { tokens = 1 })
    e:set_user_privileges{ { scope = "org", role = "admin", org_id = ids[1] } }
    local r = run { "audit", "--org", ids[1], "--fail-on", "never" }
    assert.equal(0, r.status)
    assert.is_nil(r.out:find("orgs failed", 1, true))
    assert.is_nil(r.out:find("org " .. ids[1] .. ":", 1, true))
  end)

  it("takes --concurrency up to its most, and refuses one above", function()
    local ids = e:add_orgs(2, { tokens = 1 })
    e:set_user_privileges{ { scope = "org", role = "admin", org_id = ids[1] },
      { scope = "org", role = "admin", org_id = ids[2] } }
    local most = require("mistapi.config").MAX_CONCURRENCY
    local r = run { "audit", "--all-orgs", "--fail-on", "never", "--concurrency", tostring(most) }
    assert.equal(0, r.status, r.err)
    r = run { "audit", "--all-orgs", "--fail-on", "never", "--concurrency", tostring(most + 1) }
    assert.equal(2, r.status)
  end)

  it("has no more org lists under way at once than --concurrency says", function()
    local ids = e:add_orgs(6, { tokens = 1 })
    local list = {}
    for i, id in ipairs(ids) do list[i] = { scope = "org", role = "admin", org_id = id } end
    e:set_user_privileges(list)
    e:fault{ kind = "latency", ms = 300, count = 6, path = "/api/v1/orgs/" }
    local dir = shell.private_dir()
    local f = assert(io.open(dir .. "/token", "w"))
    f:write(me.key, "\n")
    f:close()
    -- the run in the background; its exit status in a file once it is done (whole: written, then renamed)
    assert(os.execute(("(%s%s audit --all-orgs --fail-on never --concurrency 2 --token-file %s >/dev/null 2>&1;"
      .. " echo $? >%s.new && mv %s.new %s) &"):format(shell.client_env(e), shell.quote(shell.CLI),
      shell.quote(dir .. "/token"), shell.quote(dir .. "/status"), shell.quote(dir .. "/status"),
      shell.quote(dir .. "/status"))))
    local most = 0
    for _ = 1, 1500 do
      local n = e:inflight().in_flight
      if n > most then most = n end
      if shell.exists(dir .. "/status") then break end
      assert(os.execute("sleep 0.01"))
    end
    assert.equal("0", shell.read_file(dir .. "/status"):match("%d+"))
    assert.is_true(most <= 2, tostring(most))
    assert.equal(6, #e:requests("GET", "/apitokens"))
    shell.remove_tree(dir)
  end)

  it("reads /self as Mist may write it: ids in capitals once, a site's privilege no org's, a bad id skipped",
    function()
    local msp = e:add_msp{ name = "Acme MSP" }
    local in_msp = e:add_orgs(1, { msp_id = msp.id, tokens = 0 })[1]
    local a, b = table.unpack(e:add_orgs(2, { tokens = 0 }))
    local me_body = require("cjson").encode{ privileges = {
      { scope = "org", role = "read", org_id = a:upper() },
      { scope = "org", role = "admin", org_id = a },
      { scope = "site", role = "admin", org_id = b, site_id = b },
      { scope = "org", role = "admin", org_id = "0" .. b },
      { scope = "msp", role = "admin", msp_id = msp.id:upper() },
    } }
    e:set_user_privileges{ { scope = "msp", role = "admin", msp_id = msp.id } }
    e:fault{ kind = "status", status = 200, count = 1, method = "GET", path = "/api/v1/self", body = me_body,
      headers = { ["Content-Type"] = "application/json" } }
    local res = assert(client():list_orgs())
    local got = {}
    for i, o in ipairs(res.data) do got[i] = { o.id, o.role } end
    assert.same({ { a, "admin" }, { in_msp, "admin" } }, got)
    assert.equal(msp.id, res.data[2].msp_id)
    assert.equal(1, #e:requests("GET", "/api/v1/msps/" .. msp.id .. "/orgs"))
  end)

  it("shows an org's hostile name cleaned and cut in its line", function()
    local ids = e:add_orgs(1, { tokens = 1, name_prefix = "\27[31mred" .. ("x"):rep(100) })
    local plain = e:add_orgs(1, { tokens = 1 })
    e:set_user_privileges{ { scope = "org", role = "admin", org_id = ids[1] },
      { scope = "org", role = "admin", org_id = plain[1] } }
    local r = run { "audit", "--all-orgs", "--fail-on", "never" }
    assert.equal(0, r.status)
    assert.is_nil((r.out .. r.err):find("\27", 1, true))
    local line = r.out:match("org " .. pat(ids[1]) .. " %(([^\n]*)%): ")
    assert.truthy(line)
    assert.is_true(#line <= 60 * 4, tostring(#line))
    assert.is_nil(line:find(("x"):rep(100), 1, true))
  end)

  it("the library refuses an org id that is not a string, before anything is sent", function()
    local tokens = client():orgs_api_tokens()
    assert.has_error(function() tokens:audit_orgs_api_tokens({ e.org_id, 42 }) end,
      "audit_orgs_api_tokens: org_ids[2] must be a string")
    assert.has_error(function() tokens:plan_orgs_api_tokens({ 42 }, { tokens = {} }) end,
      "plan_orgs_api_tokens: org_ids[1] must be a string")
    assert.equal(0, #e:requests("GET", "/apitokens"))
  end)
end)
