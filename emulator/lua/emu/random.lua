-- Random bytes from /dev/urandom, for ids, keys, session ids and passwords.
local M = {}

local urandom -- the worker's open handle; reading it never blocks

function M.open()
  if not urandom then
    urandom = assert(io.open("/dev/urandom", "rb"))
  end
end

function M.bytes(n)
  M.open()
  local s = urandom:read(n)
  if not s or #s ~= n then
    error("short read from /dev/urandom")
  end
  return s
end

-- A version 4 UUID in lower case.
function M.uuid()
  local b = { M.bytes(16):byte(1, 16) }
  b[7] = b[7] % 16 + 0x40
  b[9] = b[9] % 64 + 0x80
  local hex = {}
  for i = 1, 16 do
    hex[i] = string.format("%02x", b[i])
  end
  local h = table.concat(hex)
  return h:sub(1, 8) .. "-" .. h:sub(9, 12) .. "-" .. h:sub(13, 16) .. "-" .. h:sub(17, 20) .. "-" .. h:sub(21, 32)
end

local ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

-- n characters of [A-Za-z0-9]; 248 keeps the choice uniform (248 = 4 * 62).
function M.alnum(n)
  local out, have = {}, 0
  for _ = 1, 64 do
    local raw = M.bytes(n * 2)
    for i = 1, #raw do
      local v = raw:byte(i)
      if v < 248 then
        have = have + 1
        local c = v % 62 + 1
        out[have] = ALNUM:sub(c, c)
        if have == n then
          return table.concat(out)
        end
      end
    end
  end
  error("random source gave too few usable bytes")
end

return M
