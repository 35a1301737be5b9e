--- The one check of a request target, made by every transport before a
-- request leaves and by the pager on a server's `next` link: no control
-- character (CR and LF would split the request, NUL would cut it) and no
-- white space anywhere, and the client's own origin only.
-- @module mistapi.target

-- The scan is the core's check_target (the same bytes as the Lua pattern
-- "[%c%s\127]", but a call's URL costs a few hundred instructions there,
-- over thirty thousand here).
local core = require "mistapi.lazy_core"

local target = {}

--- Whether `path` may follow the client's base URL: it starts with "/" and
-- holds no control character or white space.
-- @return true, or nil and why not (never quoting the path)
function target.check_path(path)
  if type(path) ~= "string" or path:sub(1, 1) ~= "/" then return nil, "not a path from /" end
  if not core.check_target(path) then return nil, "a control character or a space in it" end
  return true
end

--- Whether `url` may be sent by a client whose base URL is `base_url`:
-- `base_url` followed by a path that `check_path` accepts.
-- @return true, or nil and why not (never quoting the URL)
function target.check_url(url, base_url)
  if type(url) ~= "string" then return nil, "the URL is not a string" end
  local ok, why = core.check_target(url, base_url)
  if ok then return true end
  if why == "character" then return nil, "a control character or a space in the request target" end
  return nil, "the request target is not on the client's base URL"
end

--- A transport's failure for a target `check_url` refused: nothing was sent.
-- It is permanent: the same target is refused the same way on every try.
function target.refusal(why)
  return { kind = "transport", reached = false, permanent = true, message = "request not sent: " .. why }
end

return target
