--- HTTP/1.1 on an ngx_lua cosocket: writes a request, reads an answer
-- (Content-Length, chunked, or up to the close), with every read bounded by
-- the caller's deadline and the body capped at max_body.
-- @module mistapi.transport.ngx_http

local request_target = require "mistapi.target"
local text_rule = require "mistapi.text"

local ngx_http = {}

local MAX_HEAD = 256 * 1024   -- status line and headers together, as curl caps them
local MAX_LINE = 4096         -- a chunk-size line
local READ_SIZE = 65536

-- A failure of the exchange: kind "timeout" when the cosocket said so.
local function fail(what, err, partial)
  local kind = err == "timeout" and "timeout" or "transport"
  return nil, { kind = kind, message = what .. ": " .. tostring(err), reached = true, body = partial }
end
ngx_http.fail = fail

--- Splits an http(s) URL into its parts.
-- @return {scheme, host (no brackets), port, authority, target} or nil, message
function ngx_http.parse_url(url)
  local scheme, authority, target = url:match("^(%a[%w+.-]*)://([^/?#]+)(.*)$")
  if not scheme then return nil, "not an absolute URL" end
  scheme = scheme:lower()
  if scheme ~= "http" and scheme ~= "https" then return nil, "scheme " .. scheme .. " is not supported" end
  if authority:find("@", 1, true) then return nil, "credentials in the URL are not accepted" end
  local host, port = authority:match("^%[([^%]]+)%]:?(%d*)$")
  if not host then host, port = authority:match("^([^:]+):?(%d*)$") end
  if not host then return nil, "malformed host" end
  port = tonumber(port) or (scheme == "https" and 443 or 80)
  if port < 1 or port > 65535 then return nil, "port out of range" end
  target = target:gsub("#.*$", "")
  if target == "" then target = "/" elseif target:sub(1, 1) == "?" then target = "/" .. target end
  return { scheme = scheme, host = host:lower(), port = port, authority = authority, target = target }
end

