--- The tokens a command works on: the org's (a command with `org = true`,
-- `ctx.org` from --org) or the caller's own (the `self` commands). The
-- factories of the commands that exist for both (list_command,
-- get_command, update_command, delete_command, rotation, new_token) take the
-- `org` flag and ask here, so that which calls and which printing go with
-- which stays in one place.
-- @module mistapi.cli.collection

local json = require "mistapi.cli.json"
local output = require "mistapi.cli.output"

local collection = {}

--- The resource: `client:orgs_api_tokens()`, or `client:self_api_tokens()`.
function collection.resource(ctx, org)
  if org then return ctx.client:orgs_api_tokens() end
  return ctx.client:self_api_tokens()
end

--- Calls the resource's method `name`, with the org's id first for org tokens.
function collection.method(ctx, org, name, ...)
  local r = collection.resource(ctx, org)
  if org then return r[name](r, ctx.org, ...) end
  return r[name](r, ...)
end

--- Calls the resource's operation of role `role` ("get", "list", "update"...;
-- from its `ops` rows) or its helper of that name ("list_all").
-- @return a result, or nil and an error
function collection.call(ctx, org, role, ...)
  local r = collection.resource(ctx, org)
  return collection.method(ctx, org, r.ops[role] and r.ops[role].name or r.row.helpers[role], ...)
end

--- The tokens as a mistapi.lifecycle.target (the lifecycle's guards work on it).
function collection.target(ctx, org)
  return require("mistapi.lifecycle.target").of(collection.resource(ctx, org), org and ctx.org or nil)
end

--- A token of the collection as `field  value` lines, for people.
function collection.show(org)
  return org and output.token or output.user_token
end

--- Prints `token` on standard output: JSON with --json, else for people. -> the exit status
function collection.print(ctx, o, org, token)
  return ctx.out(o.json and json.encode(token) or collection.show(org)(token))
end

return collection
