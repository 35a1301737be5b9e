-- The jobs across orgs the simulation drives (see operations.lua for the fields):
-- apply of one desired state to three orgs (CLI: --org repeated, and --all-orgs
-- of an MSP with a key directory an earlier apply left), and audit and plan
-- across them (CLI and library), which write nothing but decide. Their steps
-- are those of the run itself and of its middle org, {B}: a failure of one org
-- among several (matrix.lua); fleet_invariants.lua checks each org.
--   c.orgs      { { id, label = "A" | "B" | "C", mon, edge, gone, in_place_key }, ... }
--   c.target    the org whose steps fail
--   per_org     one org's goal, touches, may_create and key_paths, for its view
--   read_only   audit and plan: the goal is every org's result as a run
--               without failures has it, `expected(c, org)` (the one-org
--               library call, made after the run), and the world unchanged
return function(apply)
  local cjson = require "cjson"
  local mistapi = require "mistapi"
  local fleet_invariants = require "support.simulation.fleet_invariants"
  local world = require "support.simulation.world"

  local LABELS = { "A", "B", "C" }

  -- apply carries the orgs out side by side (spec 78-fleet_apply_together); here one
  -- at a time, through the same scheduler: a step is named and armed by its place in
  -- the request log, and a new key's GET /self by the org of the request before it,
  -- which orgs running together would shuffle from run to run
  local ONE_AT_A_TIME = { "--concurrency", "1" }

  -- three orgs, the client's token the user's own; `msp`: the orgs an MSP's
  -- (found with --all-orgs), else each named in the user's privileges
  local function orgs(c, msp)
    local me = c.e:make_self_token { name = "fleet" }
    c.token, c.own = me.key, me.id
    local ids
    if msp then
      c.msp = c.e:add_msp { name = "Acme MSP" }.id
      ids = c.e:add_orgs(#LABELS, { msp_id = c.msp, tokens = 0 })
      c.e:set_user_privileges { { scope = "msp", role = "admin", msp_id = c.msp } }
    else
      ids = c.e:add_orgs(#LABELS, { tokens = 0 })
      local privileges = {}
      for i, id in ipairs(ids) do privileges[i] = { scope = "org", role = "admin", org_id = id } end
      c.e:set_user_privileges(privileges)
    end
    c.orgs = {}
    for i, id in ipairs(ids) do
      c.orgs[i] = { id = id, label = LABELS[i], e = c.e }
      apply.setup(c.orgs[i], id)
    end
    c.target = c.orgs[2]
    c.state = c.dir .. "/state.json"
    local f = assert(io.open(c.state, "w"))
    f:write(cjson.encode(apply.DESIRED))
    f:close()
  end

  local function org_args(c)
    local argv = {}
    for _, o in ipairs(c.orgs) do argv[#argv + 1] = "--org"; argv[#argv + 1] = o.id end
    return argv
  end

  local function argv_of(...)
    local out = {}
    for _, part in ipairs { ... } do for _, a in ipairs(part) do out[#out + 1] = a end end
    return out
  end

  local function org_key_paths(v) return { v.key_dir .. "/app-new.key", v.key_dir .. "/app-edge.key" } end

  local APPLY = { goal = apply.goal, touches = apply.touches, may_create = apply.creates, key_paths = org_key_paths }

  local function applied_everywhere(c, s)
    for _, o in ipairs(c.orgs) do
      local why = apply.goal(fleet_invariants.view(c, o), world.of_org(s, o.id))
      if why then return ("org %s: %s"):format(o.label, why) end
    end
  end

  local function all_key_paths(c)
    if c.org then return org_key_paths(c) end
    local out = {}
    for _, o in ipairs(c.orgs) do
      for _, p in ipairs(org_key_paths(fleet_invariants.view(c, o))) do out[#out + 1] = p end
    end
    return out
  end

  local function key_dir(c)
    c.key_dir = c.dir .. "/keys"
    assert(os.execute("mkdir -m 700 -p " .. "'" .. c.key_dir .. "'"))
  end

  -- An org's findings or plan as one line of text, sorted: what a report is compared by.
  local function audit_text(findings)
    local out = {}
    for i, f in ipairs(findings) do out[i] = tostring(f.rule) .. ":" .. tostring(f.token_id) end
    table.sort(out)
    return table.concat(out, ",")
  end

  local function plan_text(steps)
    local out = {}
    for i, s in ipairs(steps) do out[i] = tostring(s.action) .. ":" .. tostring(s.name) end
    table.sort(out)
    return table.concat(out, ",")
  end

  -- What one org's library call says (no failure armed: after the run), once a case.
  local function expected_by(call, text)
    return function(c, o)
      o.expected = o.expected or {}
      if o.expected[c.op.name] then return o.expected[c.op.name] end
      local client = assert(mistapi.new { base_url = c.e.url, token = c.token, getenv = function() return nil end,
        max_retries = 0 })
      local res, err = call(client:orgs_api_tokens(), o.id)
      client:close()
      local t = res and text(res) or ("(the one-org call failed: " .. tostring(err) .. ")")
      o.expected[c.op.name] = t
      return t
    end
  end

  local function audit_one(r, id) return r:audit_org_api_tokens(id) end
  local function plan_one(r, id) return r:plan_org_api_tokens(id, apply.DESIRED, { prune = true }) end
  local expected_audit = expected_by(audit_one, function(res) return audit_text(res.findings) end)
  local expected_plan = expected_by(plan_one, function(res) return plan_text(res.steps) end)

  local function reported(c, s)
    if not world.same(c.S0, s) then return "the world changed" end
    for _, o in ipairs(c.orgs) do
      local got, want = c.report and c.report[o.id], c.op.expected(c, o)
      if got ~= want then return ("org %s: reported %s"):format(o.label, got == nil and "nothing" or got) end
    end
  end

  -- The report of the CLI's --json: org id -> its findings or steps as text, or "failed".
  local function cli_report(out, list, text)
    local ok, doc = pcall(cjson.decode, out or "")
    if not ok or type(doc) ~= "table" or type(doc.orgs) ~= "table" then return nil end
    local by = {}
    for _, item in ipairs(doc[list] or {}) do
      by[item.org_id] = by[item.org_id] or {}
      table.insert(by[item.org_id], item)
    end
    local report = {}
    for _, row in ipairs(doc.orgs) do
      report[row.org_id] = row.error and "failed" or text(by[row.org_id] or {})
    end
    return report
  end

  local function lib_report(outcomes, text)
    local report = {}
    for _, oc in ipairs(outcomes or {}) do report[oc.org_id] = oc.result and text(oc.result) or "failed" end
    return report
  end

  local function ids(c)
    local out = {}
    for i, o in ipairs(c.orgs) do out[i] = o.id end
    return out
  end

  -- The library's job across orgs: its outcome fails when an org's did (an org's
  -- error is the caller's to see, as a failed run is the CLI's user's).
  local function lib_job(method, text, desired, opts)
    return function(c, r)
      c.report = nil
      local errs = {}
      local o = r.lib(function(client)
        local tokens = client:orgs_api_tokens()
        local res, err
        if desired then
          res, err = tokens[method](tokens, ids(c), desired, opts)
        else
          res, err = tokens[method](tokens, ids(c))
        end
        c.report = res and lib_report(res, text)
        for _, oc in ipairs(res or {}) do
          if oc.err then errs[#errs + 1] = ("org %s: %s"):format(oc.org_id, tostring(oc.err)) end
        end
        return res, err
      end)
      if o.ok and #errs > 0 then o.ok, o.message = false, table.concat(errs, "\n") end
      return o
    end
  end

  local function read_only(op)
    op.read_only, op.again, op.per_org = true, true, {}
    op.goal = reported
    op.check = fleet_invariants.check
    return op
  end

  return {
    {
      name = "cli apply --org ×3 --key-dir D", via = "cli", again = true,
      setup = function(c) orgs(c); key_dir(c) end,
      run = function(c, r)
        return r.cli(argv_of({ "apply", c.state }, org_args(c), { "--key-dir", c.key_dir, "--prune", "--yes" },
          ONE_AT_A_TIME))
      end,
      goal = applied_everywhere, per_org = APPLY, check = fleet_invariants.check,
      keystores = { "exists", "notdir", "denied", "disk_full", "stdout_full" },
      user_key_path = function(c) return c.key_dir .. "/" .. c.target.id .. "/app-new.key" end,
      key_paths = all_key_paths,
    },
    {
      -- an MSP's orgs, and the key directory of an earlier apply: {B}'s app-edge.key
      -- holds the key of the token it replaces
      name = "cli apply --all-orgs --key-dir D (reused)", via = "cli", again = true,
      setup = function(c)
        orgs(c, true); key_dir(c)
        local b = c.target
        local dir = c.key_dir .. "/" .. b.id
        assert(os.execute("mkdir -m 700 '" .. dir .. "'"))
        apply.holding(dir .. "/app-edge.key", b.edge.key)
        b.in_place_key = { path = dir .. "/app-edge.key", old = b.edge }
      end,
      run = function(c, r)
        return r.cli(argv_of({ "apply", c.state, "--all-orgs", "--key-dir", c.key_dir, "--prune", "--yes" },
          ONE_AT_A_TIME))
      end,
      goal = applied_everywhere, per_org = APPLY, check = fleet_invariants.check,
      key_paths = all_key_paths,
    },
    read_only {
      name = "cli audit --org ×3 --json", via = "cli",
      setup = function(c) orgs(c) end,
      run = function(c, r)
        local o = r.cli(argv_of({ "audit", "--json", "--fail-on", "never" }, org_args(c)))
        c.report = cli_report(o.out, "findings", audit_text)
        return o
      end,
      keystores = { "stdout_full", "stdout_closed" },
      expected = expected_audit,
    },
    read_only {
      name = "cli plan --all-orgs --json", via = "cli",
      setup = function(c) orgs(c, true) end,
      run = function(c, r)
        local o = r.cli { "plan", c.state, "--all-orgs", "--prune", "--json" }
        c.report = cli_report(o.out, "steps", plan_text)
        return o
      end,
      keystores = { "stdout_full", "stdout_closed" },
      expected = expected_plan,
    },
    read_only {
      name = "audit_orgs_api_tokens", via = "lib",
      setup = function(c) orgs(c) end,
      run = lib_job("audit_orgs_api_tokens", function(x) return audit_text(x.findings) end),
      expected = expected_audit,
    },
    read_only {
      -- {B}'s list is longer than a page: its first page goes out with the others',
      -- the second after them
      name = "audit_orgs_api_tokens, {B} of two pages", via = "lib",
      setup = function(c)
        orgs(c)
        c.e:seed(1001 - 5, { org_id = c.target.id, name_prefix = "bulk-" })
      end,
      run = lib_job("audit_orgs_api_tokens", function(x) return audit_text(x.findings) end),
      expected = expected_audit,
    },
    read_only {
      name = "plan_orgs_api_tokens", via = "lib",
      setup = function(c) orgs(c) end,
      run = lib_job("plan_orgs_api_tokens", function(x) return plan_text(x.steps) end, apply.DESIRED,
        { prune = true }),
      expected = expected_plan,
    },
  }
end
