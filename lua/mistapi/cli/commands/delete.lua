--- `mistapi-tokens delete ID`: delete a token, after asking on a terminal.
-- @module mistapi.cli.commands.delete

local json = require "mistapi.cli.json"
local own_token = require "mistapi.cli.own_token"
local target = require "mistapi.lifecycle.target"

return {
  summary = "delete a token (asks first on a terminal; --yes in scripts)",
  args = { "ID" },
  org = true,
  options = {
    { "yes", "flag", nil, "do not ask; needed when standard input is not a terminal" },
    { "allow-self", "flag", nil, "allow deleting the token this command itself runs with" },
  },
  run = function(ctx, o)
    local refused = own_token.refuse(ctx, target.of(ctx.client:orgs_api_tokens(), ctx.org), o.id, o["allow-self"])
    if refused then return refused end
    if not o.yes then
      local ok, status = ctx.confirm(("delete token %s? Whatever uses it stops working."):format(o.id))
      if not ok then return status end
    end
    local res, err = ctx.client:orgs_api_tokens():delete_org_api_token(ctx.org, o.id)
    if not res then return ctx.fail(err) end
    return ctx.out(o.json and json.encode({ deleted = o.id }) or ("deleted " .. o.id))
  end,
}
