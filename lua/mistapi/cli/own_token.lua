--- The CLI's `delete` and `self delete` ask the lifecycle's one guard of the
-- client's own token (mistapi.lifecycle.failure.own) before they delete:
-- the token this command runs with is deleted only with --allow-self.
-- @module mistapi.cli.own_token

local errors = require "mistapi.errors"
local failure = require "mistapi.lifecycle.failure"

local own_token = {}

--- Refuses deleting the token the command runs with.
-- @param ctx the command's context
-- @param t the mistapi.lifecycle.target of the token
-- @param id the token's id
-- @param allow_self whether --allow-self was given
-- @return nil to go on, or the exit status to end with (nothing was changed)
function own_token.refuse(ctx, t, id, allow_self)
  if allow_self then return nil end
  local token, err = t:get(id)
  if not token then
    if errors.is_error(err) and err:is_not_found() then return nil end   -- the delete says so
    return ctx.fail(err)
  end
  local refusal = failure.own(t, token, false, "delete", "read", "delete")
  if not refusal then return nil end
  return ctx.fail(refusal, ("%s is the token this command runs with; deleting it would cut it off:"
    .. " pass --allow-self to do it anyway; nothing was changed"):format(id))
end

return own_token
