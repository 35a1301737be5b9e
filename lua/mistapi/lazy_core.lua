--- The C core, loaded on first use. Loading `mistapi.core` binds libcurl
-- and its thirty-odd libraries and starts OpenSSL: most of a program's
-- start-up. Modules that `require "mistapi"` loads use this stand-in, so
-- `require "mistapi"` and `mistapi.new{}` don't pay that until a call needs
-- the core (the first request, UUID check or decode). Each field, once read,
-- is kept in the stand-in, so later reads are plain table reads.
-- @module mistapi.lazy_core

local real

return setmetatable({}, {
  __index = function(stand_in, key)
    real = real or require "mistapi.core"
    local value = real[key]
    rawset(stand_in, key, value)
    return value
  end,
})
