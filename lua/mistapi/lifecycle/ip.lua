--- One spelling for each `src_ips` entry, so that a plan compares what the
-- entries allow, not how they are written: `127.0.0.1/32` is `127.0.0.1`,
-- `2001:DB8::1` is `2001:db8:0:0:0:0:0:1`, and a CIDR with host bits set is
-- its network (`10.0.0.5/24` allows what `10.0.0.0/24` allows, as a
-- non-strict CIDR match does). An IPv4-mapped IPv6 address stays IPv6 (a
-- server may treat the two families apart). Text that is no address is only
-- lower-cased and stripped of blanks. Plain arithmetic: Lua 5.1 has no bit
-- operators.
-- @module mistapi.lifecycle.ip

local ip = {}

-- `value` (`width` bits) with all but its first `keep` bits cleared.
local function keep_bits(value, width, keep)
  if keep >= width then return value end
  if keep <= 0 then return 0 end
  local span = math.floor(2 ^ (width - keep) + 0.5)
  return math.floor(value - value % span)
end

-- The groups of an address (`count` groups of `width` bits) masked to `len` bits.
local function mask(groups, width, len)
  for i = 1, #groups do
    groups[i] = keep_bits(groups[i], width, len - (i - 1) * width)
  end
  return groups
end

local function prefix_len(text, max)
  if text == nil then return max end
  if not text:match("^%d+$") or #text > 3 then return nil end
  local n = tonumber(text)
  if n > max then return nil end
  return n
end

local function v4_octets(text)
  local a, b, c, d = text:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return nil end
  local out = {}
  for i, s in ipairs({ a, b, c, d }) do
    if #s > 3 then return nil end
    local n = tonumber(s)
    if n > 255 then return nil end
    out[i] = n
  end
  return out
end

local function v6_groups(text)
  local groups = {}
  -- an IPv4 tail (::ffff:1.2.3.4) is two groups
  local head, v4 = text:match("^(.*:)(%d+%.%d+%.%d+%.%d+)$")
  local tail_groups
  if head then
    local o = v4_octets(v4)
    if not o then return nil end
    tail_groups = { o[1] * 256 + o[2], o[3] * 256 + o[4] }
    text = head:match("::$") and head or head:sub(1, -2)
  end
  local left, right = text, nil
  local at = text:find("::", 1, true)
  if at then
    left, right = text:sub(1, at - 1), text:sub(at + 2)
    if right:find("::", 1, true) then return nil end
  end
  local function parts(s)
    local list = {}
    if s == "" then return list end
    for g in (s .. ":"):gmatch("([^:]*):") do
      if not g:match("^%x%x?%x?%x?$") then return nil end
      list[#list + 1] = tonumber(g, 16)
    end
    return list
  end
  local l, r = parts(left), parts(right or "")
  if not l or not r then return nil end
  local t = tail_groups or {}
  local have = #l + #r + #t
  if (at and have > 7) or (not at and have ~= 8) then return nil end
  for _, g in ipairs(l) do groups[#groups + 1] = g end
  for _ = 1, 8 - have do groups[#groups + 1] = 0 end
  for _, g in ipairs(r) do groups[#groups + 1] = g end
  for _, g in ipairs(t) do groups[#groups + 1] = g end
  return groups
end

--- The canonical spelling of one `src_ips` entry (for comparing, never sent).
-- @param s an address or CIDR, as given or as the server shows it
-- @return a string: equal for entries that allow the same sources
function ip.canonical(s)
  local text = (type(s) == "string" and s or tostring(s)):lower():gsub("%s", "")
  local addr, len_text = text:match("^([^/]+)/([^/]*)$")
  addr = addr or text
  local octets = v4_octets(addr)
  if octets then
    local len = prefix_len(len_text, 32)
    if not len then return text end
    mask(octets, 8, len)
    local out = table.concat(octets, ".")
    return len == 32 and out or (out .. "/" .. len)
  end
  if addr:find(":", 1, true) then
    local groups = v6_groups(addr)
    local len = groups and prefix_len(len_text, 128)
    if not len then return text end
    mask(groups, 16, len)
    local hex = {}
    for i, g in ipairs(groups) do hex[i] = ("%x"):format(g) end
    local out = table.concat(hex, ":")
    return len == 128 and out or (out .. "/" .. len)
  end
  return text
end

return ip
