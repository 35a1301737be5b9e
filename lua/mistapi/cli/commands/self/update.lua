--- `mistapi-tokens self update ID --name NAME`: rename a token of your own.
-- @module mistapi.cli.commands.self.update

local json = require "mistapi.cli.json"
local output = require "mistapi.cli.output"

return {
  summary = "rename a token of your own",
  args = { "ID" },
  options = {
    { "name", "value", "NAME", "the new name (required)" },
  },
  run = function(ctx, o)
    if not o.name then return ctx.usage("self update needs --name") end
    local mine = ctx.client:self_api_tokens()
    local res, err = mine:update_api_token(o.id, { name = o.name })
    if not res then return ctx.fail(err) end
    if res.data == nil then   -- an empty answer: read the token back
      res, err = mine:get_api_token(o.id)
      if not res then return ctx.fail(err) end
    end
    return ctx.out(o.json and json.encode(res.data) or output.user_token(res.data))
  end,
}