--- The request's bytes, or nil and a message when a header would break the framing.
function ngx_http.format_request(method, u, headers, body, user_agent)
  if not method:match("^[A-Z]+$") then return nil, "bad method" end
  -- the request line and the Host header: CR or LF there would split the request
  local ok, why = request_target.check_path(u.target)
  if not ok then return nil, "request target: " .. why end
  if u.authority:find("[%c%s]") then return nil, "host: a control character or a space in it" end
  if user_agent:find("[%c\127]") then return nil, "user_agent has a control character" end
  local lines = { method .. " " .. u.target .. " HTTP/1.1", "Host: " .. u.authority }
  local has = {}
  for name, value in pairs(headers or {}) do
    value = tostring(value)
    if not tostring(name):match("^[%w!#$%%&'*+.^_`|~-]+$") or value:find("[\r\n%z]") then
      -- never echo the value: it may be the Authorization header
      return nil, "header " .. text_rule.clean(name) .. " has a forbidden character"
    end
    has[name:lower()] = true
    lines[#lines + 1] = name .. ": " .. value
  end
  if not has["user-agent"] then lines[#lines + 1] = "User-Agent: " .. user_agent end
  if body or method == "POST" or method == "PUT" then
    lines[#lines + 1] = "Content-Length: " .. #(body or "")
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = body or ""
  return table.concat(lines, "\r\n")
end

-- The reads below never use receive(n) or receiveuntil: nginx restarts a
-- read's timer on every byte that arrives, so one such call on a server
-- that trickles could outlast `timeout` many times over. receiveany comes
-- back with whatever arrived, and conn:arm() gives each call only the time
-- left of the whole attempt. Bytes read past what a step needs wait in
-- conn.buf for the next step.

-- One read of at most `max` bytes: -> data | nil, info (err: nginx's word)
local function fill(conn, max, what)
  local ok, terr = conn:arm()
  if not ok then return nil, terr end
  local data, err = conn.sock:receiveany(max)
  if not data then
    local _, info = fail(what, err)
    info.closed = err == "closed"
    return nil, info
  end
  return data
end

-- Reads up to `pattern`, at most `max` bytes before it; -> text | nil, info
local function read_until(conn, pattern, max, what)
  local buf = conn.buf
  local at = buf:find(pattern, 1, true)
  if at then
    conn.buf = buf:sub(at + #pattern)
    return buf:sub(1, at - 1)
  end
  local parts, size, keep = { buf }, #buf, #pattern - 1
  local tail = buf:sub(-keep)
  while true do
    if size > max then
      return nil, { kind = "transport", message = what .. " is over " .. max .. " bytes", reached = true }
    end
    local data, info = fill(conn, READ_SIZE, what)
    if not data then conn.buf = ""; return nil, info end
    parts[#parts + 1] = data
    size = size + #data
    -- only the new bytes and the few before them can hold a new match
    if (tail .. data):find(pattern, 1, true) then
      local text = table.concat(parts)
      at = text:find(pattern, math.max(1, size - #data - keep + 1), true)
      conn.buf = text:sub(at + #pattern)
      return text:sub(1, at - 1)
    end
    tail = (tail .. data):sub(-keep)
  end
end

-- Reads exactly `n` bytes; -> text | nil, info (info.body: what arrived)
local function read_exact(conn, n, what)
  local buf = conn.buf
  if #buf >= n then
    conn.buf = buf:sub(n + 1)
    return buf:sub(1, n)
  end
  conn.buf = ""
  local parts, have = { buf }, #buf
  while have < n do
    local data, info = fill(conn, math.min(READ_SIZE, n - have), what)
    if not data then info.body = table.concat(parts); return nil, info end
    parts[#parts + 1] = data
    have = have + #data
  end
  return table.concat(parts)
end

-- Parses a head block: -> status, headers (names lower-cased, repeats joined
-- with ", "), version | nil, message. The pieces of each name are gathered
-- and joined once at the end: joining onto the growing value at each repeat
-- made a header sent tens of thousands of times cost quadratic time.
local function parse_head(text)
  local status_line, rest = text:match("^([^\r\n]*)\r?\n?(.*)$")
  local version, status = status_line:match("^HTTP/(%d%.%d) (%d%d%d)")
  if not version then return nil, "malformed status line" end
  local pieces, last = {}, nil   -- name -> { value, sep, value, ... }
  for line in (rest .. "\n"):gmatch("([^\n]*)\n") do
    line = line:gsub("\r$", "")
    if line ~= "" then
      local name, value = line:match("^([^:%s]+):%s*(.-)%s*$")
      if name then
        name = name:lower()
        local list = pieces[name]
        if list then
          list[#list + 1] = ", "
          list[#list + 1] = value
        else
          pieces[name] = { value }
        end
        last = name
      elseif last and line:match("^[ \t]") then
        local list = pieces[last]
        list[#list + 1] = " "
        list[#list + 1] = line:match("^%s*(.-)%s*$")
      else
        return nil, "malformed header line"
      end
    end
  end
  local headers = {}
  for name, list in pairs(pieces) do headers[name] = table.concat(list) end
  return tonumber(status), headers, version
end

local function over_cap(max_body, partial)
  return nil, { kind = "transport", message = ("response body exceeds max_body (%d bytes)"):format(max_body),
                reached = true, body = partial }
end

local function read_chunked(conn, max_body)
  local parts, size = {}, 0
  while true do
    local line, err = read_until(conn, "\r\n", MAX_LINE, "reading a chunk size")
    if not line then err.body = table.concat(parts); return nil, err end
    local hex = line:match("^%s*(%x+)%s*;?.*$")
    if not hex or #hex > 15 then
      return nil, { kind = "transport", message = "malformed chunk size", reached = true, body = table.concat(parts) }
    end
    local n = tonumber(hex, 16)
    if n == 0 then break end
    if size + n > max_body then return over_cap(max_body, table.concat(parts)) end
    local data, rerr = read_exact(conn, n, "reading the body")
    if not data then
      parts[#parts + 1] = rerr.body
      rerr.body = table.concat(parts)
      return nil, rerr
    end
    parts[#parts + 1] = data
    size = size + n
    local crlf, cerr = read_exact(conn, 2, "reading the body")
    if crlf ~= "\r\n" then
      if cerr then cerr.body = table.concat(parts); return nil, cerr end
      return fail("reading the body", "malformed chunk end", table.concat(parts))
    end
  end
  -- trailer lines, if any, then the empty line that ends the message
  local trailer_bytes = 0
  while true do
    local line, err = read_until(conn, "\r\n", MAX_LINE, "reading the trailers")
    if not line then err.body = table.concat(parts); return nil, err end
    if line == "" then break end
    trailer_bytes = trailer_bytes + #line
    if trailer_bytes > MAX_HEAD then
      return nil, { kind = "transport", message = "trailers are over " .. MAX_HEAD .. " bytes", reached = true }
    end
  end
  return table.concat(parts), true
end

local function read_length(conn, n, max_body)
  if n > max_body then return over_cap(max_body, nil) end
  if n == 0 then return "", true end
  local data, info = read_exact(conn, n, "reading the body")
  if not data then return nil, info end
  return data, true
end

local function read_to_close(conn, max_body)
  local parts, size = { conn.buf }, #conn.buf
  conn.buf = ""
  while true do
    if size > max_body then return over_cap(max_body, table.concat(parts):sub(1, max_body)) end
    local data, info = fill(conn, READ_SIZE, "reading the body")
    if not data then
      if info.closed then return table.concat(parts), false end
      info.body = table.concat(parts)
      return nil, info
    end
    size = size + #data
    parts[#parts + 1] = data
  end
end

--- Reads one answer from `conn` ({sock, buf = "", arm = function -> true | nil, info}).
-- @return {status, headers, body}, reusable (boolean), got_bytes | nil, info, got_bytes
function ngx_http.read_response(conn, method, max_body)
  local status, headers, version
  local got = false
  repeat
    local head, err = read_until(conn, "\r\n\r\n", MAX_HEAD, "reading the answer's headers")
    if not head then return nil, err, got end
    got = true
    local msg
    status, headers, version = parse_head(head)
    if not status then
      msg = headers
      return nil, { kind = "transport", message = "invalid answer: " .. msg, reached = true }, got
    end
  until status >= 200 or status == 101

  local body, reusable
  local te = headers["transfer-encoding"]
  local cl = headers["content-length"]
  if method == "HEAD" or status == 204 or status == 304 or status < 200 then
    body, reusable = "", true
  elseif te and te:lower():find("chunked", 1, true) then
    body, reusable = read_chunked(conn, max_body)
  elseif cl then
    local n = tonumber(cl:match("^%s*(%d+)%s*$") or "")
    if not n then
      return nil, { kind = "transport", message = "invalid answer: bad Content-Length", reached = true }, got
    end
    body, reusable = read_length(conn, n, max_body)
  else
    body, reusable = read_to_close(conn, max_body)
  end
  if not body then return nil, reusable, got end
  local connection = (headers.connection or ""):lower()
  if connection:find("close", 1, true) or (version == "1.0" and not connection:find("keep-alive", 1, true))
      or conn.buf ~= "" then   -- bytes past the answer: the connection is out of step
    reusable = false
  end
  return { status = status, headers = headers, body = body }, reusable, got
end

return ngx_http
