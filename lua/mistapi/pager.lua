--- Walks every page of a Mist list, whichever way the server pages:
-- `X-Page-Total` / `X-Page-Limit` / `X-Page-Page` headers, a `next` link in
-- the body (`{"results": [...], "next": "/api/v1/..."}`), or a plain array
-- that is the only page.
-- @module mistapi.pager

local errors = require "mistapi.errors"
local result = require "mistapi.result"
local target = require "mistapi.target"

local pager = {}

local MAX_LIMIT = 1000
pager.MAX_LIMIT = MAX_LIMIT
-- A bound on the pages of one walk (the option max_pages lowers it), so a
-- server that never stops can't loop us forever; reaching it is an error.
local MAX_PAGES = 100000
pager.MAX_PAGES = MAX_PAGES
-- The highest page number asked for or taken from a server: past 2^31 no
-- list is real, and a query must print it as a whole number.
local MAX_PAGE_NUMBER = 2147483647
pager.MAX_PAGE_NUMBER = MAX_PAGE_NUMBER

local function whole(v)
  return type(v) == "number" and v == math.floor(v)
end

--- Checks `limit` and `page` of list options.
-- Wrong types raise; values out of range return nil and a validation error.
function pager.check_options(opts, level)
  level = (level or 1) + 1
  if opts == nil then return {} end
  if type(opts) ~= "table" then error("options must be a table", level) end
  local limit, page = opts.limit, opts.page
  if limit ~= nil and type(limit) ~= "number" then error("limit must be a number", level) end
  if page ~= nil and type(page) ~= "number" then error("page must be a number", level) end
  local max_pages = opts.max_pages
  if max_pages ~= nil and type(max_pages) ~= "number" then error("max_pages must be a number", level) end
  if opts.progress ~= nil and type(opts.progress) ~= "function" then error("progress must be a function", level) end
  if limit ~= nil and not (whole(limit) and limit >= 1 and limit <= MAX_LIMIT) then
    return nil, errors.validation(("limit: %s is not a whole number from 1 to %d"):format(tostring(limit), MAX_LIMIT))
  end
  if page ~= nil and not (whole(page) and page >= 1 and page <= MAX_PAGE_NUMBER) then
    return nil, errors.validation(("page: %s is not a whole number from 1 to %d"):format(
      tostring(page), MAX_PAGE_NUMBER))
  end
  if max_pages ~= nil and not (whole(max_pages) and max_pages >= 1 and max_pages <= MAX_PAGES) then
    return nil, errors.validation(("max_pages: %s is not a whole number from 1 to %d"):format(
      tostring(max_pages), MAX_PAGES))
  end
  return opts
end

