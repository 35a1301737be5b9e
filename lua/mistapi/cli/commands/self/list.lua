--- `mistapi-tokens self list`: every token of your own, or the ones a filter keeps.
-- @module mistapi.cli.commands.self.list

return require("mistapi.cli.list_command").new {
  summary = "every token of your own (all pages, or --page N)",
  page = function(ctx, opts) return ctx.client:self_api_tokens():list_api_tokens(opts) end,
  all = function(ctx, opts) return ctx.client:self_api_tokens():list_all_api_tokens(opts) end,
}
