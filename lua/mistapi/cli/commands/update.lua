--- `mistapi-tokens update ID`: rename a token or replace its privileges.
-- @module mistapi.cli.commands.update

local privilege = require "mistapi.cli.privilege"
local schema = require "mistapi.schema"

return require("mistapi.cli.update_command").new {
  summary = "rename a token or replace its privileges",
  org = true,
  whole = true,
  options = {
    { "name", "value", "NAME", "the new name" },
    { "privilege", "privilege", "P", "ROLE:SCOPE[:ID]; replaces all the token's privileges; repeatable" },
    { "view", "view", "VIEW", "a UI view for the --privilege before it: " .. table.concat(schema.views, ", ") },
    { "src-ip", "list", "IP", "refused: a token's source IPs can't change once it exists" },
  },
  change = function(ctx, o)
    local privileges, perr = privilege.parse_all(o.privileges)
    if perr then return nil, ctx.usage(perr) end
    if #o.src_ips > 0 then
      return nil, ctx.fail({ kind = "validation" }, "src_ips can't be changed once a token exists")
    end
    if not (o.name or privileges) then return nil, ctx.usage("update needs --name or --privilege") end
    return { name = o.name, privileges = privileges }
  end,
}