--- The query string of one page.
function pager.query(limit, page)
  local q = {}
  if limit then q[#q + 1] = ("limit=%d"):format(limit) end
  if page then q[#q + 1] = ("page=%d"):format(page) end
  return #q > 0 and ("?" .. table.concat(q, "&")) or ""
end

-- The path of one page: path's own query (if any) and then limit and page.
local function page_path(path, limit, page)
  local q = pager.query(limit, page)
  if q ~= "" and path:find("?", 1, true) then q = "&" .. q:sub(2) end
  return path .. q
end

-- A paging header as a whole number from `low` to `high`: nil when absent,
-- false when the server sent something else (a hostile or broken answer).
local function header_int(headers, name, low, high)
  local text = headers[name]
  if text == nil then return nil end
  local v = type(text) == "string" and text:match("^%s*(%d+)%s*$") and tonumber(text)
  if v and v >= low and v <= high then return v end
  return false
end

--- The paging headers of an answer: true and X-Page-Total, X-Page-Limit,
-- X-Page-Page (each nil when absent); or false and why, when one is there
-- but not a whole number in range (a hostile or broken answer). The one
-- reading of them: the walk's, and the first pages a job across orgs reads.
function pager.paging_headers(h)
  local total, limit, page = header_int(h, "x-page-total", 0, 2 ^ 53),
    header_int(h, "x-page-limit", 1, MAX_LIMIT), header_int(h, "x-page-page", 1, MAX_PAGE_NUMBER - 1)
  if total == false or limit == false or page == false then
    return false, ("the answer's paging headers are not whole numbers in range " ..
      "(X-Page-Total from 0, X-Page-Limit from 1 to %d, X-Page-Page from 1)"):format(MAX_LIMIT)
  end
  return true, total, limit, page
end

-- A `next` link must stay on the same server: keep only its path and query.
-- -> path, or nil (no next page), or false and why (a link that can't be sent)
local function next_path(link, base_url)
  if link == nil or link == "" or link == false then return nil end
  if type(link) ~= "string" then return false, "is not a string" end
  local path
  if link:sub(1, 1) == "/" then
    path = link
  elseif link:sub(1, #base_url + 1) == base_url .. "/" then
    path = link:sub(#base_url + 1)
  else
    -- another server's link: the list ends here, as 0.1.0 did
    return nil
  end
  local ok, why = target.check_path(path)
  if not ok then return false, "has " .. why end
  return path
end

--- An iterator over every item of every page.
-- @param fetch function(path_and_query, max_items) -> result | nil, err (a
--   decoded page; max_items is the page size asked for, which bounds its items)
-- @param path the list path, without a query
-- @param opts {limit, page, progress, max_pages}
-- @param base_url to recognise absolute `next` links
-- @param secrets optional function -> the client's secrets, hidden in the
--   path an error keeps (a server's `next` link may hold one)
-- @return a function that gives the next item, or nil at the end, or raises
--   (nil, err) through `on_error`; its closer; and a table the walk keeps up
--   to date: `pages`, `attempts` (every try of every page), `token_index` and
--   `headers` of the last page (for a result of the whole list)
function pager.walk(fetch, path, opts, base_url, secrets)
  local limit = opts.limit or 100
  local page_no = opts.page or 1
  local progress = opts.progress
  local max_pages = opts.max_pages or MAX_PAGES
  local items, pos = nil, 0
  local pages, count, total = 0, 0, nil
  local next_request = page_path(path, limit, page_no)
  local asked = limit   -- the page size the next request asks for
  local done = false
  local stats = { pages = 0, attempts = 0 }

  local function load()
    if done then return false end
    if pages >= max_pages then
      -- the server still points at more: a partial list must not pass for the whole
      done = true
      return nil, errors.new("decode", ("the list did not end after %d pages (max_pages); %d items so far")
        :format(pages, count), { method = "GET", path = errors.redact_target(next_request, secrets and secrets()),
          pages = pages })
    end
    local res, err = fetch(next_request, asked)
    if not res then return nil, err end
    pages = pages + 1
    stats.pages, stats.attempts = pages, stats.attempts + (res.attempts or 1)
    stats.token_index, stats.headers = res.token_index, res.headers
    local data = res.data
    local list, link
    if type(data) == "table" and data[1] == nil and type(data.results) == "table" then
      list, link = data.results, data.next
    else
      list = data or {}
    end
    count = count + #list
    items, pos = list, 0
    local h = res.headers or {}
    local headers_ok, h_total, h_limit, h_page = pager.paging_headers(h)
    local function hostile(what)
      done, items = true, nil
      return nil, errors.new("decode", what, { method = "GET",
        path = errors.scrub(next_request, secrets and secrets(), 4096),
        pages = pages, status = res.status })
    end
    if link ~= nil then
      local why
      next_request, why = next_path(link, base_url)
      if next_request == false then
        return hostile("the answer's `next` link " .. why .. "; it was not followed")
      end
      total = tonumber(data.total) or total
      done = next_request == nil or #list == 0
    elseif not headers_ok then
      return hostile(h_total)
    elseif h_total then
      total = h_total
      local per = h_limit or limit
      local this = h_page or page_no
      done = #list == 0 or this * per >= h_total
      page_no = this + 1
      next_request, asked = page_path(path, per, page_no), per
    else
      done = true   -- a plain array: the only page
    end
    if progress then progress { pages = pages, items = count, total = total } end
    return true
  end

  return function()
    while true do
      if items and pos < #items then
        pos = pos + 1
        local item = items[pos]
        items[pos] = false   -- handed over: the pager keeps no reference
        return item
      end
      items = nil
      local ok, err = load()
      if ok == nil then return nil, err end
      if not ok then return nil end
    end
  end, function() items, done = nil, true end, stats
end

--- Every item of a walk, for a generic `for`: raises on error, since a `for`
-- can't receive `nil, err`. On Lua 5.4 the fourth value closes the walk when
-- a loop breaks early.
-- @param next_item the walk's iterator
-- @param stop the walk's closer
-- @return the iterator, nil, nil, the closer
function pager.iterate(next_item, stop)
  local function iter()
    local item, err = next_item()
    if err then error(err, 2) end
    return item
  end
  return iter, nil, nil, setmetatable({}, { __close = stop })
end

--- Every item of a walk as one array: a result whose `data` is the array,
-- `attempts` those of every page, `token_index` and `headers` the last
-- page's, and `pages`.
-- @param next_item the walk's iterator, or nil when the walk could not start
-- @param stop the walk's closer, or the error when it could not start
-- @param stats the walk's stats table
-- @return the result, or nil and the error
function pager.collect(next_item, stop, stats)
  if not next_item then return nil, stop end
  local all = {}
  while true do
    local item, err = next_item()
    if err then return nil, err end
    if item == nil then break end
    all[#all + 1] = item
  end
  return result.new(all, { status = 200, headers = stats.headers or {} }, stats.attempts, stats.token_index,
    { pages = stats.pages })
end

return pager
