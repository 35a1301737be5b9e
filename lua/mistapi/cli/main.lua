--- `mistapi-tokens`: the Org API Tokens from a shell. `run` does the whole
-- command and returns the exit status, so specs call it like the script.
-- Exit status: 0 done, 2 usage, 3 validation, 4 HTTP 4xx, 5 HTTP 5xx,
-- redirect, transport, timeout or an answer that can't be read.
-- @module mistapi.cli.main

local args = require "mistapi.cli.args"
local json = require "mistapi.cli.json"
local keyfile = require "mistapi.cli.keyfile"
local output = require "mistapi.cli.output"
local privilege = require "mistapi.cli.privilege"
local display = require "mistapi.display"

local main = {}

local EXIT = { ok = 0, usage = 2, validation = 3, client = 4, server = 5 }
main.EXIT = EXIT

main.USAGE = [[
usage: mistapi-tokens COMMAND [options]

commands:
  list                       every token of the org (all pages, or --page N)
  get ID                     one token
  create --name NAME --privilege P [--privilege P ...] [--src-ip IP ...] [--key-file PATH]
                             a new token; its key is shown only this once
  update ID [--name NAME] [--privilege P ...]
                             rename a token or replace its privileges
  delete ID                  delete a token

options:
  --org ID            the org (default: $MIST_ORG_ID)
  --privilege P       ROLE:SCOPE[:ID]: admin:org, read:site:<site_id>, write:sitegroup:<id>;
                      roles admin, helpdesk, installer, read, write; repeatable
  --view VIEW         a UI view for the --privilege before it (lobby_admin, reporting, ...)
  --src-ip IP         an IP or CIDR the token may be used from (create only); repeatable
  --key-file PATH     create: write the key to a new file with mode 0600 instead of printing it
  --json              print JSON (for jq) instead of a table
  --limit N           list: tokens asked for per page
  --page N            list: only that page (from 1)
  --max-retries N     retries of a call that failed in a way worth retrying (default 3)
  --timeout S         seconds for one attempt (default 30)
  --base-url URL | --host HOST | --cloud NAME
                      the Mist API (default: $MIST_BASE_URL, else $MIST_HOST, else api.mist.com)

The API token comes only from $MIST_APITOKEN (never from an argument: ps shows those).
exit status: 0 ok, 2 usage, 3 validation, 4 HTTP 4xx, 5 HTTP 5xx / transport / timeout / bad answer]]

-- The exit status of a mistapi error.
function main.status_of(err)
  if err.kind == "validation" then return EXIT.validation end
  if err.kind == "http" and err.status and err.status >= 400 and err.status < 500 then return EXIT.client end
  return EXIT.server
end

local function client_for(o, getenv)
  local mistapi = require "mistapi"
  local base_url = o["base-url"]
  if not (base_url or o.host or o.cloud) then
    local env_url = getenv("MIST_BASE_URL")
    if env_url and env_url ~= "" then base_url = env_url end
  end
  return mistapi.new { base_url = base_url, host = o.host, cloud = o.cloud, getenv = getenv,
                       max_retries = o["max-retries"], timeout = o.timeout }
end

-- Each command: (ctx, o, tokens, org) -> exit status; prints through ctx.
local commands = {}

function commands.list(ctx, o, tokens, org)
  local res, err
  if o.page then   -- one page, as asked
    res, err = tokens:list_org_api_tokens(org, { limit = o.limit, page = o.page })
  else
    res, err = tokens:list_all_org_api_tokens(org, { limit = o.limit })
  end
  if not res then return ctx.fail(err) end
  if o.json then return ctx.out(json.encode(res.data, true)) end
  return ctx.out(output.list(res.data))
end

function commands.get(ctx, o, tokens, org)
  local res, err = tokens:get_org_api_token(org, o.id)
  if not res then return ctx.fail(err) end
  return ctx.out(o.json and json.encode(res.data) or output.token(res.data))
end

function commands.create(ctx, o, tokens, org)
  if not o.name then return ctx.usage("create needs --name") end
  local privileges, perr = privilege.parse_all(o.privileges)
  if perr then return ctx.usage(perr) end
  if not privileges then return ctx.usage("create needs at least one --privilege, as --privilege admin:org") end
  local path = o["key-file"]
  if path then
    local ok, kerr = keyfile.prepare(path)
    if not ok then return ctx.usage(kerr) end
  end
  local body = { name = o.name, privileges = privileges }
  if #o.src_ips > 0 then body.src_ips = o.src_ips end
  local res, err = tokens:create_org_api_token(org, body)
  if not res then
    if path then keyfile.discard(path) end
    return ctx.fail(err)
  end
  local token = res.data
  local key = token.key
  if path then
    local ok, kerr = keyfile.write(path, key)
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
  return EXIT.ok
end

function commands.update(ctx, o, tokens, org)
  local privileges, perr = privilege.parse_all(o.privileges)
  if perr then return ctx.usage(perr) end
  if #o.src_ips > 0 then
    return ctx.fail({ kind = "validation" }, "src_ips can't be changed once a token exists")
  end
  if not (o.name or privileges) then return ctx.usage("update needs --name or --privilege") end
  -- PUT replaces the token: start from what the server has, change what was asked.
  local res, err = tokens:get_org_api_token(org, o.id)
  if not res then return ctx.fail(err) end
  local token = res.data
  token.name = o.name or token.name
  token.privileges = privileges or token.privileges
  res, err = tokens:update_org_api_token(org, o.id, token)
  if not res then return ctx.fail(err) end
  if res.data == nil then
    res, err = tokens:get_org_api_token(org, o.id)
    if not res then return ctx.fail(err) end
  end
  return ctx.out(o.json and json.encode(res.data) or output.token(res.data))
end

function commands.delete(ctx, o, tokens, org)
  local res, err = tokens:delete_org_api_token(org, o.id)
  if not res then return ctx.fail(err) end
  return ctx.out(o.json and json.encode({ deleted = o.id }) or ("deleted " .. o.id))
end

--- Runs one command line.
-- @param argv the arguments, without the program name
-- @param env optional { getenv =, stdout =, stderr = } (stdout and stderr: write(text) functions)
-- @return the exit status
function main.run(argv, env)
  env = env or {}
  local getenv = env.getenv or os.getenv
  local stdout = env.stdout or function(s) io.stdout:write(s) end
  local stderr = env.stderr or function(s) io.stderr:write(s) end
  local ctx = {}
  function ctx.out(s) stdout(s .. "\n"); return EXIT.ok end
  function ctx.err(s) stderr(s .. "\n") end
  function ctx.usage(msg)
    ctx.err("mistapi-tokens: " .. msg .. " (mistapi-tokens --help shows the usage)")
    return EXIT.usage
  end
  function ctx.fail(err, msg)
    ctx.err("mistapi-tokens: " .. (msg or tostring(err)))
    return main.status_of(err)
  end

  local o, perr = args.parse(argv)
  if not o then return ctx.usage(perr) end
  if o.help then return ctx.out(main.USAGE) end
  local org = o.org or getenv("MIST_ORG_ID")
  if not org or org == "" then return ctx.usage("no org: pass --org ID or set MIST_ORG_ID") end
  local client, cerr = client_for(o, getenv)
  if not client then return ctx.usage(tostring(cerr)) end
  local ok, status = pcall(commands[o.command], ctx, o, client:orgs_api_tokens(), org)
  client:close()
  if not ok then error(status, 0) end
  return status
end

return main
