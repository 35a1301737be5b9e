--- The C core, loaded on first use (libcurl and OpenSSL come later still,
-- with the first session). Modules that `require "mistapi"` loads use this
-- stand-in, so
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
