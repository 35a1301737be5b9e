--- How a `create` command hands over a new token's key, which the API shows
-- only this once. The create follows the lifecycle's "may have made" rule
-- (mistapi.lifecycle.made): a token made despite a lost answer is found and
-- its key recovered, or deleted. The key then goes to the --key-file (made
-- before anything is sent, by mistapi.keystore), to standard output ('-',
-- checked to be written), or to the screen. When the store fails the token
-- is deleted again; only if that fails too is the key printed, rather than
-- lost. `command` makes `create` (org tokens) and `self create`.
-- @module mistapi.cli.new_token

local collection = require "mistapi.cli.collection"
local errors = require "mistapi.errors"
local json = require "mistapi.cli.json"
local keystore = require "mistapi.keystore"
local made = require "mistapi.lifecycle.made"
local display = require "mistapi.display"

local new_token = {}

local function text_of(err) return (tostring(err):gsub("^mistapi: ", "")) end

-- Makes the token and shows it. -> the exit status
-- @param o the command's options (`key-file`, `json`)
-- @param org true for the org's tokens, false for your own (mistapi.cli.collection)
-- @param body the create's body
local function run(ctx, o, org, body)
  local t, show = collection.target(ctx, org), collection.show(org)
  local path = o["key-file"]
  local ks
  if path then
    local kerr
    -- before anything is sent: a bad path costs no token
    ks, kerr = keystore.file(path, { label = "--key-file " .. path, write = ctx.write, new_only = true })
    if not ks then return ctx.usage(kerr) end
  end
  local token, err, state = made.create(t, body)
  if not token then
    if ks then ks.abandon() end
    return ctx.fail(err, ("create failed: %s; %s"):format(text_of(err), state))
  end
  local key = token.key
  if token.recovered then
    ctx.err("mistapi-tokens: the create's answer could not be read; token " .. token.id
      .. " was found and its key recovered from the answer")
  end
  if token.left then
    ctx.err("mistapi-tokens: the server made more tokens of that name, whose keys are lost and which could not"
      .. " be deleted: " .. token.left .. "; delete them by hand")
  end
  if ks then
    local ok, kerr = ks.store(key, token)
    if not ok then
      local words, gone = made.undo(t, token, false)
      if gone then
        return ctx.fail(errors.new("lifecycle", ""), ("create: %s; %s"):format(kerr, words))
      end
      -- The token lives on and its key can't be read again: show it rather than lose it.
      ctx.err(("mistapi-tokens: %s; %s; the key is printed below instead"):format(kerr, words))
      path = nil
    end
  end
  if path == "-" then
    token.key = display.mask(key)
    ctx.err(o.json and json.encode(token) or show(token))
    return ctx.OK
  end
  if o.json then
    if path then token.key = display.mask(key) end
    ctx.out(json.encode(token))
  else
    ctx.out(show(token))
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
end

--- A create command.
-- @param spec { summary, synopsis, org = true for the org's tokens, options = its own (--key-file
--   follows them), body = function(ctx, o) -> the create's body, or nil and the exit status }
function new_token.command(spec)
  local options = {}
  for i, row in ipairs(spec.options) do options[i] = row end
  options[#options + 1] = { "key-file", "value", "PATH", "write the key to a new file PATH (mode 0600) instead"
    .. " of printing it; '-': the key alone on standard output, the token on standard error" }
  return {
    summary = spec.summary,
    synopsis = spec.synopsis,
    org = spec.org,
    options = options,
    run = function(ctx, o)
      local body, status = spec.body(ctx, o)
      if not body then return status end
      return run(ctx, o, spec.org, body)
    end,
  }
end

return new_token
