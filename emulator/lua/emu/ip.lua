-- IPv4/IPv6 addresses and CIDRs: parsing for validation, matching for src_ips.
-- An address becomes an array of bytes (4 or 16).
local M = {}

local function parse_v4(s)
  local parts = { s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$") }
  if #parts ~= 4 then
    return nil
  end
  for i = 1, 4 do
    local p = parts[i]
    if #p > 3 or (#p > 1 and p:sub(1, 1) == "0") then
      return nil
    end
    local n = tonumber(p)
    if n > 255 then
      return nil
    end
    parts[i] = n
  end
  return parts
end

local function parse_groups(s)
  local groups = {}
  if s == "" then
    return groups
  end
  for g in (s .. ":"):gmatch("([^:]*):") do
    if not g:match("^%x%x?%x?%x?$") then
      return nil
    end
    groups[#groups + 1] = tonumber(g, 16)
  end
  return groups
end

local function parse_v6(s)
  if s:find("[^%x:%.]") then
    return nil
  end
  -- an IPv4 tail counts as two groups
  local tail = {}
  local head_part, v4 = s:match("^(.*:)(%d+%.%d+%.%d+%.%d+)$")
  if v4 then
    local b = parse_v4(v4)
    if not b then
      return nil
    end
    tail = { b[1] * 256 + b[2], b[3] * 256 + b[4] }
    s = head_part
    if s:sub(-2) ~= "::" then
      s = s:sub(1, -2)
    end
  end
  local left, right = s, nil
  local dc = s:find("::", 1, true)
  if dc then
    if s:find("::", dc + 1, true) then
      return nil
    end
    left, right = s:sub(1, dc - 1), s:sub(dc + 2)
  end
  local lg = parse_groups(left)
  local rg = right and parse_groups(right) or {}
  if not lg or not rg then
    return nil
  end
  for _, t in ipairs(tail) do
    rg[#rg + 1] = t
  end
  local total = #lg + #rg
  if (dc and total > 7) or (not dc and total ~= 8) then
    return nil
  end
  local groups = {}
  for _, g in ipairs(lg) do
    groups[#groups + 1] = g
  end
  for _ = 1, 8 - total do
    groups[#groups + 1] = 0
  end
  for _, g in ipairs(rg) do
    groups[#groups + 1] = g
  end
  local bytes = {}
  for i, g in ipairs(groups) do
    bytes[2 * i - 1] = math.floor(g / 256)
    bytes[2 * i] = g % 256
  end
  return bytes
end

function M.parse_addr(s)
  if type(s) ~= "string" then
    return nil
  end
  return parse_v4(s) or parse_v6(s)
end

-- "a.b.c.d", "a.b.c.d/n", "x::y", "x::y/n" -> { bytes = {...}, prefix = n } | nil
function M.parse(s)
  if type(s) ~= "string" or #s > 64 then
    return nil
  end
  local addr, len = s:match("^([^/]+)/(%d+)$")
  if not addr then
    addr = s
  end
  local bytes = M.parse_addr(addr)
  if not bytes then
    return nil
  end
  local max = #bytes * 8
  local prefix = max
  if len then
    if #len > 3 or (#len > 1 and len:sub(1, 1) == "0") then
      return nil
    end
    prefix = tonumber(len)
    if prefix > max then
      return nil
    end
  end
  return { bytes = bytes, prefix = prefix }
end

-- Is address text `addr` inside the parsed network `net`? IPv4-mapped IPv6 counts as IPv4.
function M.contains(net, addr)
  local a = M.parse_addr(addr)
  if not a then
    return false
  end
  if #a == 16 and #net.bytes == 4 then
    for i = 1, 10 do
      if a[i] ~= 0 then
        return false
      end
    end
    if a[11] ~= 255 or a[12] ~= 255 then
      return false
    end
    a = { a[13], a[14], a[15], a[16] }
  end
  if #a ~= #net.bytes then
    return false
  end
  local bits = net.prefix
  for i = 1, #a do
    if bits <= 0 then
      return true
    end
    local take = bits >= 8 and 8 or bits
    local div = 2 ^ (8 - take)
    if math.floor(a[i] / div) ~= math.floor(net.bytes[i] / div) then
      return false
    end
    bits = bits - take
  end
  return true
end

return M
