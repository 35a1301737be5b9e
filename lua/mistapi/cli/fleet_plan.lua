--- `mistapi-tokens plan` across orgs (`--org` repeated, `--orgs-file`,
-- `--all-orgs`): one desired state planned for every org, their token lists
-- read through the bulk machinery; each org's plan (or its failure, said
-- with its org), and a summary line. `apply` shows the same before it asks.
-- @module mistapi.cli.fleet_plan

local core = require "mistapi.core"
local fleet = require "mistapi.cli.fleet"
local json = require "mistapi.cli.json"
local plan_json = require "mistapi.cli.plan_json"
local text = require "mistapi.text"
local words = require "mistapi.cli.words"

local fleet_plan = {}

local function array(t) return setmetatable(t, core.array_mt) end

--- Plans o.file for the orgs the command line names.
-- @return the orgs ({id, name}), the outcomes ({org_id, result = plan} or {org_id, err}) and the
--   first failure's exit status (or nil); or nil and the exit status (said)
function fleet_plan.plans(ctx, o)
  local orgs, status = fleet.orgs(ctx, o)
  if not orgs then return nil, status end
  local ids = {}
  for i, org in ipairs(orgs) do ids[i] = org.id end
  local bar = fleet.bar(ctx, #orgs, "changes")
  local outcomes, err = ctx.client:orgs_api_tokens():plan_orgs_api_tokens(ids, o.file, {
    prune = o.prune, prefix = o.prefix, concurrency = o.concurrency,
    on_org = function(oc) bar.step(oc.result and #oc.result.steps or 0) end,
  })
  bar.done()
  if not outcomes then return nil, ctx.fail(err) end
  local exit
  for i, oc in ipairs(outcomes) do
    if oc.err then exit = exit or ctx.fail(oc.err, nil, fleet.label(orgs[i])) end
  end
  return orgs, outcomes, exit
end

--- Shows every org's plan and the summary line; `command` ("plan" or "apply") words the advice.
-- @return whether any org has changes
function fleet_plan.show(ctx, o, orgs, outcomes, command)
  local c = { create = 0, update = 0, replace = 0, delete = 0 }
  local changed, failed = 0, 0
  local rows, steps, notes = {}, {}, {}
  for i, oc in ipairs(outcomes) do
    local org, p = orgs[i], oc.result
    local row = { org_id = org.id, name = org.name }
    if p then
      row.changes = not p:is_empty()
      row.counts = p.counts
      if row.changes then changed = changed + 1 end
      for action, n in pairs(p.counts) do c[action] = c[action] + n end
      local data = plan_json.data(p, org.id)
      for _, s in ipairs(data.steps) do steps[#steps + 1] = s end
      for _, n in ipairs(p.notes) do notes[#notes + 1] = { org_id = org.id, note = n } end
      if not o.json then
        ctx.out(fleet.label(org) .. ":")
        ctx.out(words.plan(tostring(p), command))
        ctx.out("")
      end
    else
      failed = failed + 1
      row.error = text.clean(require("mistapi.cli.main").describe(oc.err, ctx.command))
      if not o.json then ctx.out(fleet.label(org) .. ": failed\n") end
    end
    rows[i] = row
  end
  if o.json then
    ctx.out(json.encode({ orgs = array(rows), steps = array(steps), notes = array(notes), counts = c,
      failed = failed }))
  else
    ctx.out(("Plan for %d org%s: %d to create, %d to change, %d to replace, %d to destroy; %d org%s with changes,"
      .. " %d failed."):format(#orgs, #orgs == 1 and "" or "s", c.create, c.update, c.replace, c.delete, changed,
      changed == 1 and "" or "s", failed))
  end
  return changed > 0
end

function fleet_plan.run(ctx, o)
  if o.out then return ctx.usage("--out saves the plan of one org: name one org with --org to save it") end
  local orgs, outcomes, exit = fleet_plan.plans(ctx, o)
  if not orgs then return outcomes end
  ctx.changes = fleet_plan.show(ctx, o, orgs, outcomes, "plan")
  return exit or ctx.OK
end

return fleet_plan
