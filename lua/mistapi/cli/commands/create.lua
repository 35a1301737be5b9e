--- `mistapi-tokens create`: a new token. Its key is shown only this once:
-- `mistapi.cli.new_token` hands it over.
-- @module mistapi.cli.commands.create

local privilege = require "mistapi.cli.privilege"
local schema = require "mistapi.schema"

return require("mistapi.cli.new_token").command {
  summary = "a new token; its key is shown only this once",
  synopsis = "--name NAME --privilege P [--privilege P ...] [--src-ip IP ...] [--key-file PATH|-]",
  org = true,
  options = {
    { "name", "value", "NAME", "the token's name (required)" },
    { "privilege", "privilege", "P", "ROLE:SCOPE[:ID]: admin:org, read:site:<site_id>, write:sitegroup:<id>;"
      .. " roles " .. table.concat(schema.roles, ", ") .. "; repeatable, at least one" },
    { "view", "view", "VIEW", "a UI view for the --privilege before it: " .. table.concat(schema.views, ", ") },
    { "src-ip", "list", "IP", "an IP or CIDR the token may be used from; repeatable" },
  },
  body = function(ctx, o)
    if not o.name then return nil, ctx.usage("create needs --name") end
    local privileges, perr = privilege.parse_all(o.privileges)
    if perr then return nil, ctx.usage(perr) end
    if not privileges then
      return nil, ctx.usage("create needs at least one --privilege, as --privilege admin:org")
    end
    local body = { name = o.name, privileges = privileges }
    if #o.src_ips > 0 then body.src_ips = o.src_ips end
    return body
  end,
}
