--- The one error type of mistapi.
-- Every failure a call returns is a table with this metatable: `kind`
-- ("validation", "http", "transport", "timeout", "decode"), `message`, and
-- where they apply `status`, `detail`, `body`, `headers`, `retry_after`,
-- `method`, `url`, `attempts`, `token_index`. Nothing in it is a secret but
-- `body`, which holds the raw answer so that a new token's key is never lost;
-- `tostring` never shows `body`.
-- @module mistapi.errors

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

-- Text from a server or from curl is shown on one line, bounded, without
-- control characters, so a hostile answer can't forge or flood a log.
local MAX_SHOWN = 300
local function tidy(text)
  if type(text) ~= "string" then return nil end
  text = text:gsub("[%c]+", " ")
  if #text > MAX_SHOWN then text = text:sub(1, MAX_SHOWN) .. "..." end
  return text
end
errors.tidy = tidy

--- Replaces each secret found in `text` with a masked form.
-- @param text string or nil
-- @param secrets array of strings (tokens, keys) to hide
function errors.redact(text, secrets)
  if type(text) ~= "string" or not secrets then return text end
  for i = 1, #secrets do
    local s = secrets[i]
    if type(s) == "string" and #s >= 8 then
      local from = 1
      while true do
        local a, b = text:find(s, from, true)
        if not a then break end
        text = text:sub(1, a - 1) .. "[redacted]" .. text:sub(b + 1)
        from = a + #"[redacted]"
      end
    end
  end
  return text
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
    parts[#parts + 1] = self.method
    parts[#parts + 1] = where .. ":"
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
