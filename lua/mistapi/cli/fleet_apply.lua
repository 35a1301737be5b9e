--- `mistapi-tokens apply` across orgs (`--org` repeated, `--orgs-file`,
-- `--all-orgs`): one desired state planned for every org (their lists read
-- through the bulk machinery), every plan shown, one question (or --yes),
-- then the orgs' plans carried out side by side, `--concurrency` orgs at a
-- time (tokens:apply_orgs_api_tokens), each as `apply` carries out one
-- org's, with every promise of the lifecycle in that org; each org's lines
-- said together, in the order of the orgs; new keys go to
-- DIR/<org_id>/<name>.key (the org's directory made 0700 when missing). A
-- failed org is said with its org and the others go on; the exit status is
-- the first failure's, as for one org.
-- @module mistapi.cli.fleet_apply

local core = require "mistapi.core"
local fleet = require "mistapi.cli.fleet"
local fleet_plan = require "mistapi.cli.fleet_plan"
local plan_file = require "mistapi.lifecycle.plan_file"

local fleet_apply = {}

-- The org's key directory under `dir`: made (0700) when missing. -> path, whether it was made | nil, message
local function org_dir(dir, org_id)
  local path = dir:gsub("/+$", "") .. "/" .. org_id
  local kind = core.path_kind(path)
  if kind ~= "missing" then return path, false end
  local ok = os.execute("mkdir -m 700 -- '" .. path:gsub("'", "'\\''") .. "' 2>/dev/null")
  if ok ~= true and ok ~= 0 then return nil, ("--key-dir: cannot make %s"):format(path) end
  return path, true
end

-- a: the apply command's key_names, key_store, apply_opts, report and complete_text
function fleet_apply.run(ctx, o, a)
  local doc, is_plan = plan_file.read(o.file)
  if doc and is_plan then
    return ctx.usage(o.file .. " is a saved plan of one org: apply it with --org, or apply a desired state"
      .. " to several orgs")
  end
  local orgs, outcomes, exit = fleet_plan.plans(ctx, o)
  if not orgs then return outcomes end
  local any = fleet_plan.show(ctx, o, orgs, outcomes, "apply")
  if not any then return exit or ctx.OK end
  -- every org's key files are prepared before anything is asked or changed
  local work, made, needs_keys = {}, {}, false
  for i, oc in ipairs(outcomes) do
    local p = oc.result
    if p and not p:is_empty() then
      work[#work + 1] = { org = orgs[i], plan = p }
      if #a.key_names(p) > 0 then needs_keys = true end
    end
  end
  if needs_keys and not o["key-dir"] then
    return ctx.usage("apply makes new tokens: pass --key-dir DIR for their keys (DIR/<org_id>/<name>.key)")
  end
  local function abandon()
    for _, w in ipairs(work) do if w.ks then w.ks.abandon() end end
    for _, path in ipairs(made) do os.remove(path) end   -- only when still empty
  end
  for _, w in ipairs(work) do
    if #a.key_names(w.plan) > 0 then
      local path, new_or_err = org_dir(o["key-dir"], w.org.id)
      if not path then
        abandon()
        return ctx.usage(new_or_err)
      end
      if new_or_err then made[#made + 1] = path end
      local ks, kerr = a.key_store(path, w.plan)
      if not ks then
        abandon()
        return ctx.usage(kerr)
      end
      w.ks = ks
    end
  end
  if not o.yes then
    local ok, status = ctx.confirm(("apply these changes to %d org%s?"):format(#work, #work == 1 and "" or "s"))
    if not ok then
      abandon()
      return status
    end
  end
  local c = { create = 0, update = 0, replace = 0, delete = 0 }
  local failed = 0
  -- the bar stands below each org's lines: erased while an org says what it does
  local bar = fleet.bar(ctx, #work, "changes")
  -- the orgs run side by side; each org's lines are said together, in the
  -- order of the orgs, as soon as it and every org before it have ended
  local ids, plans, ended, said = {}, {}, {}, 0
  for i, w in ipairs(work) do ids[i], plans[i] = w.org.id, w.plan end
  local function say_ended()
    while ended[said + 1] do
      said = said + 1
      local w, oc = work[said], ended[said]
      bar.clear()
      local status, done = a.report(ctx, o, w.ks or nil, fleet.label(w.org), oc.result, oc.err)
      local changes = 0
      for k, n in pairs(done) do
        c[k] = c[k] + n
        changes = changes + n
      end
      if status ~= ctx.OK then
        failed = failed + 1
        exit = exit or status
      end
      bar.step(changes)
    end
  end
  ctx.client:orgs_api_tokens():apply_orgs_api_tokens(ids, plans, {
    concurrency = o.concurrency,
    org_opts = function(_, i) return a.apply_opts(o, work[i].ks or nil) end,
    on_org = function(oc, i)
      ended[i] = oc
      say_ended()
    end,
  })
  bar.done()
  local ok = #work - failed   -- orgs changed as planned
  for _, oc in ipairs(outcomes) do
    if oc.err then failed = failed + 1 end   -- its plan failed: said already
  end
  local say = o.json and ctx.err or ctx.out
  say(("Apply complete: %s in %d org%s; %d org%s failed."):format(a.complete_text(c), ok, ok == 1 and "" or "s",
    failed, failed == 1 and "" or "s"))
  return exit or ctx.OK
end

return fleet_apply
