--- `mistapi-tokens plan FILE`: what `apply FILE` would do, shown as
-- `terraform plan` shows it; nothing is changed.
-- @module mistapi.cli.commands.plan

local plan_json = require "mistapi.cli.plan_json"

return {
  summary = "compare a desired state (a JSON file) with the org's tokens; changes nothing",
  args = { "FILE" },
  org = true,
  options = {
    { "prune", "flag", nil, "also plan to destroy managed tokens the file doesn't name" },
    { "prefix", "value", "PREFIX", "tokens whose names start with PREFIX are managed (overrides the file's)" },
  },
  run = function(ctx, o)
    local p, err = ctx.client:orgs_api_tokens():plan_org_api_tokens(ctx.org, o.file,
      { prune = o.prune, prefix = o.prefix })
    if not p then return ctx.fail(err) end
    return ctx.out(o.json and plan_json.encode(p) or tostring(p))
  end,
}
