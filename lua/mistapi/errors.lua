--- The one error type of mistapi.
-- Every failure a call returns is a table with this metatable: `kind`
-- ("validation", "http", "transport", "timeout", "decode", "budget"), `message`, and
-- where they apply `status`, `detail`, `body`, `headers`, `retry_after`,
-- `method`, `url`, `attempts`, `token_index`. Nothing in it is a secret but
-- `body`, which holds the raw answer so that a new token's key is never lost;
-- `tostring` never shows `body`. An error answer's `body` has the client's
-- secrets hidden and is cut to `MAX_ERROR_BODY` bytes (then `body_size` is
-- its full size and the message says so).
-- @module mistapi.errors

local text_rule = require "mistapi.text"

local errors = {}

local Error = {}
Error.__index = Error
Error.__name = "mistapi.Error"

local RETRYABLE_STATUS = { [408] = true, [429] = true, [500] = true, [502] = true, [503] = true, [504] = true }
errors.RETRYABLE_STATUS = RETRYABLE_STATUS

local REASONS = {
  [400] = "Bad request", [401] = "Unauthorized", [403] = "Forbidden", [404] = "Not found.",
  [408] = "Request timeout", [429] = "Too many requests", [500] = "Internal server error",
  [502] = "Bad gateway", [503] = "Service unavailable", [504] = "Gateway timeout",
}

--- Replaces each control character, escape sequence and invalid byte of
-- `text` by `with` (default "?"): the one character rule of `mistapi.text`.
-- @param text string
-- @param with replacement (a string)
function errors.strip_controls(text, with)
  return text_rule.sanitize(text, with)
end

local MAX_SHOWN = 300

--- Replaces each secret found in `text` with "[redacted]": `mistapi.text`'s
-- redaction (every non-empty secret; the C core's placeholder is the same).
-- @param text string or nil
-- @param secrets array of strings (tokens, keys, the password, cookie values) to hide
-- @function redact
errors.redact = text_rule.redact

-- A URL's user information (`scheme://user:password@`), up to the "@"
-- before any "/", "?" or "#": never shown, whatever it holds.
local USERINFO = "(%a[%w+.%-]*://)[^/?#@]*@"

--- `text` with the credentials of every URL in it hidden:
-- `https://user:pw@host` becomes `https://[redacted]@host`.
function errors.hide_userinfo(text)
  if type(text) ~= "string" or not text:find("@", 1, true) then return text end
  return (text:gsub(USERINFO, function(scheme) return scheme .. text_rule.REDACTED .. "@" end))
end

--- A URL or path as an error or a log entry keeps it (`err.url`,
-- `err.path`): a server may have written it (a `next` link), so the
-- client's secrets are hidden in it, and so are URL credentials.
-- @param text string or nil
-- @param secrets optional array of strings to hide
function errors.redact_target(text, secrets)
  if type(text) ~= "string" then return text end
  if secrets then text = errors.redact(text, secrets) end
  return errors.hide_userinfo(text)
end

--- The one scrubber for text from a server (or curl) on its way to a log
-- line, an error text or a terminal: the secrets and URL credentials
-- hidden, on one line (each run of control characters, escape sequences
-- and invalid bytes becomes a space: `mistapi.text`'s rule), at most `max`
-- bytes (default 300, then "..."). Cut before it is cleaned, so a long text
-- costs little.
-- @param text string or nil (nil gives nil)
-- @param secrets optional array of strings to hide
-- @param max optional byte bound
function errors.scrub(text, secrets, max)
  if type(text) ~= "string" then return nil end
  max = max or MAX_SHOWN
  local longest = 0
  if secrets then
    for i = 1, #secrets do
      if type(secrets[i]) == "string" and #secrets[i] > longest then longest = #secrets[i] end
    end
  end
  -- enough of the text that a secret starting within the kept part is whole
  local cut = false
  if #text > max + longest then text, cut = text:sub(1, max + longest), true end
  if secrets then text = errors.redact(text, secrets) end
  text = errors.hide_userinfo(text)
  text = text_rule.sanitize(text, " ", true)
  if #text > max then return text_rule.cut(text, max + 3) end
  return cut and (text .. "...") or text
end

--- `errors.scrub` without secrets: server text on one line, bounded.
function errors.tidy(text)
  return errors.scrub(text)
end
local tidy = errors.tidy

--- How much of an answer's body an error keeps (256 KiB): plenty for a
-- person, and a hostile server can't make each error cost its whole body.
errors.MAX_ERROR_BODY = 256 * 1024

--- The body to keep on an error: the secrets hidden, at most
-- MAX_ERROR_BODY bytes. Returns the body and, when it was cut, its full size.
function errors.error_body(body, secrets)
  if type(body) ~= "string" then return body end
  local max = errors.MAX_ERROR_BODY
  if #body <= max then return errors.redact(body, secrets) end
  local longest = 0
  for i = 1, #(secrets or {}) do
    if type(secrets[i]) == "string" and #secrets[i] > longest then longest = #secrets[i] end
  end
  -- redact a little past the cut, so a secret across it is hidden whole
  local kept = errors.redact(body:sub(1, max + longest), secrets)
  return kept:sub(1, max), #body
end

--- Makes an error. `fields` becomes the error (it is not copied).
function errors.new(kind, message, fields)
  local e = fields or {}
  e.kind = kind
  e.message = message
  return setmetatable(e, Error)
end

function errors.validation(message)
  return errors.new("validation", message)
end

--- Whether `v` is a mistapi error.
function errors.is_error(v)
  return getmetatable(v) == Error
end

--- The HTTP reason text for a status this module knows, else nil.
function errors.reason(status)
  return REASONS[status]
end

function Error:is_retryable()
  if self.kind == "http" then return RETRYABLE_STATUS[self.status] == true end
  return self.kind == "transport" or self.kind == "timeout"
end

function Error:is_rate_limited() return self.kind == "http" and self.status == 429 end
function Error:is_not_found() return self.kind == "http" and self.status == 404 end
function Error:is_unauthorized() return self.kind == "http" and self.status == 401 end
function Error:is_forbidden() return self.kind == "http" and self.status == 403 end

function Error:__tostring()
  local parts = { "mistapi:" }
  if self.kind == "http" then
    parts[#parts + 1] = tostring(self.status)
  elseif self.kind ~= "validation" then
    parts[#parts + 1] = self.kind
    if self.status then parts[#parts + 1] = tostring(self.status) end
  else
    parts[#parts + 1] = "invalid argument"
  end
  local where = self.path or self.url
  if self.method and where then
    -- a path may come from a server's `next` link: scrubbed like the message
    parts[#parts + 1] = tidy(tostring(self.method))
    parts[#parts + 1] = tidy(tostring(where)) .. ":"
  else
    parts[#parts] = parts[#parts] .. ":"
  end
  parts[#parts + 1] = tidy(self.message) or "?"
  -- raised by mistapi.raising: the script's line that made the call (last, so
  -- the text still starts with "mistapi:")
  if type(self.raised_at) == "string" then parts[#parts + 1] = "(raised at " .. self.raised_at .. ")" end
  return table.concat(parts, " ")
end

return errors
