--- Which nginx configuration a TLS handshake made now is verified under.
-- ngx_lua takes the CA bundle (`lua_ssl_trusted_certificate`) and the depth
-- from the configuration of the request's location, which may differ from
-- one server block or location to the next, and a pooled connection keeps
-- the verification it had. The address of that location configuration
-- (`r->loc_conf`, the sixth field of nginx's request, unchanged since nginx
-- 0.x) names the trust, so the pool of TLS connections can be split by it.
-- Timers carry the configuration of the request or phase that made them.
-- @module mistapi.transport.ngx_trust

local ok_ffi, ffi = pcall(require, "ffi")
local ok_base, base = pcall(require, "resty.core.base")

local HTTP_SIGNATURE = 0x50545448   -- "HTTP", NGX_HTTP_MODULE: the first field of every request

local head_type
if ok_ffi and ok_base and type(base.get_request) == "function" then
  -- already declared by another copy of this module (a second Lua VM never shares it)
  pcall(ffi.cdef, [[
    typedef struct {
      uint32_t   signature;
      void      *connection;
      void     **ctx;
      void     **main_conf;
      void     **srv_conf;
      void     **loc_conf;
    } mistapi_ngx_request_head_t;
  ]])
  local ok, t = pcall(ffi.typeof, "const mistapi_ngx_request_head_t *")
  head_type = ok and t or nil
end

--- A name for the trust of the current request ("loc:<hex address>"), or
-- nil when it can't be known (no request, no FFI): then nothing is pooled.
return function()
  if not head_type then return nil end
  local r = base.get_request()
  if r == nil then return nil end
  local head = ffi.cast(head_type, r)
  if head.signature ~= HTTP_SIGNATURE or head.loc_conf == nil then return nil end
  return ("loc:%x"):format(tonumber(ffi.cast("uintptr_t", head.loc_conf)))
end
