-- tokens:audit_org_api_tokens against the emulator: tokens seeded with
-- backdated creation and use, sites and site groups that are gone; the audit
-- must find exactly the planted problems, and its rules and thresholds follow
-- the options.
local fresh_client = require "support.fresh_client"

local DAY = 86400

describe("audit_org_api_tokens", function()
  local fresh = fresh_client.new { max_retries = 0 }
  local e, tokens, now, planted

  setup(function() e = fresh:start() end)
  teardown(function() fresh:stop() end)

  local function token(name, privileges, times, src_ips)
    local body = { name = name, privileges = privileges or { { role = "read", scope = "org" } } }
    if src_ips ~= false then body.src_ips = src_ips or { "127.0.0.1" } end
    local t = assert(tokens:create_org_api_token(e.org_id, body)).data
    local last_used = false   -- never used
    if times.used ~= false then last_used = now - (times.used or 1) * DAY end
    e:set_token_times(t.id, { created_time = now - (times.created or 10) * DAY, last_used = last_used })
    return t.id
  end

  before_each(function()
    tokens = fresh:renew(function() e:clear_faults() end):orgs_api_tokens()
    now = os.time()
    local live_site = e:add_site { name = "hq" }.id
    local gone_site = e:add_site { name = "closed" }.id
    local gone_group = e:add_sitegroup { name = "old-region" }.id
    local live_group = e:add_sitegroup { name = "region" }.id
    e:remove_site(gone_site)
    e:remove_sitegroup(gone_group)
    planted = {
      bootstrap = e:info().bootstrap_token_id,
      never = token("never-used", nil, { created = 30, used = false }),
      young = token("young-unused", nil, { created = 2, used = false }),
      stale = token("stale", nil, { created = 200, used = 120 }),
      fine = token("fine", nil, { created = 100, used = 1 }),
      old = token("old", nil, { created = 400, used = 1 }),
      wide = token("wide", { { role = "write", scope = "org" } }, {}),
      open = token("open", nil, {}, false),
      dup1 = token("twin", nil, {}),
      dup2 = token("twin", nil, {}),
      site = token("site-gone", { { role = "read", scope = "site", site_id = gone_site } }, {}),
      live = token("site-live", { { role = "read", scope = "site", site_id = live_site },
        { role = "read", scope = "sitegroup", sitegroup_id = live_group } }, {}),
      group = token("group-gone", { { role = "write", scope = "sitegroup", sitegroup_id = gone_group } }, {}),
    }
  end)

  -- "<token key>:<rule>:<severity>" for each finding, sorted.
  local function summary(findings)
    local by_id = {}
    for k, id in pairs(planted) do by_id[id] = k end
    local out = {}
    for _, f in ipairs(findings) do
      out[#out + 1] = ("%s:%s:%s"):format(by_id[f.token_id] or f.token_id, f.rule, f.severity)
    end
    table.sort(out)
    return out
  end

  it("finds exactly the planted problems, each with a detail and advice", function()
    local res = assert(tokens:audit_org_api_tokens(e.org_id))
    assert.same({
      "bootstrap:broad_privileges:high",
      "bootstrap:no_src_ips:low",
      "dup1:duplicate_name:low",
      "dup2:duplicate_name:low",
      "group:missing_sitegroup:medium",
      "never:never_used:medium",
      "old:rotation_overdue:medium",
      "open:no_src_ips:low",
      "site:missing_site:medium",
      "stale:stale:medium",
      "wide:broad_privileges:medium",
    }, summary(res.findings))
    assert.same({}, res.notes)
    assert.equal(13, res.tokens)
    for _, f in ipairs(res.findings) do
      assert.is_string(f.name)
      assert.is_string(f.detail)
      assert.is_string(f.advice)
      assert.truthy(#f.advice > 10)
    end
    for _, f in ipairs(res.findings) do
      if f.rule == "stale" then assert.truthy(f.detail:find("last used 120 days ago", 1, true)) end
      if f.rule == "never_used" then assert.truthy(f.detail:find("30 days ago", 1, true)) end
    end
  end)

  it("tells a rotation's unfinished new token from an old token a rotation kept, each by its marker's id", function()
    local OLD, NEW = "497f6eca-6276-4993-bfeb-53efbbba6f08", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    planted.pending = token("ci [rotation of " .. OLD .. "]", nil, {})
    planted.kept = token("ci [replaced by " .. NEW .. "]", nil, {})
    local res = assert(tokens:audit_org_api_tokens(e.org_id))
    local marked = {}
    for _, f in ipairs(res.findings) do
      if f.rule == "unfinished_rotation" or f.rule == "replaced" then
        marked[#marked + 1] = f
        local id = f.rule == "replaced" and NEW or OLD
        assert.truthy(f.detail:find(id, 1, true), f.detail)
      end
    end
    table.sort(marked, function(a, b) return a.rule < b.rule end)
    assert.equal(2, #marked)
    assert.same({ planted.kept, "replaced" }, { marked[1].token_id, marked[1].rule })
    assert.same({ planted.pending, "unfinished_rotation" }, { marked[2].token_id, marked[2].rule })
  end)

  it("takes thresholds, rules and severities as options", function()
    local res = assert(tokens:audit_org_api_tokens(e.org_id, {
      stale_days = 150, max_age_days = 500, unused_grace_days = 1,
      rules = { no_src_ips = false, duplicate_name = false, missing_site = false, missing_sitegroup = false },
      severity = { broad_privileges = "low" },
    }))
    assert.same({
      "bootstrap:broad_privileges:low",
      "never:never_used:medium",
      "wide:broad_privileges:low",
      "young:never_used:medium",
    }, summary(res.findings))
    res = assert(tokens:audit_org_api_tokens(e.org_id, { min_severity = "high" }))
    assert.same({ "bootstrap:broad_privileges:high" }, summary(res.findings))
    assert.has_error(function() tokens:audit_org_api_tokens(e.org_id, { rules = { nope = false } }) end)
    assert.has_error(function() tokens:audit_org_api_tokens(e.org_id, { severity = { stale = "urgent" } }) end)
    assert.has_error(function() tokens:audit_org_api_tokens(e.org_id, { stale_days = "90" }) end)
  end)

  it("skips the site check with a note when the client can't list sites", function()
    e:fault { kind = "status", status = 403, method = "GET", path = "/api/v1/orgs/" .. e.org_id .. "/sites" }
    local res = assert(tokens:audit_org_api_tokens(e.org_id))
    local rules = {}
    for _, f in ipairs(res.findings) do rules[f.rule] = true end
    assert.is_nil(rules.missing_site)
    assert.is_true(rules.missing_sitegroup)
    assert.equal(1, #res.notes)
    assert.truthy(res.notes[1]:find("sites not checked", 1, true))
  end)

  it("returns nil, err when the tokens can't be listed, and refuses a bad org id", function()
    e:fault { kind = "status", status = 500, method = "GET" }
    local res, err = tokens:audit_org_api_tokens(e.org_id)
    assert.is_true(res == nil)
    assert.equal(500, err.status)
    res, err = tokens:audit_org_api_tokens("nope")
    assert.is_true(res == nil)
    assert.equal("validation", err.kind)
  end)
end)
