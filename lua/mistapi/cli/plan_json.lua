--- A plan (mistapi.lifecycle.plan) as plain data for `--json`: the steps
-- with what each changes, the counts and the notes. No key is in a plan.
-- @module mistapi.cli.plan_json

local json = require "mistapi.cli.json"

local plan_json = {}

local arr = require("mistapi.lifecycle.plan_file").array

local function side(s)
  if not s then return nil end
  return { name = s.name, privileges = arr(s.privileges), src_ips = arr(s.src_ips) }
end

--- The plan as plain data; `org_id` (a plan of several orgs) goes on every step.
function plan_json.data(p, org_id)
  local steps = {}
  for i, s in ipairs(p.steps) do
    steps[i] = { org_id = org_id, action = s.action, name = s.name, id = s.id, changes = s.changes and arr(s.changes),
      from = side(s.from), to = side(s.to) }
  end
  return { steps = arr(steps), counts = p.counts, notes = arr(p.notes) }
end

function plan_json.encode(p)
  return json.encode(plan_json.data(p))
end

return plan_json
