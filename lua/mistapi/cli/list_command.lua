--- What `list` and `self list` share: the options, one page or every page,
-- the filters and the output (mistapi.cli.collection says which tokens).
-- @module mistapi.cli.list_command

local collection = require "mistapi.cli.collection"
local json = require "mistapi.cli.json"
local output = require "mistapi.cli.output"
local filter = require "mistapi.cli.filter"

local list_command = {}

--- A list command.
-- @param spec `{ summary = ..., org = true for the org's tokens }`
-- @return the command's table, as `mistapi.cli.registry` reads it
function list_command.new(spec)
  return {
    summary = spec.summary,
    org = spec.org,
    options = {
      { "name", "value", "PATTERN", "only tokens whose whole name matches PATTERN (* any text, ? one character)" },
      { "unused-days", "count", "N", "only tokens not used for N days (never used: created N days ago or more)" },
      { "limit", "positive", "N", "tokens asked for per page" },
      { "page", "positive", "N", "only that page (from 1)" },
    },
    run = function(ctx, o)
      local res, err
      if o.page then   -- one page, as asked
        res, err = collection.call(ctx, spec.org, "list", { limit = o.limit, page = o.page })
      else
        res, err = collection.call(ctx, spec.org, "list_all", { limit = o.limit })
      end
      if not res then return ctx.fail(err) end
      local list = filter.tokens(res.data, { name = o.name, unused_days = o["unused-days"], now = ctx.now() })
      if o.json then return ctx.out(json.encode(list, true)) end
      return ctx.out(output.list(list))
    end,
  }
end

return list_command
