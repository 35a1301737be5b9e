--- `mistapi-tokens list`: every token of the org, or the ones a filter keeps.
-- @module mistapi.cli.commands.list

return require("mistapi.cli.list_command").new {
  summary = "every token of the org (all pages, or --page N)",
  org = true,
  page = function(ctx, opts) return ctx.client:orgs_api_tokens():list_org_api_tokens(ctx.org, opts) end,
  all = function(ctx, opts) return ctx.client:orgs_api_tokens():list_all_org_api_tokens(ctx.org, opts) end,
}
