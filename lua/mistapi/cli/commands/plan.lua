--- `mistapi-tokens plan FILE`: what `apply FILE` would do, shown as
-- `terraform plan` shows it; nothing is changed. `--out PLANFILE` saves the
-- plan for `apply PLANFILE`; `--detailed-exitcode` exits 0 (no changes),
-- 2 (changes) or 1 (an error), as terraform's does.
-- @module mistapi.cli.commands.plan

local plan_json = require "mistapi.cli.plan_json"
local saved_plan = require "mistapi.cli.saved_plan"
local words = require "mistapi.cli.words"
local fleet = require "mistapi.cli.fleet"

return {
  summary = "compare a desired state (a JSON file) with the org's tokens; changes nothing",
  args = { "FILE" },
  synopsis = "FILE [--prune] [--prefix P] [--out PLANFILE] [--detailed-exitcode]",
  org = true,
  fleet = true,
  options = fleet.options {
    { "prune", "flag", nil, "also plan to destroy managed tokens the file doesn't name" },
    { "prefix", "value", "PREFIX", "tokens whose names start with PREFIX are managed (overrides the file's)" },
    { "out", "value", "PLANFILE", "save the plan (JSON, no key in it) for apply PLANFILE, which carries out"
      .. " exactly this plan, or nothing if the org changed meanwhile" },
    { "detailed-exitcode", "flag", nil, "exit 0 when there is nothing to change, 2 when there is, 1 on any error" },
  },
  run = function(ctx, o)
    local misused = saved_plan.misused(o.file)
    if misused then return ctx.usage(misused) end
    if ctx.fleet then return require("mistapi.cli.fleet_plan").run(ctx, o) end
    local p, err = ctx.client:orgs_api_tokens():plan_org_api_tokens(ctx.org, o.file,
      { prune = o.prune, prefix = o.prefix })
    if not p then return ctx.fail(err) end
    if o.out then
      local ok, werr = saved_plan.write(o.out, p, ctx.org)
      if not ok then return ctx.usage(werr) end
    end
    ctx.changes = not p:is_empty()
    ctx.out(o.json and plan_json.encode(p) or words.plan(tostring(p), "plan"))
    if o.out and not o.json then
      ctx.out(("\nSaved the plan to %s: mistapi-tokens apply %s carries out exactly this plan."):format(o.out, o.out))
    end
    return ctx.OK
  end,
}
