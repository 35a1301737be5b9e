--- `mistapi-tokens create`: a new token. Its key is shown only this once, so
-- every path below ends with the key somewhere the user gets it: the file,
-- standard output, or (when the file fails after the token exists) the screen.
-- @module mistapi.cli.commands.create

local json = require "mistapi.cli.json"
local output = require "mistapi.cli.output"
local privilege = require "mistapi.cli.privilege"
local keyfile = require "mistapi.cli.keyfile"
local display = require "mistapi.display"

return {
  summary = "a new token; its key is shown only this once",
  synopsis = "--name NAME --privilege P [--privilege P ...] [--src-ip IP ...] [--key-file PATH|-]",
  org = true,
  options = {
    { "name", "value", "NAME", "the token's name (required)" },
    { "privilege", "privilege", "P", "ROLE:SCOPE[:ID]: admin:org, read:site:<site_id>, write:sitegroup:<id>;"
      .. " roles admin, helpdesk, installer, read, write; repeatable, at least one" },
    { "view", "view", "VIEW", "a UI view for the --privilege before it (lobby_admin, reporting, ...)" },
    { "src-ip", "list", "IP", "an IP or CIDR the token may be used from; repeatable" },
    { "key-file", "value", "PATH", "write the key to a new file PATH (mode 0600) instead of printing it;"
      .. " '-': the key alone on standard output, the token on standard error" },
  },
  run = function(ctx, o)
    if not o.name then return ctx.usage("create needs --name") end
    local privileges, perr = privilege.parse_all(o.privileges)
    if perr then return ctx.usage(perr) end
    if not privileges then return ctx.usage("create needs at least one --privilege, as --privilege admin:org") end
    local path = o["key-file"]
    local to_stdout = path == "-"
    local file
    if path and not to_stdout then
      local kerr
      file, kerr = keyfile.create(path)
      if not file then return ctx.usage(kerr) end
    end
    local body = { name = o.name, privileges = privileges }
    if #o.src_ips > 0 then body.src_ips = o.src_ips end
    local res, err = ctx.client:orgs_api_tokens():create_org_api_token(ctx.org, body)
    if not res then
      if file then keyfile.discard(file) end
      return ctx.fail(err)
    end
    local token = res.data
    local key = token.key
    if to_stdout then
      ctx.out(key)
      token.key = display.mask(key)
      ctx.err(o.json and json.encode(token) or output.token(token))
      return ctx.OK
    end
    if file then
      local ok, kerr = keyfile.finish(file, key)
      if not ok then
        -- The token exists now and its key can't be read again: show it rather than lose it.
        ctx.err("mistapi-tokens: " .. kerr .. "; the key is printed below instead")
        path = nil
      end
    end
    if o.json then
      if path then token.key = display.mask(key) end
      ctx.out(json.encode(token))
    else
      ctx.out(output.token(token))
    end
    if path then
      ctx.err(("mistapi-tokens: the key is in %s (mode 0600); it can't be read from the API again"):format(path))
    elseif o.json then
      ctx.err("mistapi-tokens: the key in this answer is shown only now; the API never shows it again")
    else
      ctx.out("")
      ctx.out("KEY (shown only now; the API never shows it again, store it safely):")
      ctx.out(key)
    end
    return ctx.OK
  end,
}
