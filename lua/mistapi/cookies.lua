--- The few cookie rules a login session needs: read `Set-Cookie` answers,
-- write a `Cookie` header. One client talks to one host, so Domain and Path
-- are not tracked; a cookie that is expired or emptied is forgotten.
-- @module mistapi.cookies

local retry = require "mistapi.retry"

local cookies = {}

-- A cookie name: an RFC 6265 token.
local NAME = "[%w!#%$%%&'%*%+%-%.%^_`|~]+"

-- The transports join repeated headers with ", ", and an Expires date holds
-- ", " too: a new cookie starts only where "name=" follows the comma.
local function split(header)
  local list, start = {}, 1
  local from = 1
  while true do
    local a, b = header:find(",%s*", from)
    if not a then break end
    if header:find("^" .. NAME .. "=", b + 1) then
      list[#list + 1] = header:sub(start, a - 1)
      start = b + 1
    end
    from = b + 1
  end
  list[#list + 1] = header:sub(start)
  return list
end

-- Whether a cookie's attributes say it is gone now.
local function expired(attrs, now)
  local max_age = attrs:match(";%s*[Mm][Aa][Xx]%-[Aa][Gg][Ee]=%s*(%-?%d+)")
  if max_age then return tonumber(max_age) <= 0 end
  local date = attrs:match(";%s*[Ee][Xx][Pp][Ii][Rr][Ee][Ss]=%s*([^;]+)")
  if date then
    local left = retry.parse_retry_after((date:gsub("(%d)%-(%a)", "%1 %2"):gsub("(%a)%-(%d)", "%1 %2")), now)
    return left == 0
  end
  return false
end

--- Applies the `Set-Cookie` header of an answer to `jar` (name -> value).
-- @param jar table, changed in place
-- @param header the joined Set-Cookie value (or a list of them), or nil
-- @param now epoch seconds (default os.time())
function cookies.absorb(jar, header, now)
  if type(header) == "table" then header = table.concat(header, ", ") end  -- a transport's list
  if type(header) ~= "string" then return end
  for _, one in ipairs(split(header)) do
    local name, value, attrs = one:match("^%s*(" .. NAME .. ")=([^;]*)(.*)$")
    if name then
      value = value:match("^%s*\"?(.-)\"?%s*$")
    end
    -- RFC 6265's cookie-octets only: a value with a control character (a bare
    -- CR...), a space, a quote, a backslash or a comma would break the Cookie
    -- header of every later call. Such a cookie is ignored, as if not sent.
    if name and not value:find('[^\33-\126]') and not value:find('["\\,]') then
      if value == "" or expired(attrs, now) then
        jar[name] = nil
      else
        jar[name] = value
      end
    end
  end
end

--- The `Cookie` header for `jar`, names sorted so it is stable, or nil.
function cookies.header(jar)
  local names = {}
  for name in pairs(jar) do names[#names + 1] = name end
  if #names == 0 then return nil end
  table.sort(names)
  for i, name in ipairs(names) do names[i] = name .. "=" .. jar[name] end
  return table.concat(names, "; ")
end

return cookies
