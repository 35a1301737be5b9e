--- `mistapi-tokens get ID`: one token, its key masked.
-- @module mistapi.cli.commands.get

local json = require "mistapi.cli.json"
local output = require "mistapi.cli.output"

return {
  summary = "one token",
  args = { "ID" },
  org = true,
  run = function(ctx, o)
    local res, err = ctx.client:orgs_api_tokens():get_org_api_token(ctx.org, o.id)
    if not res then return ctx.fail(err) end
    return ctx.out(o.json and json.encode(res.data) or output.token(res.data))
  end,
}
