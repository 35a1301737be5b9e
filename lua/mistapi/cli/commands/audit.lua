--- `mistapi-tokens audit`: the findings of mistapi.lifecycle.audit as a
-- table (or JSON), and an exit status for cron and CI: 1 when a finding is
-- at or above --fail-on, as linters do.
-- @module mistapi.cli.commands.audit

local audit = require "mistapi.lifecycle.audit"
local text = require "mistapi.text"
local json = require "mistapi.cli.json"
local words = require "mistapi.cli.words"
local fleet = require "mistapi.cli.fleet"

local EXIT_FOUND = 1

-- with_org: a first column naming each finding's org (an audit of several orgs)
local function table_text(findings, with_org)
  local rows = { { "SEVERITY", "RULE", "NAME", "ID", "DETAIL" } }
  if with_org then table.insert(rows[1], 1, "ORG") end
  for _, f in ipairs(findings) do
    local row = { f.severity, f.rule, text.line(f.name, 40), text.clean(f.token_id), text.line(f.detail, 120) }
    if with_org then table.insert(row, 1, text.clean(f.org_id)) end
    rows[#rows + 1] = row
  end
  return text.table(rows)
end

-- What to do, once for each rule that has findings.
local function advice_text(findings)
  local seen, lines = {}, {}
  for _, f in ipairs(findings) do
    if not seen[f.rule] then
      seen[f.rule] = true
      lines[#lines + 1] = ("  %s: %s"):format(f.rule, f.advice)
    end
  end
  return "what to do:\n" .. words.cli(table.concat(lines, "\n"), "rotate")
end

-- "N findings (h high, m medium, l low)"
local function count_text(findings)
  local count = {}
  for _, f in ipairs(findings) do count[f.severity] = (count[f.severity] or 0) + 1 end
  return ("%d finding%s (%d high, %d medium, %d low)"):format(#findings, #findings == 1 and "" or "s",
    count.high or 0, count.medium or 0, count.low or 0)
end

-- A finding as --json writes it (org_id: in an audit of several orgs).
local function finding_data(f, org_id)
  return { org_id = org_id, token_id = f.token_id, name = f.name, rule = f.rule, severity = f.severity,
    detail = f.detail, advice = f.advice }
end

-- what the audit of several orgs (mistapi.cli.fleet_audit) writes alike
local shared = { table_text = table_text, advice_text = advice_text, count_text = count_text,
  finding_data = finding_data, EXIT_FOUND = EXIT_FOUND }

return {
  summary = "check the org's tokens: unused, stale, old, broad, unrestricted, duplicate, dangling scopes",
  org = true,
  fleet = true,
  options = fleet.options {
    { "stale-days", "count", "N", "a token unused for more than N days is stale (default 90)" },
    { "max-age-days", "count", "N", "a token older than N days is overdue for rotation (default 365)" },
    { "unused-grace-days", "count", "N", "a never-used token younger than N days is not reported (default 7)" },
    { "skip", "list", "RULE", "leave a rule out (never_used, stale, rotation_overdue, broad_privileges,"
      .. " no_src_ips, duplicate_name, missing_site, missing_sitegroup, ...); repeatable" },
    { "fail-on", "value", "SEVERITY", "exit 1 when a finding is at or above SEVERITY: low (default), medium,"
      .. " high, or never" },
  },
  run = function(ctx, o)
    local fail_on = o["fail-on"] or "low"
    if fail_on ~= "never" and not audit.RANK[fail_on] then
      return ctx.usage(("--fail-on %s: use low, medium, high or never"):format(fail_on))
    end
    local rules = {}
    for _, r in ipairs(o.lists.skip or {}) do
      if not audit.RULES[r] then return ctx.usage(("--skip %s: no such rule"):format(r)) end
      rules[r] = false
    end
    local opts = {
      stale_days = o["stale-days"], max_age_days = o["max-age-days"], unused_grace_days = o["unused-grace-days"],
      rules = rules, now = ctx.now(),
    }
    if ctx.fleet then return require("mistapi.cli.fleet_audit").run(ctx, o, opts, fail_on, shared) end
    local res, err = ctx.client:orgs_api_tokens():audit_org_api_tokens(ctx.org, opts)
    if not res then return ctx.fail(err) end
    local findings = res.findings
    if o.json then
      local list = {}
      for i, f in ipairs(findings) do list[i] = finding_data(f) end
      setmetatable(list, require("mistapi.core").array_mt)
      local notes = setmetatable(res.notes, require("mistapi.core").array_mt)
      ctx.out(json.encode({ findings = list, notes = notes, tokens = res.tokens }))
    else
      if #findings > 0 then
        ctx.out(table_text(findings))
        ctx.out("")
        ctx.out(advice_text(findings))
        ctx.out("")
      end
      for _, n in ipairs(res.notes) do ctx.out("note: " .. text.clean(n)) end
      ctx.out(("%s in %d token%s"):format(count_text(findings), res.tokens, res.tokens == 1 and "" or "s"))
    end
    if fail_on ~= "never" and audit.at_least(findings, fail_on) > 0 then return EXIT_FOUND end
    return ctx.OK
  end,
}
