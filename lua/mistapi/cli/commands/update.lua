--- `mistapi-tokens update ID`: rename a token or replace its privileges.
-- @module mistapi.cli.commands.update

local json = require "mistapi.cli.json"
local output = require "mistapi.cli.output"
local privilege = require "mistapi.cli.privilege"
local schema = require "mistapi.schema"

return {
  summary = "rename a token or replace its privileges",
  args = { "ID" },
  org = true,
  options = {
    { "name", "value", "NAME", "the new name" },
    { "privilege", "privilege", "P", "ROLE:SCOPE[:ID]; replaces all the token's privileges; repeatable" },
    { "view", "view", "VIEW", "a UI view for the --privilege before it: " .. table.concat(schema.views, ", ") },
    { "src-ip", "list", "IP", "refused: a token's source IPs can't change once it exists" },
  },
  run = function(ctx, o)
    local privileges, perr = privilege.parse_all(o.privileges)
    if perr then return ctx.usage(perr) end
    if #o.src_ips > 0 then
      return ctx.fail({ kind = "validation" }, "src_ips can't be changed once a token exists")
    end
    if not (o.name or privileges) then return ctx.usage("update needs --name or --privilege") end
    local tokens = ctx.client:orgs_api_tokens()
    -- PUT replaces the token: start from what the server has, change what was asked.
    local res, err = tokens:get_org_api_token(ctx.org, o.id)
    if not res then return ctx.fail(err) end
    local token = res.data
    token.name = o.name or token.name
    token.privileges = privileges or token.privileges
    res, err = tokens:update_org_api_token(ctx.org, o.id, token)
    if not res then return ctx.fail(err) end
    if res.data == nil then
      res, err = tokens:get_org_api_token(ctx.org, o.id)
      if not res then return ctx.fail(err) end
    end
    return ctx.out(o.json and json.encode(res.data) or output.token(res.data))
  end,
}
