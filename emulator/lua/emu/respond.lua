-- Writing answers. Handlers build { status=, body=, headers= } and this module sends it,
-- so a fault can change an answer after the handler made it.
local json = require "emu.json"

local M = {}

function M.json(status, value, headers)
  return { status = status, body = json.encode(value), headers = headers or {} }
end

function M.detail(status, text, headers)
  return M.json(status, { detail = text }, headers)
end

function M.raw(status, body, headers)
  return { status = status, body = body or "", headers = headers or {} }
end

-- The request's JSON body, or nil and the 400 answer for a body that is not JSON.
function M.read_json(ctx)
  local body, err = json.decode_body(ctx.body())
  if body == nil then
    return nil, M.detail(400, err)
  end
  return body
end

-- The request's JSON body when it is an object, or nil and the 400 answer: for a body
-- that is not JSON, or `message` for one that is but no object.
function M.read_object(ctx, message)
  local body, bad = M.read_json(ctx)
  if body == nil then
    return nil, bad
  end
  if not json.is_object(body) then
    return nil, M.detail(400, message)
  end
  return body
end

function M.headers(status, headers, length)
  ngx.status = status
  -- no body, no type: clients and validators would try to parse "" as JSON
  ngx.header["Content-Type"] = length ~= 0 and "application/json" or nil
  for k, v in pairs(headers or {}) do
    ngx.header[k] = v
  end
  if length then
    ngx.header["Content-Length"] = length
  end
end

function M.send(res)
  local body = res.body or ""
  M.headers(res.status, res.headers, #body)
  if body ~= "" then
    ngx.print(body)
  end
  return ngx.exit(ngx.OK)
end

-- Drop the connection now; the client sees whatever was already sent.
function M.abort()
  ngx.flush(true)
  return ngx.exit(ngx.ERROR)
end

return M
