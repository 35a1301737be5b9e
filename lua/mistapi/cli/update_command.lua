--- The `update` command, for the org's tokens and for your own alike: the
-- fields asked for are sent, and the token as it is then is printed (read
-- back when the answer is empty).
-- @module mistapi.cli.update_command

local collection = require "mistapi.cli.collection"

local update_command = {}

--- An update command.
-- @param spec { summary, org = true for the org's tokens, options,
--   change = function(ctx, o) -> the fields to change, or nil and the exit status,
--   whole = true when the PUT replaces the whole token (it then starts from the server's) }
function update_command.new(spec)
  return {
    summary = spec.summary,
    args = { "ID" },
    org = spec.org,
    options = spec.options,
    run = function(ctx, o)
      local body, status = spec.change(ctx, o)
      if not body then return status end
      if spec.whole then
        -- PUT replaces the token: start from what the server has, change what was asked.
        local res, err = collection.call(ctx, spec.org, "get", o.id)
        if not res then return ctx.fail(err) end
        for k, v in pairs(body) do res.data[k] = v end
        body = res.data
      end
      local res, err = collection.call(ctx, spec.org, "update", o.id, body)
      if not res then return ctx.fail(err) end
      if res.data == nil then   -- an empty answer: read the token back
        res, err = collection.call(ctx, spec.org, "get", o.id)
        if not res then return ctx.fail(err) end
      end
      return collection.print(ctx, o, spec.org, res.data)
    end,
  }
end

return update_command
