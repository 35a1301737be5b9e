--- `mistapi-tokens self list`: every token of your own, or the ones a filter keeps.
-- @module mistapi.cli.commands.self.list

local json = require "mistapi.cli.json"
local output = require "mistapi.cli.output"
local filter = require "mistapi.cli.filter"

return {
  summary = "every token of your own (all pages, or --page N)",
  options = {
    { "name", "value", "PATTERN", "only tokens whose whole name matches PATTERN (* any text, ? one character)" },
    { "unused-days", "count", "N", "only tokens not used for N days (never used: created N days ago or more)" },
    { "limit", "positive", "N", "tokens asked for per page" },
    { "page", "positive", "N", "only that page (from 1)" },
  },
  run = function(ctx, o)
    local mine = ctx.client:self_api_tokens()
    local res, err
    if o.page then
      res, err = mine:list_api_tokens { limit = o.limit, page = o.page }
    else
      res, err = mine:list_all_api_tokens { limit = o.limit }
    end
    if not res then return ctx.fail(err) end
    local list = filter.tokens(res.data, { name = o.name, unused_days = o["unused-days"], now = ctx.now() })
    if o.json then return ctx.out(json.encode(list, true)) end
    return ctx.out(output.list(list))
  end,
}
