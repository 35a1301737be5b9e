--- `mistapi-tokens audit` across orgs (`--org` repeated, `--orgs-file`,
-- `--all-orgs`): every org's token list read through the bulk machinery,
-- each org audited, one table of the findings with their org, a line an
-- org, and a summary line. A failed org is said with its org and the others
-- go on; the exit status is one org's: the first failure's, else 1 for a
-- finding at or above --fail-on, else 0.
-- @module mistapi.cli.fleet_audit

local audit = require "mistapi.lifecycle.audit"
local core = require "mistapi.core"
local fleet = require "mistapi.cli.fleet"
local json = require "mistapi.cli.json"
local text = require "mistapi.text"

local fleet_audit = {}

local function array(t) return setmetatable(t, core.array_mt) end

function fleet_audit.run(ctx, o, opts, fail_on, shared)
  local orgs, status = fleet.orgs(ctx, o)
  if not orgs then return status end
  local ids = {}
  for i, org in ipairs(orgs) do ids[i] = org.id end
  local bar = fleet.bar(ctx, #orgs, "findings")
  opts.concurrency = o.concurrency
  opts.on_org = function(outcome) bar.step(outcome.result and #outcome.result.findings or 0) end
  local outcomes = ctx.client:orgs_api_tokens():audit_orgs_api_tokens(ids, opts)
  bar.done()

  local findings, notes, per_org, failed, tokens, exit = {}, {}, {}, 0, 0, nil
  for i, oc in ipairs(outcomes) do
    local org = orgs[i]
    local row = { org_id = org.id, name = org.name }
    if oc.result then
      for _, f in ipairs(oc.result.findings) do
        local copy = shared.finding_data(f, org.id)
        findings[#findings + 1] = copy
      end
      for _, n in ipairs(oc.result.notes) do notes[#notes + 1] = { org_id = org.id, note = n } end
      row.tokens, row.findings = oc.result.tokens, #oc.result.findings
      tokens = tokens + oc.result.tokens
    else
      failed = failed + 1
      local s = ctx.fail(oc.err, nil, fleet.label(org))
      exit = exit or s
      row.error = text.clean(require("mistapi.cli.main").describe(oc.err, ctx.command))
    end
    per_org[i] = row
  end
  local summary = ("%s in %d token%s of %d org%s; %d org%s failed"):format(shared.count_text(findings), tokens,
    tokens == 1 and "" or "s", #orgs, #orgs == 1 and "" or "s", failed, failed == 1 and "" or "s")
  if o.json then
    ctx.out(json.encode({ orgs = array(per_org), findings = array(findings), notes = array(notes),
      tokens = tokens, failed = failed }))
  else
    if #findings > 0 then
      ctx.out(shared.table_text(findings, true))
      ctx.out("")
      ctx.out(shared.advice_text(findings))
      ctx.out("")
    end
    for _, n in ipairs(notes) do ctx.out(("note: org %s: %s"):format(n.org_id, text.clean(n.note))) end
    for i, row in ipairs(per_org) do
      if row.error then
        ctx.out(("%s: failed"):format(fleet.label(orgs[i])))
      else
        ctx.out(("%s: %d finding%s in %d token%s"):format(fleet.label(orgs[i]), row.findings,
          row.findings == 1 and "" or "s", row.tokens, row.tokens == 1 and "" or "s"))
      end
    end
    ctx.out(summary)
  end
  if exit then return exit end
  if fail_on ~= "never" and audit.at_least(findings, fail_on) > 0 then return shared.EXIT_FOUND end
  return ctx.OK
end

return fleet_audit
