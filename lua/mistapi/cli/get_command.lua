--- The `get` command, for the org's tokens and for your own alike: one
-- token, its key masked.
-- @module mistapi.cli.get_command

local collection = require "mistapi.cli.collection"

local get_command = {}

--- A get command.
-- @param spec { summary, org = true for the org's tokens }
function get_command.new(spec)
  return {
    summary = spec.summary,
    args = { "ID" },
    org = spec.org,
    run = function(ctx, o)
      local res, err = collection.call(ctx, spec.org, "get", o.id)
      if not res then return ctx.fail(err) end
      return collection.print(ctx, o, spec.org, res.data)
    end,
  }
end

return get_command
