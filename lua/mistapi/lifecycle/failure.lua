--- The error of a lifecycle step: which step failed, why, and what exists now.
-- `kind` is the cause's (so `is_not_found()` and the CLI's exit status still
-- work), or "lifecycle" for a cause that is no HTTP call (a store function
-- that failed, an answer without a key). Fields: `step`, `state`, `cause`,
-- and what the caller passed in `fields` (`old_id`, `new_id`, `done`...).
-- @module mistapi.lifecycle.failure

local errors = require "mistapi.errors"

local failure = {}

local function cause_text(cause)
  if errors.is_error(cause) then return errors.tidy(cause.message) or cause.kind end
  return errors.tidy(tostring(cause)) or "?"
end

--- @param what the operation ("rotate", "apply")
-- @param step the step that failed ("read", "create", "store", "verify", "delete"...)
-- @param cause a mistapi error or a message
-- @param state what exists now, in words
-- @param fields extra fields for the error, or nil
-- @param secrets strings that must not show (a new key), or nil
function failure.new(what, step, cause, state, fields, secrets)
  local e = fields or {}
  local kind = "lifecycle"
  if errors.is_error(cause) then
    kind = cause.kind
    e.status, e.detail, e.retry_after = cause.status, cause.detail, cause.retry_after
  end
  e.step, e.state, e.cause = step, state, cause
  local message = ("%s: %s failed: %s; %s"):format(what, step, cause_text(cause), state)
  return errors.new(kind, errors.redact(message, secrets), e)
end

--- Calls a caller's function (`store`, `load`) without letting it raise
-- through us: what it returns, or nil and a message for the failure's cause
-- (what it raised, the message it returned with nil or false, or that it
-- returned nil or false).
-- @param fn the caller's function
-- @param ... its arguments
-- @return its first value, or nil and a message
function failure.call(fn, ...)
  local ok, res, msg = pcall(fn, ...)
  if not ok then return nil, tostring(res) end
  if res == nil or res == false then return nil, msg or "it returned " .. tostring(res) end
  return res
end

--- A misuse-free refusal before anything was sent (a validation error).
function failure.refuse(what, step, message, fields)
  local e = fields or {}
  e.step, e.state = step, "nothing was changed"
  return errors.new("validation", ("%s: %s; nothing was changed"):format(what, message), e)
end

--- The one guard for the client's own token, run before the first step that
-- changes anything: replacing or deleting the token this client calls with
-- would cut it off, so it is refused unless `allow_self`.
-- @param t the target (its `is_own` recognises the client's keys by their masked form)
-- @param token the token about to be replaced or deleted (its masked `key`;
--   `own = true` when a plan found it is)
-- @param allow_self whether the caller allowed it
-- @param what the operation ("rotate", "finish", "apply")
-- @param step the step's name for the error
-- @param verb what would happen to it ("delete", "replace")
-- @param fields extra fields for the error
-- @return nil when it may go on, or the refusal (a validation error)
function failure.own(t, token, allow_self, what, step, verb, fields)
  if allow_self or not (token.own or t:is_own(token)) then return nil end
  return failure.refuse(what, step, ("%s is the token this client calls with; to %s it would cut this"
    .. " client off: pass allow_self"):format(tostring(token.id), verb), fields)
end

return failure
