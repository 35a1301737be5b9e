-- audit across orgs: --all-orgs over an MSP's 300 orgs, --org repeated and --orgs-file,
-- every org's token list read once through the bulk machinery, per-org results, --json
-- with org_id on every finding, a failed org said with its org while the others go on,
-- the progress bar on a terminal only; and the library's list_orgs / each_org.
local emu = require "support.emulator"
local cli = require "support.cli"
local shell = require "support.shell"
local mistapi = require "mistapi"
local cjson = require "cjson"

describe("audit across orgs", function()
  local e, me
  setup(function() e = emu.start() end)
  teardown(function() e:stop() end)
  before_each(function()
    e:reset()
    me = e:make_self_token{ name = "fleet" }
  end)

  local function run(argv, opts)
    opts = opts or {}
    opts.token = opts.token or me.key
    opts.secrets = { me.key, e.token }
    return cli.run(e, argv, opts)
  end

  local function lines_with(text, pattern)
    local n = 0
    for line in text:gmatch("[^\n]+") do
      if line:find(pattern) then n = n + 1 end
    end
    return n
  end

  it("audits every org of an MSP of 300, reading each org's token list once", function()
    local msp = e:add_msp{ name = "Acme MSP" }
    local ids = e:add_orgs(300, { msp_id = msp.id, tokens = 2 })
    e:set_user_privileges{ { scope = "msp", role = "admin", msp_id = msp.id } }
    e:clear_log()
    local r = run { "audit", "--all-orgs", "--skip", "no_src_ips" }
    assert.equal(1, r.status)   -- broad privileges found, as for one org
    assert.matches("600 findings %(600 high, 0 medium, 0 low%) in 600 tokens of 300 orgs; 0 orgs failed", r.out)
    for _, id in ipairs { ids[1], ids[150], ids[300] } do
      assert.matches("org " .. id:gsub("%-", "%%-") .. " %(org%-%d+%): 2 findings in 2 tokens", r.out)
    end
    assert.equal(300, lines_with(r.out, "^org .*: 2 findings in 2 tokens$"))
    assert.equal("", r.err)
    local lists = e:requests("GET", "/apitokens")
    assert.equal(300, #lists)
    local seen = {}
    for _, entry in ipairs(lists) do
      local org = entry.path:match("^/api/v1/orgs/([^/]+)/apitokens$")
      assert.is_nil(seen[org])
      seen[org] = true
    end
    for _, id in ipairs(ids) do assert.is_true(seen[id]) end
    assert.equal(1, #e:requests("GET", "/api/v1/msps/" .. msp.id .. "/orgs"))
  end)

  it("writes --json with org_id on every finding and a row for every org", function()
    local msp = e:add_msp{}
    local ids = e:add_orgs(3, { msp_id = msp.id, tokens = 1 })
    e:set_user_privileges{ { scope = "msp", role = "admin", msp_id = msp.id } }
    local r = run { "audit", "--all-orgs", "--json", "--fail-on", "never" }
    assert.equal(0, r.status)
    local doc = cjson.decode(r.out)
    assert.equal(3, #doc.orgs)
    assert.equal(6, #doc.findings)
    local per = {}
    for _, f in ipairs(doc.findings) do
      assert.is_string(f.org_id)
      per[f.org_id] = (per[f.org_id] or 0) + 1
    end
    for i, id in ipairs(ids) do
      assert.equal(2, per[id])
      assert.same({ org_id = id, name = "org-" .. i, tokens = 1, findings = 2 }, doc.orgs[i])
    end
    assert.equal(0, doc.failed)
  end)

  it("says a failed org with its org, audits the others, and exits as that org would", function()
    local ids = e:add_orgs(4, { tokens = 1 })
    local list = {}
    for i, id in ipairs(ids) do list[i] = { scope = "org", role = "admin", org_id = id } end
    e:set_user_privileges(list)
    e:fault{ kind = "status", status = 500, count = 20, path = "/api/v1/orgs/" .. ids[3] .. "/apitokens" }
    local r = run { "audit", "--all-orgs", "--max-retries", "1", "--fail-on", "never" }
    assert.equal(5, r.status)   -- a server's failure, as for one org
    assert.matches("org " .. ids[3]:gsub("%-", "%%-") .. " %(org%-3%): 500", r.err)
    assert.equal(1, lines_with(r.err, "500"))
    assert.matches("org " .. ids[3]:gsub("%-", "%%-") .. " %(org%-3%): failed", r.out)
    for _, i in ipairs { 1, 2, 4 } do
      assert.matches("org " .. ids[i]:gsub("%-", "%%-") .. " %(org%-" .. i .. "%): 2 findings in 1 token", r.out)
    end
    assert.matches("in 3 tokens of 4 orgs; 1 org failed", r.out)
  end)

  it("takes --org repeated and --orgs-file together, each org once, and reads every page of a big org", function()
    local ids = e:add_orgs(3, { tokens = 1 })
    e:seed(1200, { org_id = ids[2] })
    local list = {}
    for i, id in ipairs(ids) do list[i] = { scope = "org", role = "admin", org_id = id } end
    e:set_user_privileges(list)
    local dir = os.tmpname()
    local f = assert(io.open(dir, "w"))
    f:write("# the orgs of the night run\n", ids[2]:upper(), "\n\n", ids[3], "  # the last\n")
    f:close()
    local r = run { "audit", "--org", ids[1], "--org", ids[2], "--orgs-file", dir, "--fail-on", "never",
      "--skip", "no_src_ips", "--skip", "duplicate_name", "--skip", "never_used" }
    assert.equal(0, r.status)
    assert.matches("1203 findings .* in 1203 tokens of 3 orgs; 0 orgs failed", r.out)
    assert.matches("org " .. ids[2]:gsub("%-", "%%-") .. ": 1201 findings in 1201 tokens", r.out)
    assert.equal(2, #e:requests("GET", "/api/v1/orgs/" .. ids[2] .. "/apitokens"))
    f = assert(io.open(dir, "w"))
    f:write(ids[1], "\nnot-an-org\n")
    f:close()
    r = run { "audit", "--orgs-file", dir }
    assert.equal(2, r.status)
    assert.matches(":2: not an org id", r.err)
    r = run { "audit", "--org", ids[1], "--org", ids[2], "--concurrency", "100000" }
    assert.equal(2, r.status)
    assert.matches("%-%-concurrency 100000: at most %d+", r.err)
    os.remove(dir)
  end)

  it("draws a progress bar on a terminal only", function()
    local ids = e:add_orgs(2, { tokens = 1 })
    e:set_user_privileges{ { scope = "org", role = "admin", org_id = ids[1] },
      { scope = "org", role = "admin", org_id = ids[2] } }
    local r = run({ "audit", "--all-orgs", "--fail-on", "never" }, { terminal = true })
    assert.matches("\r%[#+%] 2/2 orgs, 4 findings", r.err)
    r = run { "audit", "--all-orgs", "--fail-on", "never" }
    assert.equal("", r.err)
  end)

  it("the script draws its bar only where standard output and error are a terminal", function()
    local ids = e:add_orgs(2, { tokens = 1 })
    e:set_user_privileges{ { scope = "org", role = "admin", org_id = ids[1] },
      { scope = "org", role = "admin", org_id = ids[2] } }
    local dir = shell.private_dir()
    local token_file = dir .. "/token"
    local f = assert(io.open(token_file, "w"))
    f:write(me.key, "\n")
    f:close()
    local argv = "audit --all-orgs --fail-on never --token-file " .. shell.quote(token_file)
    local r = shell.run_cli(e, argv)
    assert.equal(0, r.status)
    assert.matches("4 findings .* in 2 tokens of 2 orgs; 0 orgs failed", r.out)
    assert.equal("", r.err)
    -- under a terminal (script(1) gives the command a pty for both): the bar, then the same results
    local cmd = shell.client_env(e) .. shell.quote(shell.CLI) .. " " .. argv
    r = shell.capture("script -qec " .. shell.quote(cmd) .. " /dev/null </dev/null")
    assert.equal(0, r.status)
    assert.matches("%[#+%] 2/2 orgs, 4 findings", r.out)
    assert.matches("in 2 tokens of 2 orgs; 0 orgs failed", r.out)
    assert.is_nil(r.out:find(me.key, 1, true))
    shell.remove_tree(dir)
  end)

  it("gives the library one outcome an org, in the order asked, a bad org id failing alone", function()
    local ids = e:add_orgs(3, { tokens = 2 })
    e:set_user_privileges{ { scope = "org", role = "admin", org_id = ids[1] },
      { scope = "org", role = "admin", org_id = ids[3] } }
    local client = assert(mistapi.new{ base_url = e.url, token = me.key })
    local tokens = client:orgs_api_tokens()
    local seen = {}
    local out = tokens:audit_orgs_api_tokens({ ids[3], "not-a-uuid", ids[2], ids[1] }, {
      concurrency = 2, rules = { no_src_ips = false },
      on_org = function(o, i) seen[#seen + 1] = i .. (o.err and "!" or "") end,
    })
    assert.equal(4, #out)
    assert.same({ ids[3], "not-a-uuid", ids[2], ids[1] }, { out[1].org_id, out[2].org_id, out[3].org_id,
      out[4].org_id })
    assert.equal(2, #out[1].result.findings)
    assert.equal(2, out[4].tokens)
    assert.equal("validation", out[2].err.kind)
    assert.equal(403, out[3].err.status)
    table.sort(seen)
    assert.same({ "1", "2!", "3!", "4" }, seen)
    -- nothing was sent for the bad id; the others' lists once each
    assert.equal(3, #e:requests("GET", "/apitokens"))
    assert.has_error(function() tokens:audit_orgs_api_tokens(ids[1]) end)
    assert.has_error(function() tokens:audit_orgs_api_tokens({ ids[1] }, { concurrency = 0 }) end)
    local plans = tokens:plan_orgs_api_tokens({ ids[1], ids[3] },
      { tokens = { ci = { privileges = { { role = "read", scope = "org" } } } } })
    assert.same({ "create", "create" }, { plans[1].result.steps[1].action, plans[2].result.steps[1].action })
    local none, err = tokens:plan_orgs_api_tokens({ ids[1] }, { tokens = { ci = {} } })
    assert.is_nil(none)
    assert.equal("validation", err.kind)
    client:close()
  end)

  it("lists the orgs the credentials reach: org privileges, an MSP's orgs, each once with its best role", function()
    local msp = e:add_msp{ name = "Acme MSP" }
    local in_msp = e:add_orgs(3, { msp_id = msp.id, tokens = 0 })
    local lone = e:add_orgs(1, { name_prefix = "lone-", tokens = 0 })[1]
    e:set_user_privileges{
      { scope = "org", role = "read", org_id = in_msp[2] },
      { scope = "msp", role = "admin", msp_id = msp.id },
      { scope = "org", role = "write", org_id = lone },
    }
    local client = assert(mistapi.new{ base_url = e.url, token = me.key })
    local res = assert(client:list_orgs())
    local got = {}
    for i, o in ipairs(res.data) do got[i] = { o.id, o.role, o.name } end
    assert.same({ { in_msp[2], "admin", "org-2" }, { in_msp[1], "admin", "org-1" }, { in_msp[3], "admin", "org-3" },
      { lone, "write", "lone-1" } }, got)
    assert.equal(msp.id, res.data[2].msp_id)
    assert.equal("Acme MSP", res.data[2].msp_name)
    local n = 0
    for o in client:each_org() do
      n = n + 1
      assert.equal(res.data[n].id, o.id)
    end
    assert.equal(4, n)
    -- an org token reaches its own org only: /self names it
    local org_client = assert(mistapi.new{ base_url = e.url, token = e.token })
    local mine = assert(org_client:list_orgs())
    assert.same({ e.org_id }, { mine.data[1].id, mine.data[2] })
    client:close()
    org_client:close()
  end)
end)
