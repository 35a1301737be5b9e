--- How a `create` command hands over a new token's key, which the API shows
-- only this once: every path ends with the key somewhere the user gets it
-- (the --key-file, standard output, or, when the file fails after the token
-- exists, the screen). Shared by `create` (org tokens) and `self create`.
-- @module mistapi.cli.new_token

local json = require "mistapi.cli.json"
local keyfile = require "mistapi.cli.keyfile"
local display = require "mistapi.display"

local new_token = {}

--- Makes the token with `make()` and shows it with `show(token)`.
-- @param ctx the command's context
-- @param o its options (`key-file`, `json`)
-- @param make function() -> result | nil, err: the create call
-- @param show function(token) -> text: the token for people
-- @return the exit status
function new_token.run(ctx, o, make, show)
  local path = o["key-file"]
  local to_stdout = path == "-"
  local file
  if path and not to_stdout then
    local kerr
    file, kerr = keyfile.create(path)   -- before anything is sent: a bad path costs no token
    if not file then return ctx.usage(kerr) end
  end
  local res, err = make()
  if not res then
    if file then keyfile.discard(file) end
    return ctx.fail(err)
  end
  local token = res.data
  local key = token.key
  if to_stdout then
    ctx.out(key)
    token.key = display.mask(key)
    ctx.err(o.json and json.encode(token) or show(token))
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

return new_token
